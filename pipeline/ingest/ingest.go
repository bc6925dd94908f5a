// Package ingest is the job that loads delivered files from the inbox into the
// warehouse.
//
// A delivery's bad rows are quarantined with every reason and its good rows
// load; above the source's max_rejected_share the whole delivery is refused.
// A load is whole or absent: its rows count only once it is recorded as
// loaded. A content already seen by its source is never loaded again, and a
// new delivery replaces what the source's replace mode says (the earlier
// load of the same file, the months it covers, or nothing), atomically.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/inbox"
	"github.com/brusano/bassins/pipeline/privacy"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources"
)

// Options wires the job.
type Options struct {
	Warehouse     *warehouse.Warehouse
	Sources       []sources.Spec
	Inbox         string
	StateDir      string
	Pseudonymiser *privacy.Pseudonymiser
	Geography     *geography.Geography
	// Location is where calendar days are read; default Europe/Brussels.
	Location *time.Location
	// ChunkRows is how many rows are sent to the server at once; memory use
	// grows with it. Default 50,000.
	ChunkRows int
	// OnLoad, when set, is told of every delivery recorded, loaded or
	// refused (metrics, alerts). It must not block for long.
	OnLoad func(ctx context.Context, src *sources.Spec, l warehouse.Load)
	Logger *slog.Logger
}

// Job loads new files.
type Job struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	lastID uint64
	// sums remembers the content of the files this process hashed, by
	// source, path, size and modification time: a copy of a delivery under
	// another name is then skipped at the next run without being read.
	sums map[fileStamp]string
}

// fileStamp tells a file apart without reading it.
type fileStamp struct {
	source, rel string
	size        int64
	modified    time.Time
}

func (f delivery) stamp(source string) fileStamp {
	return fileStamp{source: source, rel: f.rel, size: f.size, modified: f.modified}
}

// remember notes the content of a file.
func (j *Job) remember(source string, f delivery, sum string) {
	if sum == "" {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.sums == nil {
		j.sums = map[fileStamp]string{}
	}
	j.sums[f.stamp(source)] = sum
}

// recalled returns the content of a file hashed before, "" when unknown.
func (j *Job) recalled(source string, f delivery) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.sums[f.stamp(source)]
}

