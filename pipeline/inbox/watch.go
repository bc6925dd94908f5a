// Package inbox watches the delivery folder and tells when a delivered file
// is complete, so that it can be loaded within seconds of its arrival rather
// than at the next scheduled ingest.
//
// A file is complete when its size and modification time have not changed
// for a settle period, or at once when it appears by rename (the usual
// upload pattern: write "x.jsonl.part", then rename it to "x.jsonl").
// Temporary and hidden names are never reported.
//
// Only changes made after Watch starts are reported: the files already in
// the inbox are left to the scheduled ingest. A periodic rescan of the whole
// tree catches what the notifications missed (lost events, a queue
// overflow); it looks at the files changed since the previous rescan, with a
// margin of a second, so a file changed just before Watch started may be
// reported by the first rescan.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options configures Watch.
type Options struct {
	// Dir is the inbox; it is created when missing.
	Dir string
	// Match says which files belong to a source, given their slash-separated
	// path relative to Dir; nil accepts every file.
	Match func(rel string) bool
	// Settle is how long a file's size and modification time must stay
	// unchanged for the file to be complete. Default 2s.
	Settle time.Duration
	// Rescan is how often the whole tree is looked at, in case
	// notifications were lost. Default 1 minute.
	Rescan time.Duration
	Logger *slog.Logger
	// Now tells the time; default time.Now. The rescan compares it with
	// the files' times, so it must follow the wall clock.
	Now func() time.Time
}

const (
	defaultSettle = 2 * time.Second
	defaultRescan = time.Minute
	// rescanMargin widens each rescan's window backwards, for coarse or
	// slightly late file timestamps.
	rescanMargin = time.Second
)

// Watch calls ready with the files (slash-separated paths relative to
// opts.Dir) that became complete since the previous call, sorted and
// batched: the files completed while ready runs come in the next call. ready
// is never called concurrently with itself, nor after Watch returns.
//
// Watch blocks until ctx is done, then returns nil; it returns an error when
// the inbox cannot be created or watched. The files completed but not yet
// handed to ready when ctx ends are dropped (the scheduled ingest loads
// them).
func Watch(ctx context.Context, opts Options, ready func(ctx context.Context, files []string)) error {
	w, err := newWatcher(opts)
	if err != nil {
		return err
	}
	defer w.close()
	return w.run(ctx, ready)
}

// fileState is what is known of a pending file.
type fileState struct {
	size     int64
	modified time.Time
	// stableSince is when the size and modification time were last seen
	// to change.
	stableSince time.Time
}

// stamp tells two versions of a file apart without reading it.
type stamp struct {
	size     int64
	modified time.Time
	// changed is the later of the modification and status change times,
	// used to age the entry out.
	changed time.Time
}

type watcher struct {
	opts Options
	root string
	log  *slog.Logger
	fw   *fsnotify.Watcher

	// dirs are the watched folders (absolute paths).
	dirs map[string]struct{}
	// pending are the files seen changing and not yet complete.
	pending map[string]*fileState
	// reported are the files reported since shortly before the previous
	// rescan, so that the next rescan does not report them again; entries
	// leave once their change time falls out of the rescan window.
	reported map[string]stamp
	// lastScan is when the previous rescan (or Watch) started.
	lastScan time.Time
	// afterRename is set by a rename event and cleared by any other: a
	// creation right after a rename is the other half of that rename.
	afterRename bool

	out batch
}

func newWatcher(opts Options) (*watcher, error) {
	if opts.Dir == "" {
		return nil, errors.New("inbox: no folder to watch")
	}
	if opts.Settle <= 0 {
		opts.Settle = defaultSettle
	}
	if opts.Rescan <= 0 {
		opts.Rescan = defaultRescan
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	root, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("inbox: watching %s: %w", root, err)
	}
	w := &watcher{
		opts:     opts,
		root:     root,
		log:      log.With("component", "inbox"),
		fw:       fw,
		dirs:     map[string]struct{}{},
		pending:  map[string]*fileState{},
		reported: map[string]stamp{},
		out:      batch{files: map[string]struct{}{}, kick: make(chan struct{}, 1)},
	}
	w.lastScan = opts.Now()
	if err := w.fw.Add(root); err != nil {
		fw.Close()
		return nil, fmt.Errorf("inbox: watching %s: %w", root, err)
	}
	w.dirs[root] = struct{}{}
	// The files already present are not reported: only the folders are
	// watched.
	w.addTree(root, false, false)
	return w, nil
}

func (w *watcher) close() { w.fw.Close() }

