// Package lease takes exclusive locks on files of the shared state folder and
// says who holds them. A lock belongs to the open file, not to the process:
// two opens in one process exclude each other as two processes do, and the
// kernel drops the lock when its holder dies, so a crash never leaves a stale
// lock behind. The holder writes who it is into the locked file; the file
// itself is never removed.
package lease

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Holder says who holds a lock.
type Holder struct {
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// Addr is the holder's dashboards address; it may be empty.
	Addr  string    `json:"addr,omitempty"`
	Since time.Time `json:"since"`
}

// String names the holder for a message: host, pid, since when, and the
// dashboards address when known.
func (h Holder) String() string {
	if h.Host == "" && h.PID == 0 {
		return "an unknown process"
	}
	s := fmt.Sprintf("%s:%d", h.Host, h.PID)
	if !h.Since.IsZero() {
		s += " since " + h.Since.Format(time.RFC3339)
	}
	if h.Addr != "" {
		s += " (dashboards " + h.Addr + ")"
	}
	return s
}

// ErrHeld is returned (wrapped, naming the holder) when another open file
// holds the lock.
var ErrHeld = errors.New("lease: held by another process")

// ErrNotHeld is returned by ReadHolder when nobody holds the lock.
var ErrNotHeld = errors.New("lease: not held")

// Lock is a held lock; Release drops it.
type Lock struct {
	f      *os.File
	path   string
	holder Holder
}

// TryAcquire takes the lock on path (creating the file and its folder)
// without waiting and writes h into it. When another open file holds it, the
// error wraps ErrHeld and names the holder.
func TryAcquire(path string, h Holder) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lease: %w", err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lease: lock %s: %w", path, err)
	}
	if !ok {
		f.Close()
		holder := currentHolder(path)
		return nil, fmt.Errorf("lease: %s is held by %s: %w", path, holder, ErrHeld)
	}
	if h.Since.IsZero() {
		h.Since = time.Now()
	}
	if err := writeHolder(f, h); err != nil {
		f.Close()
		return nil, fmt.Errorf("lease: write holder to %s: %w", path, err)
	}
	return &Lock{f: f, path: path, holder: h}, nil
}

// Acquire takes the lock on path, trying again every poll until it gets it
// or ctx ends.
func Acquire(ctx context.Context, path string, h Holder, poll time.Duration) (*Lock, error) {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lease: wait for %s: %w", path, context.Cause(ctx))
		case <-t.C:
		}
		l, err := TryAcquire(path, h)
		if !errors.Is(err, ErrHeld) {
			return l, err
		}
		t.Reset(poll)
	}
}

// ReadHolder returns who holds the lock on path now, or ErrNotHeld. It tests
// the lock without taking it, so it never disturbs an acquirer. Right after
// an acquirer took the lock its holder may not be written yet: after a short
// wait for it, the Holder is zero with a nil error.
func ReadHolder(path string) (Holder, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Holder{}, ErrNotHeld
	}
	if err != nil {
		return Holder{}, fmt.Errorf("lease: %w", err)
	}
	defer f.Close()
	held, err := isLocked(f)
	if err != nil {
		return Holder{}, fmt.Errorf("lease: test %s: %w", path, err)
	}
	if !held {
		return Holder{}, ErrNotHeld
	}
	return currentHolder(path), nil
}

// Holder returns the holder written when the lock was taken.
func (l *Lock) Holder() Holder { return l.holder }

// Release drops the lock. It may be called more than once.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = l.f.Close() // closing the file drops the lock
	l.f = nil
}

// writeHolder writes h as one JSON line at the start of the file, then cuts
// what followed: a reader at any moment sees a whole first line.
func writeHolder(f *os.File, h Holder) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := f.WriteAt(b, 0); err != nil {
		return err
	}
	return f.Truncate(int64(len(b)))
}

// currentHolder reads the holder of a held lock, giving a holder that has
// just taken it a few milliseconds to write itself.
func currentHolder(path string) Holder {
	for range 20 {
		if h, err := readHolderFile(path); err == nil {
			return h
		}
		time.Sleep(time.Millisecond)
	}
	return Holder{}
}

func readHolderFile(path string) (Holder, error) {
	var h Holder
	b, err := os.ReadFile(path)
	if err != nil {
		return h, err
	}
	line, _, found := bytes.Cut(b, []byte{'\n'})
	if !found {
		return h, errors.New("no holder written")
	}
	return h, json.Unmarshal(line, &h)
}