// New returns the ingest job.
func New(opts Options) *Job {
	if opts.ChunkRows <= 0 {
		opts.ChunkRows = 50_000
	}
	if opts.Location == nil {
		if loc, err := time.LoadLocation("Europe/Brussels"); err == nil {
			opts.Location = loc
		} else {
			opts.Location = time.UTC
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Job{opts: opts, log: log.With("component", "ingest")}
}

// Result says what a run did.
type Result struct {
	// Loaded, Skipped and Refused count deliveries; Rows the rows stored
	// and Quarantined the rows set aside by the deliveries loaded or
	// refused.
	Loaded, Skipped, Refused int
	Rows, Quarantined        uint64
	// Problems holds one English sentence per refused delivery, naming the
	// file and why, never a delivered value.
	Problems []string
}

// ErrRefused is returned (wrapped) when a run refused at least one delivery;
// the other files were still loaded.
var ErrRefused = errors.New("ingest: deliveries refused")

// delivery is one file found in the inbox.
type delivery struct {
	path, rel string
	size      int64
	modified  time.Time
}

// Run loads every new file of every source. A content a source already
// delivered (loaded, refused or retracted) is skipped. Within a source,
// files are taken in delivery order (modification time), so that a
// corrected delivery is loaded after the one it corrects.
func (j *Job) Run(ctx context.Context, now time.Time, runID string) (Result, error) {
	var res Result
	unlock, err := lock(filepath.Join(j.opts.StateDir, "ingest.lock"))
	if err != nil {
		return res, err
	}
	defer unlock()

	for i := range j.opts.Sources {
		src := &j.opts.Sources[i]
		files, err := j.deliveries(src)
		if err != nil {
			return res, err
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			out, err := j.loadFile(ctx, src, f, now, runID)
			if err == nil && !out.skipped && j.opts.OnLoad != nil {
				j.opts.OnLoad(ctx, src, out.load)
			}
			if err != nil {
				// One file the warehouse could not take must not block
				// the others; the run still fails below.
				if ctx.Err() != nil {
					return res, err
				}
				// Unless the warehouse itself is gone: then the run stops
				// and is tried again later, rather than failing every file.
				if perr := j.opts.Warehouse.Ping(ctx); perr != nil {
					return res, fmt.Errorf("ingest: the warehouse does not answer, run stopped at %s: %w", f.rel, err)
				}
				j.log.Error("loading a file failed", "run", runID, "source", src.Name, "file", f.rel, "err", err)
				res.Refused++
				res.Problems = append(res.Problems, fmt.Sprintf("%s: %v", f.rel, err))
				continue
			}
			switch {
			case out.skipped:
				res.Skipped++
			case out.refused != "":
				res.Refused++
				res.Quarantined += out.load.RowsQuarantined
				res.Problems = append(res.Problems, out.refused)
			default:
				res.Loaded++
				res.Rows += out.load.RowsStored
				res.Quarantined += out.load.RowsQuarantined
			}
		}
	}
	j.log.Info("ingest done", "run", runID, "loaded", res.Loaded, "skipped", res.Skipped, "refused", res.Refused,
		"rows", res.Rows, "quarantined", res.Quarantined)
	if res.Refused > 0 {
		return res, fmt.Errorf("%w: %s", ErrRefused, strings.Join(res.Problems, "; "))
	}
	return res, nil
}

// deliveries lists a source's regular files in delivery order.
func (j *Job) deliveries(src *sources.Spec) ([]delivery, error) {
	paths, err := filepath.Glob(filepath.Join(j.opts.Inbox, src.Path))
	if err != nil {
		return nil, fmt.Errorf("ingest: source %s: %w", src.Name, err)
	}
	var out []delivery
	for _, p := range paths {
		info, err := os.Stat(p)
		rel, _ := filepath.Rel(j.opts.Inbox, p)
		if err != nil || !info.Mode().IsRegular() || inbox.Ignored(filepath.ToSlash(rel)) {
			continue
		}
		out = append(out, delivery{path: p, rel: rel, size: info.Size(), modified: info.ModTime()})
	}
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].modified.Equal(out[b].modified) {
			return out[a].modified.Before(out[b].modified)
		}
		return out[a].rel < out[b].rel
	})
	return out, nil
}

// nextID returns a load id greater than every one this job gave before.
func (j *Job) nextID(now time.Time) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	id := uint64(time.Now().UnixNano())
	if id <= j.lastID {
		id = j.lastID + 1
	}
	j.lastID = id
	return id
}

type outcome struct {
	load    warehouse.Load
	skipped bool
	// refused says why the delivery was refused, in English, naming the
	// file; empty when it loaded.
	refused string
}