// run handles events until ctx is done, handing complete files to ready from
// one goroutine.
func (w *watcher) run(ctx context.Context, ready func(ctx context.Context, files []string)) error {
	var wg sync.WaitGroup
	wg.Go(func() { w.out.deliver(ctx, ready) })
	defer wg.Wait()

	check := time.NewTicker(min(max(w.opts.Settle/4, 10*time.Millisecond), time.Second))
	defer check.Stop()
	rescan := time.NewTicker(w.opts.Rescan)
	defer rescan.Stop()
	w.log.Info("watching the inbox", "dir", w.root, "settle", w.opts.Settle, "rescan", w.opts.Rescan)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.fw.Events:
			if !ok {
				return errors.New("inbox: the watcher stopped")
			}
			w.handle(ev)
		case err, ok := <-w.fw.Errors:
			if !ok {
				return errors.New("inbox: the watcher stopped")
			}
			w.handleError(err)
		case <-check.C:
			w.checkPending()
		case <-rescan.C:
			w.rescan()
		}
	}
}

// handleError logs a watcher error and looks at the whole tree, since
// events may have been lost.
func (w *watcher) handleError(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		w.log.Warn("inbox events lost, rescanning", "err", err)
	} else {
		w.log.Warn("inbox watcher error, rescanning", "err", err)
	}
	w.rescan()
}

// handle reacts to one notification.
func (w *watcher) handle(ev fsnotify.Event) {
	renamedIn := w.afterRename && ev.Has(fsnotify.Create)
	w.afterRename = ev.Has(fsnotify.Rename) && !ev.Has(fsnotify.Create)

	path := filepath.Clean(ev.Name)
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		w.forget(path)
		return
	}
	info, err := os.Stat(path)
	if err != nil {
		// Gone again already; its removal event follows.
		return
	}
	if info.IsDir() {
		if ev.Has(fsnotify.Create) {
			w.addTree(path, true, renamedIn)
		}
		return
	}
	w.seeFile(path, info, renamedIn)
}

// forget drops a removed or renamed path: a pending file, or a folder with
// everything under it.
func (w *watcher) forget(path string) {
	rel, ok := w.rel(path)
	if !ok {
		return
	}
	delete(w.pending, rel)
	if _, isDir := w.dirs[path]; !isDir {
		return
	}
	prefix := rel + "/"
	for p := range w.pending {
		if strings.HasPrefix(p, prefix) {
			delete(w.pending, p)
		}
	}
	for d := range w.dirs {
		if d == path || strings.HasPrefix(d, path+string(filepath.Separator)) {
			// A renamed folder keeps its watch under the old name;
			// the new name is watched when its creation is seen.
			_ = w.fw.Remove(d)
			delete(w.dirs, d)
		}
	}
}

// addTree watches a folder and the folders under it. When files is set, the
// files found are new: complete at once when the folder came by rename,
// pending otherwise.
func (w *watcher) addTree(dir string, files, renamedIn bool) {
	_, err := w.walk(dir, false, func(path string) {
		if files {
			if info, err := os.Stat(path); err == nil {
				w.seeFile(path, info, renamedIn)
			}
		}
	})
	if err != nil {
		w.log.Warn("inbox folder not watched", "dir", dir, "err", err)
	}
}

// walk watches dir and the folders under it, hidden ones left out, and calls
// file for every other entry. With again, a folder already watched is
// watched again (a watch lost without notice comes back). It returns the
// folders it found.
func (w *watcher) walk(dir string, again bool, file func(path string)) (map[string]struct{}, error) {
	seen := map[string]struct{}{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			w.log.Warn("inbox folder unreadable", "dir", path, "err", err)
			return nil
		}
		if !d.IsDir() {
			file(path)
			return nil
		}
		if path != w.root && hidden(d.Name()) {
			return filepath.SkipDir
		}
		if _, known := w.dirs[path]; again || !known {
			if err := w.fw.Add(path); err != nil {
				w.log.Warn("inbox folder not watched", "dir", path, "err", err)
				return nil
			}
		}
		seen[path] = struct{}{}
		w.dirs[path] = struct{}{}
		return nil
	})
	return seen, err
}

// seeFile notes that a file was created, written or renamed in.
func (w *watcher) seeFile(path string, info fs.FileInfo, renamedIn bool) {
	rel, ok := w.wanted(path)
	if !ok || !info.Mode().IsRegular() {
		return
	}
	now := w.opts.Now()
	// A file renamed in is complete, unless it is empty: a creation
	// following an unrelated rename is then not taken for its other half.
	if renamedIn && info.Size() > 0 {
		w.complete(rel, info)
		return
	}
	if st, ok := w.pending[rel]; ok {
		if st.size != info.Size() || !st.modified.Equal(info.ModTime()) {
			st.size, st.modified, st.stableSince = info.Size(), info.ModTime(), now
		}
		return
	}
	if s, ok := w.reported[rel]; ok && s.size == info.Size() && s.modified.Equal(info.ModTime()) {
		// Unchanged since reported (attributes touched, or seen again
		// by a rescan).
		return
	}
	w.pending[rel] = &fileState{size: info.Size(), modified: info.ModTime(), stableSince: now}
	w.log.Debug("inbox file arriving", "file", rel)
}

