package managed

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ownerDataDirEnv tells the test binary, run again as a child, to act as a
// program owning a server: start it, print its pid, then wait to be killed.
const ownerDataDirEnv = "MANAGED_TEST_OWNER_DATA_DIR"

// ownerPasswordEnv gives that child the password of its server.
const ownerPasswordEnv = "MANAGED_TEST_OWNER_PASSWORD"

func TestMain(m *testing.M) {
	if dataDir := os.Getenv(ownerDataDirEnv); dataDir != "" {
		os.Exit(runOwner(dataDir))
	}
	os.Exit(m.Run())
}

func runOwner(dataDir string) int {
	s, err := Start(context.Background(), Options{DataDir: dataDir, Binary: os.Getenv(engineEnv),
		Password: os.Getenv(ownerPasswordEnv), StartTimeout: 30 * time.Second})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Printf("pid: %d %s\n", s.PID(), s.Addr())
	time.Sleep(time.Minute)
	return 0
}

func TestServerStopsWhenOwnerIsKilled(t *testing.T) {
	requireBinary(t)
	dataDir := t.TempDir()
	owner := exec.Command(os.Args[0])
	owner.Env = append(os.Environ(), ownerDataDirEnv+"="+dataDir, ownerPasswordEnv+"="+newPassword(t))
	stdout, err := owner.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	defer owner.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read owner output: %v", err)
	}
	fields := strings.Fields(line)
	if len(fields) != 3 || fields[0] != "pid:" {
		t.Fatalf("owner: %s", line)
	}
	pid, err := strconv.Atoi(fields[1])
	if err != nil {
		t.Fatal(err)
	}
	addr := fields[2]

	if err := owner.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	owner.Wait()

	// The server is no child of ours, so it may linger as a zombie until
	// init reaps it: watch its port rather than its pid.
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("server pid %d still answers on %s after its owner was killed", pid, addr)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Its state file is left behind; the next Start must see it is stale.
	s := startServer(t, dataDir)
	if s.Reused() {
		t.Error("Start after the owner died: Reused() = true")
	}
}

func TestRecordedServerNotAnswering(t *testing.T) {
	requireBinary(t)
	dataDir := t.TempDir()
	// A process whose command line names our config looks like our server
	// still starting or stopping: Start must wait for it, not start a second
	// server beside it.
	hung := exec.Command("sh", "-c", "sleep 60", configFlag+filepath.Join(dataDir, configFile))
	hung.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so the sleep goes with it
	if err := hung.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-hung.Process.Pid, syscall.SIGKILL)
		hung.Wait()
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	st := serverState{PID: hung.Process.Pid, TCPPort: port, HTTPPort: port, StartedAt: time.Now()}
	if err := writeState(filepath.Join(dataDir, stateFile), st); err != nil {
		t.Fatal(err)
	}

	opts := testOptions(t, dataDir, newPassword(t))
	opts.StartTimeout = 500 * time.Millisecond
	s, err := Start(t.Context(), opts)
	if err == nil {
		s.Close()
		t.Fatal("Start succeeded beside a recorded server")
	}
	if !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("error = %v, want it to say the recorded server did not answer", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, stateFile)); err != nil {
		t.Errorf("state file of the recorded server: %v", err)
	}
}
