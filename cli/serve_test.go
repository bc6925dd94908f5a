package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is written by the command and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestServeStopsEverythingOnCancel(t *testing.T) {
	dir := t.TempDir()
	cfgPath := testConfig(t, dir)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--config", cfgPath, "--addr", "127.0.0.1:0"}, &out, &errOut)
	}()

	address := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	var base string
	for deadline := time.Now().Add(60 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if m := address.FindStringSubmatch(out.String()); m != nil {
			base = "http://" + m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited early with %d: %s", code, errOut.String())
		default:
		}
	}
	if base == "" {
		t.Fatalf("serve printed no address: %s", errOut.String())
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET / before any data: %d, want the pending page", resp.StatusCode)
	}
	state := filepath.Join(dir, "var", "clickhouse", "server.json")
	data, err := os.ReadFile(state)
	if err != nil {
		t.Fatalf("no managed server state while serving: %v", err)
	}
	var server struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal(data, &server); err != nil || server.PID == 0 {
		t.Fatalf("state %s: %v", data, err)
	}

	cancel() // what Ctrl-C does
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited with %d after a cancel: %s", code, errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within a minute")
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the managed server's state file is left behind: %v", err)
	}
	if err := syscall.Kill(server.PID, 0); err == nil {
		t.Errorf("the managed ClickHouse server (pid %d) is still running", server.PID)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the dashboards still answer after the stop")
	}
}