// loadFile loads one delivery. err is set for failures of the warehouse or
// the file system only; a refused delivery is an outcome.
func (j *Job) loadFile(ctx context.Context, src *sources.Spec, f delivery, now time.Time, runID string) (outcome, error) {
	wh := j.opts.Warehouse
	// A content already seen is skipped. A file the source delivered
	// before under the same name and date most likely holds one: it is
	// hashed before anything else. Another is hashed while it is read and
	// sent, on another core; should its content turn out to be known, what
	// was sent is discarded and the file skipped all the same.
	before, err := wh.DeliveredContents(ctx, src.Name, f.rel, f.modified)
	if err != nil {
		return outcome{}, err
	}
	sum := j.recalled(src.Name, f)
	var content chan contentCheck
	if len(before) > 0 || sum != "" {
		if sum == "" {
			if sum, err = fileSHA256(f.path); err != nil {
				return outcome{}, fmt.Errorf("ingest: %w", err)
			}
			j.remember(src.Name, f, sum)
		}
		seen := slices.Contains(before, sum)
		if !seen {
			status, err := wh.ContentStatus(ctx, src.Name, sum)
			if err != nil {
				return outcome{}, err
			}
			seen = status != ""
		}
		if seen {
			return outcome{skipped: true}, nil // the same content gives the same outcome
		}
	} else {
		content = make(chan contentCheck, 1)
		go func() { content <- j.checkContent(ctx, src, f) }()
	}
	dataset, _ := sources.LookupDataset(src.Dataset)
	load := warehouse.Load{
		LoadID:      j.nextID(now),
		Source:      src.Name,
		Dataset:     src.Dataset,
		File:        f.rel,
		SHA256:      sum,
		DeliveredAt: f.modified,
		Replace:     src.ReplaceMode(),
	}
	// Pseudonyms are remembered for the delivery: a person comes back many
	// times.
	pseudonyms := j.opts.Pseudonymiser.NewCache()
	env := sources.Env{
		Pseudonymise:    pseudonyms.Sum,
		PseudonymiseAll: pseudonyms.SumAll,
		RecordKey:       j.opts.Pseudonymiser.RecordKey,
		Locate:          j.opts.Geography.ResolveNIS,
		AreaKey:         geography.AreaKey,
		RegionOnly:      geography.RegionOnlyKey,
		LoadID:          load.LoadID,
		Delivered:       now,
		Location:        j.opts.Location,
	}
	log := j.log.With("run", runID, "source", src.Name, "file", f.rel, "load", load.LoadID)
	summary, sent, known, readErr := j.readAndSend(ctx, src, f, env, dataset, &load, content)
	load.LoadedAt = time.Now()
	discard := func() {
		if sent {
			// The rows sent never count (no loaded record names them);
			// delete them to free the space.
			if err := wh.DiscardLoad(context.WithoutCancel(ctx), dataset.Table, load.LoadID); err != nil {
				log.Warn("discarding the rows of a load that did not land", "err", err)
			}
		}
	}
	load.RowsRead, load.RowsQuarantined = uint64(summary.Read), uint64(summary.Quarantined)
	var fe *sources.FileError
	j.remember(src.Name, f, load.SHA256)
	switch {
	case known:
		discard()
		return outcome{skipped: true}, nil
	case errors.As(readErr, &fe):
		discard()
		q := warehouse.QuarantinedRow{LoadID: load.LoadID, Source: src.Name, File: f.rel, Line: fe.Line, Raw: fe.Raw,
			Reasons: []warehouse.Reason{fe.Reason}}
		if err := wh.InsertQuarantine(ctx, []warehouse.QuarantinedRow{q}); err != nil {
			return outcome{}, err
		}
		return j.refuse(ctx, log, load, fmt.Sprintf("%s: line %d: %s", f.rel, fe.Line, fe.Reason.Message()))
	case readErr != nil:
		discard()
		return outcome{}, fmt.Errorf("ingest: %s: %w", f.rel, readErr)
	}

	if dups, conflicts, err := j.repeatedRecords(ctx, src, f, env, dataset, &load); err != nil {
		discard()
		return outcome{}, err
	} else {
		load.RowsDuplicate = uint64(dups)
		load.RowsQuarantined += uint64(conflicts)
		summary.Loaded -= dups + conflicts
	}
	load.RowsLoaded = uint64(max(summary.Loaded, 0))
	load.Months = summary.Months
	if load.RowsRead > 0 {
		share := float64(load.RowsQuarantined) / float64(load.RowsRead)
		if share > src.RejectedShare() {
			discard()
			return j.refuse(ctx, log, load, fmt.Sprintf("%s: %d of %d rows quarantined (%.1f %%, above the %.1f %% the source accepts): the whole delivery is refused",
				f.rel, load.RowsQuarantined, load.RowsRead, 100*share, 100*src.RejectedShare()))
		}
	}
	masks, err := j.replaced(ctx, src, load)
	if err != nil {
		discard()
		return outcome{}, err
	}
	if load.RowsQuarantined > 0 {
		load.Message = fmt.Sprintf("%d of %d rows quarantined", load.RowsQuarantined, load.RowsRead)
	}
	if err := wh.CommitLoad(ctx, load, masks); err != nil {
		discard()
		return outcome{}, err
	}
	log.Info("file loaded", "rows", load.RowsStored, "quarantined", load.RowsQuarantined, "duplicates", load.RowsDuplicate,
		"replaces", len(masks))
	load.Status = warehouse.StatusLoaded
	return outcome{load: load}, nil
}

