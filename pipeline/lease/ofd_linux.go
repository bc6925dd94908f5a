package lease

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// On Linux the lock is an open file description lock (F_OFD_SETLK): like
// flock it belongs to the open file and dies with its process, and unlike
// flock it can be tested without being taken (F_OFD_GETLK).

func wholeFile(typ int16) *unix.Flock_t {
	return &unix.Flock_t{Type: typ, Whence: 0, Start: 0, Len: 0}
}

// tryLock takes an exclusive lock on f without waiting; false when held.
func tryLock(f *os.File) (bool, error) {
	for {
		err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, wholeFile(unix.F_WRLCK))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EACCES):
			return false, nil
		default:
			return false, err
		}
	}
}

// isLocked reports whether any open file holds a lock on f's file.
func isLocked(f *os.File) (bool, error) {
	lk := wholeFile(unix.F_WRLCK)
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_GETLK, lk); err != nil {
		return false, err
	}
	return lk.Type != unix.F_UNLCK, nil
}