// checkPending reports the pending files that stopped changing.
func (w *watcher) checkPending() {
	now := w.opts.Now()
	for rel, st := range w.pending {
		info, err := os.Stat(filepath.Join(w.root, filepath.FromSlash(rel)))
		if err != nil || !info.Mode().IsRegular() {
			delete(w.pending, rel)
			continue
		}
		if st.size != info.Size() || !st.modified.Equal(info.ModTime()) {
			st.size, st.modified, st.stableSince = info.Size(), info.ModTime(), now
			continue
		}
		if now.Sub(st.stableSince) >= w.opts.Settle {
			w.complete(rel, info)
		}
	}
}

// complete hands a file to the next batch.
func (w *watcher) complete(rel string, info fs.FileInfo) {
	delete(w.pending, rel)
	w.reported[rel] = stamp{size: info.Size(), modified: info.ModTime(), changed: changeTime(info)}
	w.log.Info("inbox file complete", "file", rel, "bytes", info.Size())
	w.out.add(rel)
}

// rescan looks at the whole tree: it watches every folder again and takes as pending the files changed since the previous rescan.
func (w *watcher) rescan() {
	now := w.opts.Now()
	since := w.lastScan.Add(-rescanMargin)
	w.lastScan = now
	if err := os.MkdirAll(w.root, 0o750); err != nil {
		w.log.Warn("inbox missing", "dir", w.root, "err", err)
		return
	}
	seen, err := w.walk(w.root, true, func(path string) {
		if _, ok := w.wanted(path); !ok {
			return
		}
		info, err := os.Stat(path)
		if err != nil || !info.Mode().IsRegular() || changeTime(info).Before(since) {
			return
		}
		w.seeFile(path, info, false)
	})
	if err != nil {
		w.log.Warn("inbox rescan failed", "dir", w.root, "err", err)
		return
	}
	for d := range w.dirs {
		if _, ok := seen[d]; !ok {
			_ = w.fw.Remove(d)
			delete(w.dirs, d)
		}
	}
	// A reported file changed before this window cannot be found by the
	// next rescan: forget it.
	next := now.Add(-rescanMargin)
	for rel, s := range w.reported {
		if s.changed.Before(next) {
			delete(w.reported, rel)
		}
	}
}

// rel returns a path relative to the inbox, slash-separated.
func (w *watcher) rel(path string) (string, bool) {
	rel, err := filepath.Rel(w.root, path)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// wanted returns the relative path of a file that may be reported.
func (w *watcher) wanted(path string) (string, bool) {
	rel, ok := w.rel(path)
	if !ok || Ignored(rel) {
		return "", false
	}
	if w.opts.Match != nil && !w.opts.Match(rel) {
		return "", false
	}
	return rel, true
}

// Ignored tells the files that are not deliveries, or not yet: temporary
// names of files being uploaded (.part, .tmp, .partial, ~) and hidden files
// or folders. rel is slash-separated, relative to the inbox. The scheduled
// ingest skips them as the watcher does.
func Ignored(rel string) bool {
	parts := strings.Split(rel, "/")
	if slices.ContainsFunc(parts, hidden) {
		return true
	}
	base := parts[len(parts)-1]
	for _, suffix := range []string{".part", ".tmp", ".partial", "~"} {
		if strings.HasSuffix(base, suffix) {
			return true
		}
	}
	return false
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// batch collects the complete files until they are handed over.
type batch struct {
	mu    sync.Mutex
	files map[string]struct{}
	kick  chan struct{}
}

func (b *batch) add(rel string) {
	b.mu.Lock()
	b.files[rel] = struct{}{}
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *batch) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.files) == 0 {
		return nil
	}
	files := make([]string, 0, len(b.files))
	for f := range b.files {
		files = append(files, f)
	}
	clear(b.files)
	slices.Sort(files)
	return files
}

// deliver calls ready with each batch, one call at a time, until ctx is
// done.
func (b *batch) deliver(ctx context.Context, ready func(ctx context.Context, files []string)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		}
		if files := b.take(); len(files) > 0 && ctx.Err() == nil {
			ready(ctx, files)
		}
	}
}