// refuse records a refused delivery; why names the file, never a value.
func (j *Job) refuse(ctx context.Context, log *slog.Logger, load warehouse.Load, why string) (outcome, error) {
	load.Status, load.Message, load.RowsLoaded, load.RowsStored, load.Months = warehouse.StatusRejected, why, 0, 0, nil
	if err := j.opts.Warehouse.RecordLoad(ctx, load); err != nil {
		return outcome{}, err
	}
	log.Warn("delivery refused", "why", why)
	return outcome{load: load, refused: why}, nil
}

// replaced returns the months of earlier loads the new one replaces.
func (j *Job) replaced(ctx context.Context, src *sources.Spec, l warehouse.Load) ([]warehouse.Mask, error) {
	mode := src.ReplaceMode()
	if mode == sources.ReplaceNone {
		return nil, nil
	}
	live, err := j.opts.Warehouse.Loads(ctx, warehouse.LoadFilter{Source: src.Name, Status: warehouse.StatusLoaded})
	if err != nil {
		return nil, err
	}
	covers := map[time.Time]bool{}
	for _, m := range l.Months {
		covers[m] = true
	}
	var masks []warehouse.Mask
	for _, old := range live {
		if old.LoadID == l.LoadID {
			continue
		}
		for _, m := range old.Months {
			if (mode == sources.ReplaceFile && old.File == l.File) || (mode == sources.ReplaceMonths && covers[m]) {
				masks = append(masks, warehouse.Mask{LoadID: old.LoadID, Month: m, By: l.LoadID})
			}
		}
	}
	return masks, nil
}

// contentCheck is a file's SHA-256 and the status of its latest load by
// its source ("" when never delivered).
type contentCheck struct {
	sum, status string
	err         error
}

// checkContent hashes a file and looks its content up.
func (j *Job) checkContent(ctx context.Context, src *sources.Spec, f delivery) contentCheck {
	sum, err := fileSHA256(f.path)
	if err != nil {
		return contentCheck{err: fmt.Errorf("ingest: %w", err)}
	}
	status, err := j.opts.Warehouse.ContentStatus(ctx, src.Name, sum)
	return contentCheck{sum: sum, status: status, err: err}
}

// errKnownContent stops reading a file whose content turned out to be known.
var errKnownContent = errors.New("ingest: content already delivered")

// readAndSend reads a file, sending blocks of good rows while the next block
// is parsed and quarantining the rest. The blocks of a file go to one insert
// (Warehouse.BeginInsert), opened while the first block is parsed. sent
// reports whether any rows reached the server.
//
// When content is not nil, the file's content is being checked meanwhile:
// rows are quarantined only once it is known to be new, and reading stops
// as soon as it is known to be a content already delivered (known, with
// load.SHA256 set either way).
func (j *Job) readAndSend(ctx context.Context, src *sources.Spec, f delivery, env sources.Env, dataset *sources.Dataset,
	load *warehouse.Load, content <-chan contentCheck) (sum sources.Summary, sent, known bool, err error) {
	wh := j.opts.Warehouse
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks := make(chan *sources.Block, 1)
	inserted := make(chan error, 1)
	readOK := false // written before blocks is closed
	go func() {
		ins, err := wh.BeginInsert(ctx, dataset.Table, dataset.Columns())
		if err != nil {
			cancel()
		}
		for b := range blocks {
			if err == nil {
				if err = ins.Write(b); err != nil {
					cancel()
				}
			}
			b.Done()
		}
		switch {
		case ins == nil:
		case err == nil && readOK:
			err = ins.Close()
		default:
			ins.Abort()
		}
		inserted <- err
	}()
	// checked takes the content check once it is done (wait: waiting for
	// it); it returns errKnownContent, or the check's error, to stop.
	var check *contentCheck
	checked := func(wait bool) error {
		if check == nil && content != nil {
			if !wait {
				select {
				case c := <-content:
					check = &c
				default:
					return nil
				}
			} else {
				c := <-content
				check = &c
			}
			load.SHA256, known = check.sum, check.status != ""
		}
		switch {
		case check == nil:
			return nil
		case check.err != nil:
			return check.err
		case known:
			return errKnownContent
		}
		return nil
	}
	var pending []warehouse.QuarantinedRow
	flush := func() error {
		if err := checked(true); err != nil {
			return err
		}
		err := wh.InsertQuarantine(ctx, pending)
		pending = pending[:0]
		return err
	}
	sum, err = sources.Read(ctx, src, f.path, env, j.opts.ChunkRows, sources.Sink{
		Rows: func(b *sources.Block) error {
			sent = true
			load.RowsStored += uint64(b.Len())
			blocks <- b
			return checked(false)
		},
		Reject: func(r sources.Rejected) error {
			pending = append(pending, quarantined(load, r))
			if len(pending) >= 1000 {
				return flush()
			}
			return nil
		},
	})
	if err == nil {
		err = flush()
	}
	if cerr := checked(true); cerr != nil {
		err = cerr
	}
	readOK = err == nil
	close(blocks)
	insertErr := <-inserted
	switch {
	case known:
		return sum, sent, true, nil
	case insertErr != nil:
		return sum, sent, false, insertErr
	}
	return sum, sent, false, err
}

