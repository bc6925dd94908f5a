package managed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// serverState is what DataDir/server.json records about a running server, so
// that another Start on the same DataDir finds it instead of starting a second
// one.
type serverState struct {
	PID       int       `json:"pid"`
	TCPPort   int       `json:"tcp_port"`
	HTTPPort  int       `json:"http_port"`
	StartedAt time.Time `json:"started_at"`
}

// readState reads the state file. It returns (nil, nil) when there is none.
func readState(path string) (*serverState, error) {
	body, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st serverState
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return &st, nil
}

func writeState(path string, st serverState) error {
	body, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(body, '\n'), privateFile)
}

// removeStateIfOwned removes the state file if it still describes pid, so a
// server never deletes the record of another one.
func removeStateIfOwned(path string, pid int) error {
	st, err := readState(path)
	if err != nil || st == nil || st.PID != pid {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// processAlive reports whether a process with this pid exists. EPERM means it
// exists but belongs to another user.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// dirLock is an exclusive flock on DataDir/server.lock. flock locks belong to
// the open file description, so two Starts in the same process exclude each
// other as well as two processes do; the kernel drops the lock if the
// process dies.
type dirLock struct {
	f *os.File
}

// lockDir takes the lock, polling so that ctx can cancel the wait.
func lockDir(ctx context.Context, path string) (*dirLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privateFile)
	if err != nil {
		return nil, err
	}
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &dirLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("flock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for %s: %w", path, context.Cause(ctx))
		case <-ticker.C:
		}
	}
}

// unlock releases the lock; closing the file drops it.
func (l *dirLock) unlock() {
	if l != nil {
		l.f.Close()
	}
}
