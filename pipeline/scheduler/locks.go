package scheduler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/brusano/bassins/pipeline/lease"
)

// Locker gives locks shared with other processes. The scheduler takes
// "job-<name>" with TryLock around every run of a job (held elsewhere: the
// error wraps ErrBusy) and "lane-<lane>" with Lock around every attempt of a
// job in a lane.
type Locker interface {
	TryLock(name string) (unlock func(), err error)
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// lockPoll is how often FileLocker tries a lock it waits for.
const lockPoll = 100 * time.Millisecond

// FileLocker returns a Locker on the files dir/<name>.lock, naming h as their
// holder (Since is set at each acquisition). The directory is created when
// needed.
func FileLocker(dir string, h lease.Holder) Locker {
	h.Since = time.Time{}
	return &fileLocker{dir: dir, holder: h}
}

type fileLocker struct {
	dir    string
	holder lease.Holder
}

func (f *fileLocker) path(name string) (string, error) {
	if name == "" || strings.HasPrefix(name, ".") || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("scheduler: lock name %q", name)
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return "", fmt.Errorf("scheduler: lock folder: %w", err)
	}
	return filepath.Join(f.dir, name+".lock"), nil
}

func (f *fileLocker) TryLock(name string) (func(), error) {
	path, err := f.path(name)
	if err != nil {
		return nil, err
	}
	l, err := lease.TryAcquire(path, f.holder)
	if errors.Is(err, lease.ErrHeld) {
		return nil, fmt.Errorf("%w: %w", ErrBusy, err)
	}
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	return l.Release, nil
}

func (f *fileLocker) Lock(ctx context.Context, name string) (func(), error) {
	path, err := f.path(name)
	if err != nil {
		return nil, err
	}
	l, err := lease.Acquire(ctx, path, f.holder, lockPoll)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	return l.Release, nil
}
