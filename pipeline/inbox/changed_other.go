//go:build !linux

package inbox

import (
	"io/fs"
	"time"
)

// changeTime is a file's modification time (its status change time is only
// read on Linux).
func changeTime(info fs.FileInfo) time.Time { return info.ModTime() }
