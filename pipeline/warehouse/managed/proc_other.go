//go:build unix && !linux

package managed

import "syscall"

// sysProcAttr puts the server in its own process group, so a Ctrl-C in the
// terminal reaches only our program, which then stops the server in order.
// There is no parent-death signal outside Linux: a server whose owner was
// killed keeps running and is reused by the next Start.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// isServerProcess reports whether pid may be a server started with cfgPath.
// Without /proc only its being alive can be checked.
func isServerProcess(pid int, cfgPath string) bool {
	return processAlive(pid)
}
