package managed

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr puts the server in its own process group, so a Ctrl-C in the
// terminal reaches only our program, which then stops the server in order.
// Pdeathsig makes the kernel send SIGTERM to the server if our process dies
// without calling Close (strictly: if the thread that started it exits, which
// the Go runtime does not do for ordinary goroutines).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// isServerProcess reports whether pid is a server started with cfgPath, so
// that a pid recorded before a reboot and since taken by another program is
// not mistaken for our server. A zombie has an empty command line and is not
// a server.
func isServerProcess(pid int, cfgPath string) bool {
	if !processAlive(pid) {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		// Unreadable (e.g. hidepid): fall back to the pid being alive.
		return !errors.Is(err, os.ErrNotExist)
	}
	return slices.Contains(strings.Split(string(cmdline), "\x00"), configFlag+cfgPath)
}
