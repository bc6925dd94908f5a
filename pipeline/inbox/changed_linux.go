//go:build linux

package inbox

import (
	"io/fs"
	"syscall"
	"time"
)

// changeTime is the later of a file's modification and status change times:
// a file moved into the inbox keeps its old modification time but gets a new
// status change time.
func changeTime(info fs.FileInfo) time.Time {
	t := info.ModTime()
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		if c := time.Unix(st.Ctim.Sec, st.Ctim.Nsec); c.After(t) {
			t = c
		}
	}
	return t
}
