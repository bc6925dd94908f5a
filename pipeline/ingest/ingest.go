// Package ingest is the job that loads delivered files from the inbox into the
// warehouse. A file is loaded whole or not at all, a file whose content was
// already loaded by its source is never loaded again, and a new content under
// the path of a loaded file (a corrected delivery) replaces the earlier load.
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
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
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
	// ChunkRows is how many rows are sent to the server at once; memory use
	// grows with it. Default 50,000.
	ChunkRows int
	Logger    *slog.Logger
}

// Job loads new files.
type Job struct {
	opts Options
	log  *slog.Logger
}

// New returns the ingest job.
func New(opts Options) *Job {
	if opts.ChunkRows <= 0 {
		opts.ChunkRows = 50_000
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Job{opts: opts, log: log.With("component", "ingest")}
}

// Result says what a run did.
type Result struct {
	Loaded   int
	Skipped  int
	Rejected int
	Rows     uint64
	// Problems holds one message per file rejected by this run, naming the
	// file, line and field.
	Problems []string
}

// ErrRejected is returned (wrapped) when a run rejected at least one file; the
// other files were still loaded.
var ErrRejected = errors.New("ingest: files rejected")

// Run loads every new file of every source. Files already loaded, or already
// rejected with the same content, are skipped.
func (j *Job) Run(ctx context.Context, now time.Time, runID string) (Result, error) {
	var res Result
	unlock, err := lock(filepath.Join(j.opts.StateDir, "ingest.lock"))
	if err != nil {
		return res, err
	}
	defer unlock()

	for i := range j.opts.Sources {
		src := &j.opts.Sources[i]
		files, err := filepath.Glob(filepath.Join(j.opts.Inbox, src.Path))
		if err != nil {
			return res, fmt.Errorf("ingest: source %s: %w", src.Name, err)
		}
		sort.Strings(files)
		for _, file := range files {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			if info, err := os.Stat(file); err != nil || !info.Mode().IsRegular() {
				continue
			}
			loaded, rows, problem, err := j.loadFile(ctx, src, file, now)
			if err != nil {
				return res, err
			}
			switch {
			case problem != "":
				res.Rejected++
				res.Problems = append(res.Problems, problem)
			case loaded:
				res.Loaded++
				res.Rows += rows
			default:
				res.Skipped++
			}
		}
	}
	j.log.Info("ingest done", "run", runID, "loaded", res.Loaded, "skipped", res.Skipped, "rejected", res.Rejected, "rows", res.Rows)
	if res.Rejected > 0 {
		return res, fmt.Errorf("%w: %s", ErrRejected, strings.Join(res.Problems, "; "))
	}
	return res, nil
}

// loadFile loads one file. problem is set when the file was rejected for its
// content; err only for failures of the warehouse or the file system.
func (j *Job) loadFile(ctx context.Context, src *sources.Spec, file string, now time.Time) (loaded bool, rows uint64, problem string, err error) {
	sum, err := fileSHA256(file)
	if err != nil {
		return false, 0, "", fmt.Errorf("ingest: %w", err)
	}
	status, err := j.opts.Warehouse.FileStatus(ctx, src.Name, sum)
	if err != nil {
		return false, 0, "", err
	}
	if status != "" {
		return false, 0, "", nil // loaded or rejected before: same content, same outcome
	}
	dataset, _ := sources.LookupDataset(src.Dataset)
	rel, _ := filepath.Rel(j.opts.Inbox, file)
	load := warehouse.Load{
		LoadID:  sum[:16] + "-" + strconv.FormatInt(now.UnixNano(), 36),
		Source:  src.Name,
		Dataset: src.Dataset,
		File:    rel,
		SHA256:  sum,
	}
	env := sources.Env{
		Pseudonymise: j.opts.Pseudonymiser.Key,
		Locate:       j.opts.Geography.ResolveNIS,
		AreaKey:      geography.AreaKey,
		LoadID:       load.LoadID,
	}
	n, sent, readErr := j.readAndSend(ctx, src, file, env, dataset)
	load.LoadedAt = time.Now()
	if readErr != nil {
		if sent {
			// Rows already sent stay invisible (no committed load names
			// them); delete them to free the space.
			if err := j.opts.Warehouse.DiscardLoad(context.WithoutCancel(ctx), dataset.Table, load.LoadID); err != nil {
				j.log.Warn("discarding a failed load", "load", load.LoadID, "err", err)
			}
		}
		var re *sources.RowError
		if !errors.As(readErr, &re) {
			return false, 0, "", fmt.Errorf("ingest: %s: %w", rel, readErr)
		}
		load.Status, load.Message = warehouse.StatusRejected, re.Error()
		load.Problem = warehouse.Problem{Line: re.Line, Field: re.Name, Column: re.Column, Code: re.Code, Value: re.Value, Detail: re.Detail}
		if err := j.opts.Warehouse.RecordLoad(ctx, load); err != nil {
			return false, 0, "", err
		}
		j.log.Warn("file rejected", "source", src.Name, "file", rel, "problem", re.Error())
		return false, 0, re.Error(), nil
	}
	// A new content for a file already loaded is a corrected delivery: it
	// replaces the earlier load instead of adding to it.
	previous, err := j.opts.Warehouse.CurrentLoads(ctx, src.Name, rel)
	if err != nil {
		return false, 0, "", err
	}
	load.Status, load.Rows = warehouse.StatusLoaded, uint64(n)
	if err := j.opts.Warehouse.RecordLoad(ctx, load, previous...); err != nil {
		return false, 0, "", err
	}
	j.log.Info("file loaded", "source", src.Name, "file", rel, "rows", n, "replaces", len(previous))
	return true, uint64(n), "", nil
}

// readAndSend reads a file and sends its rows in chunks; the next chunk is
// parsed while the previous one is being inserted. sent reports whether any
// chunk reached the server.
func (j *Job) readAndSend(ctx context.Context, src *sources.Spec, file string, env sources.Env, dataset *sources.Dataset) (rows int, sent bool, err error) {
	columns := dataset.Columns()
	chunks := make(chan [][]any, 1)
	inserted := make(chan error, 1)
	var failed atomic.Bool
	go func() {
		var err error
		for chunk := range chunks {
			if err == nil {
				if err = j.opts.Warehouse.InsertRows(ctx, dataset.Table, columns, chunk); err != nil {
					failed.Store(true)
				}
			}
		}
		inserted <- err
	}()
	rows, err = sources.Read(ctx, src, file, env, j.opts.ChunkRows, func(chunk [][]any) error {
		if failed.Load() {
			return errInsertFailed
		}
		sent = true
		chunks <- chunk
		return nil
	})
	close(chunks)
	if insertErr := <-inserted; insertErr != nil {
		return rows, sent, insertErr
	}
	return rows, sent, err
}

var errInsertFailed = errors.New("ingest: insert failed")

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
