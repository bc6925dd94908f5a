package managed

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fastSupervision checks often and retries soon, to keep the tests short.
var fastSupervision = SuperviseOptions{CheckInterval: 100 * time.Millisecond,
	MinBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond}

// recoveryTimeout bounds the wait for a supervisor to bring a server back.
const recoveryTimeout = 30 * time.Second

// addrLog records the addresses passed to OnChange.
type addrLog struct {
	mu    sync.Mutex
	addrs []string
}

func (l *addrLog) add(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addrs = append(l.addrs, addr)
}

func (l *addrLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.addrs...)
}

// supervise starts a supervisor with fast checks, closed at the end of the
// test.
func supervise(t *testing.T, opts Options, changes *addrLog) *Supervisor {
	t.Helper()
	sopts := fastSupervision
	if changes != nil {
		sopts.OnChange = changes.add
	}
	sup, err := Supervise(t.Context(), opts, sopts)
	if err != nil {
		t.Fatalf("Supervise: %v", err)
	}
	t.Cleanup(func() { sup.Close() })
	return sup
}

// waitForNewServer waits until sup serves, from a process other than oldPID,
// and answers an authenticated ping.
func waitForNewServer(t *testing.T, sup *Supervisor, oldPID int, password string) *Server {
	t.Helper()
	deadline := time.Now().Add(recoveryTimeout)
	for {
		srv := sup.Server()
		if srv.PID() != oldPID && sup.Up() {
			if err := ping(t.Context(), srv.TCPPort(), password); err == nil {
				return srv
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no server answering within %s: pid %d, up %v", recoveryTimeout, srv.PID(), sup.Up())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSuperviseRestartsAKilledServer(t *testing.T) {
	requireBinary(t)
	dataDir := t.TempDir()
	opts := testOptions(t, dataDir, newPassword(t))
	var changes addrLog
	sup := supervise(t, opts, &changes)
	old := sup.Server()
	if old.Reused() || !sup.Up() || sup.Addr() != old.Addr() {
		t.Fatalf("first server: reused %v, up %v, addr %s vs %s", old.Reused(), sup.Up(), sup.Addr(), old.Addr())
	}

	if err := syscall.Kill(old.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv := waitForNewServer(t, sup, old.PID(), opts.Password)

	if srv.Reused() {
		t.Error("the restarted server is reused, want it owned")
	}
	if sup.Addr() != srv.Addr() {
		t.Errorf("Addr() = %s, Server().Addr() = %s", sup.Addr(), srv.Addr())
	}
	// The old port was freed by the kill: the new server takes it again.
	if srv.Addr() != old.Addr() {
		t.Errorf("restarted on %s, want the previous address %s", srv.Addr(), old.Addr())
	}
	if got := changes.get(); len(got) != 0 {
		t.Errorf("OnChange called with %v while the address stayed", got)
	}
	st, err := readState(filepath.Join(dataDir, stateFile))
	if err != nil || st == nil || st.PID != srv.PID() || st.TCPPort != srv.TCPPort() {
		t.Errorf("state = %+v, %v; want pid %d port %d", st, err, srv.PID(), srv.TCPPort())
	}

	if err := sup.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if processAlive(srv.PID()) {
		t.Errorf("pid %d alive after Close", srv.PID())
	}
}

func TestSuperviseMovesToAFreePort(t *testing.T) {
	requireBinary(t)
	opts := testOptions(t, t.TempDir(), newPassword(t))
	var changes addrLog
	sup := supervise(t, opts, &changes)
	old := sup.Server()
	// Kill the server and take its port while holding the data dir lock,
	// which the supervisor needs to start again.
	lock, err := lockDir(t.Context(), filepath.Join(opts.DataDir, lockFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(old.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-old.exited
	squatter, err := net.Listen("tcp", old.Addr())
	if err != nil {
		t.Fatalf("take the port of the killed server: %v", err)
	}
	defer squatter.Close()
	lock.unlock()

	srv := waitForNewServer(t, sup, old.PID(), opts.Password)
	if srv.Addr() == old.Addr() {
		t.Fatalf("restarted on the taken address %s", srv.Addr())
	}
	if got := changes.get(); len(got) != 1 || got[0] != srv.Addr() {
		t.Errorf("OnChange calls = %v, want [%s]", got, srv.Addr())
	}
}

func TestSuperviseTakesOver(t *testing.T) {
	requireBinary(t)
	tests := []struct {
		name string
		// owner starts the owning side on opts and returns the server's
		// pid and a function making the owner go away.
		owner func(t *testing.T, opts Options) (pid int, leave func())
	}{
		{name: "owner in this process closes", owner: func(t *testing.T, opts Options) (int, func()) {
			sup := supervise(t, opts, nil)
			return sup.Server().PID(), func() {
				if err := sup.Close(); err != nil {
					t.Errorf("owner Close: %v", err)
				}
			}
		}},
		{name: "owner process killed", owner: startOwnerProcess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(t, t.TempDir(), newPassword(t))
			pid, leave := tt.owner(t, opts)

			var changes addrLog
			other := supervise(t, opts, &changes)
			first := other.Server()
			if !first.Reused() || first.PID() != pid {
				t.Fatalf("second supervisor: reused %v pid %d, want the owner's server pid %d", first.Reused(), first.PID(), pid)
			}

			leave()
			srv := waitForNewServer(t, other, pid, opts.Password)
			if srv.Reused() {
				t.Error("server after the take-over is reused, want it owned")
			}
			if got := changes.get(); srv.Addr() != first.Addr() && (len(got) != 1 || got[0] != srv.Addr()) {
				t.Errorf("OnChange calls = %v after a move to %s", got, srv.Addr())
			}
			if err := other.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if processAlive(srv.PID()) {
				t.Errorf("pid %d alive after Close", srv.PID())
			}
		})
	}
}

// startOwnerProcess runs the test binary as a program owning a server on
// opts.DataDir (see runOwner), and returns the server's pid and a function
// killing the owner.
func startOwnerProcess(t *testing.T, opts Options) (int, func()) {
	owner := exec.Command(os.Args[0])
	owner.Env = append(os.Environ(), ownerDataDirEnv+"="+opts.DataDir, ownerPasswordEnv+"="+opts.Password)
	stdout, err := owner.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		owner.Process.Kill()
		owner.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read owner output: %v", err)
	}
	var pid int
	var addr string
	if _, err := fmt.Sscanf(line, "pid: %d %s", &pid, &addr); err != nil {
		t.Fatalf("owner: %q: %v", strings.TrimSpace(line), err)
	}
	return pid, func() {
		if err := owner.Process.Kill(); err != nil {
			t.Error(err)
		}
		owner.Wait()
	}
}

func TestSuperviseOutlivesARefusedLogin(t *testing.T) {
	requireBinary(t)
	opts := testOptions(t, t.TempDir(), newPassword(t))
	sup := supervise(t, opts, nil)
	first := sup.Server()
	if err := ping(t.Context(), first.TCPPort(), "wrong"); !errors.Is(err, errRefused) {
		t.Fatalf("ping with a wrong password: %v, want errRefused", err)
	}
	// bassins-chdb ends at a refused login (see the package comment) and
	// is started again; clickhouse-server goes on.
	if filepath.Base(testBinary(t)) == chdbName {
		waitForNewServer(t, sup, first.PID(), opts.Password)
		return
	}
	if err := ping(t.Context(), first.TCPPort(), opts.Password); err != nil {
		t.Fatalf("ping after a refused login: %v", err)
	}
	if !processAlive(first.PID()) || sup.Server() != first {
		t.Errorf("server changed after a refused login: pid %d alive %v", first.PID(), processAlive(first.PID()))
	}
}

func TestSuperviseFailures(t *testing.T) {
	requireBinary(t)
	tests := []struct {
		name    string
		opts    func(t *testing.T) Options
		wantErr string
	}{
		{name: "no password", opts: func(t *testing.T) Options { return testOptions(t, t.TempDir(), "") },
			wantErr: "password is required"},
		{name: "server exits at once", opts: func(t *testing.T) Options {
			opts := testOptions(t, t.TempDir(), "p")
			opts.Binary = "false"
			return opts
		}, wantErr: "exited during start-up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sup, err := Supervise(t.Context(), tt.opts(t), fastSupervision)
			if err == nil {
				sup.Close()
				t.Fatal("Supervise succeeded")
			}
			if !strings.HasPrefix(err.Error(), "managed: supervise: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want the package prefix and %q", err, tt.wantErr)
			}
		})
	}
}

// A server this process started that stops answering (here frozen with
// SIGSTOP) is killed after HangAfter and started again.
func TestSuperviseRestartsAHungServer(t *testing.T) {
	requireBinary(t)
	opts := testOptions(t, t.TempDir(), newPassword(t))
	sopts := fastSupervision
	sopts.HangAfter = time.Second
	sup, err := Supervise(t.Context(), opts, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sup.Close() })
	old := sup.Server()
	if err := syscall.Kill(old.PID(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(old.PID(), syscall.SIGCONT) })
	srv := waitForNewServer(t, sup, old.PID(), opts.Password)
	if srv.Reused() {
		t.Error("the server started again is reused, want it owned")
	}
	if processAlive(old.PID()) {
		t.Errorf("the hung server (pid %d) still runs", old.PID())
	}
}