// repeatedRecords handles the record ids a load holds more than once: an
// exact repeat counts once (dups counts the lines dropped); the same id with
// other content is quarantined on every line holding it, naming the others
// (conflicts counts those lines). The warehouse finds them; the file is read
// a second time, in step with the lines it returns, for their raw text.
func (j *Job) repeatedRecords(ctx context.Context, src *sources.Spec, f delivery, env sources.Env, dataset *sources.Dataset,
	load *warehouse.Load) (dups, conflicts int, err error) {
	if _, ok := src.Fields[sources.RecordIDField]; !ok || load.RowsStored == 0 {
		return 0, 0, nil
	}
	wh := j.opts.Warehouse
	r, err := wh.SetAsideRepeatedRecords(ctx, dataset.Table, load.LoadID)
	if err != nil || r.Conflicting == 0 {
		return int(r.Duplicates), 0, err
	}

	type conflict struct {
		line   int
		others []int
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := make(chan conflict, 256)
	listed := make(chan error, 1)
	go func() {
		defer close(lines)
		listed <- wh.ConflictingLines(ctx, dataset.Table, load.LoadID, func(line int, others []int) error {
			select {
			case lines <- conflict{line, others}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	next, more := <-lines
	var pending []warehouse.QuarantinedRow
	column := src.Fields[sources.RecordIDField].Column
	err = sources.Records(ctx, src, f.path, env, func(line int, raw func() string) error {
		for more && next.line < line {
			next, more = <-lines
		}
		if !more || next.line != line {
			return nil
		}
		others := make([]string, len(next.others))
		for i, o := range next.others {
			others[i] = fmt.Sprint(o)
		}
		pending = append(pending, warehouse.QuarantinedRow{LoadID: load.LoadID, Source: src.Name, File: f.rel, Line: line, Raw: raw(),
			Reasons: []warehouse.Reason{{Code: sources.ProblemDuplicateID, Field: sources.RecordIDField, Column: column,
				Detail: strings.Join(others, ", ")}}})
		if len(pending) >= 1000 {
			err := wh.InsertQuarantine(ctx, pending)
			pending = pending[:0]
			return err
		}
		return nil
	})
	if err == nil {
		err = wh.InsertQuarantine(ctx, pending)
	}
	cancel()
	for range lines { // let the listing end
	}
	if lerr := <-listed; err == nil && lerr != nil && !errors.Is(lerr, context.Canceled) {
		err = lerr
	}
	return int(r.Duplicates), int(r.Conflicting), err
}

func quarantined(l *warehouse.Load, r sources.Rejected) warehouse.QuarantinedRow {
	return warehouse.QuarantinedRow{LoadID: l.LoadID, Source: l.Source, File: l.File, Line: r.Line, Raw: r.Raw, Reasons: r.Reasons}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// lock takes an exclusive lock on path, so that two processes never ingest
// at once (a second would load the same new files twice).
func lock(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("ingest: another ingest is running (lock %s held)", path)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
