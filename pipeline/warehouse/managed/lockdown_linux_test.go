package managed

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// listeningSockets returns the TCP sockets the process pid listens on, as
// "IP:PORT" with the IP in /proc/net/tcp's hex (0100007F is 127.0.0.1).
func listeningSockets(t *testing.T, pid int) []string {
	t.Helper()
	fdDir := "/proc/" + strconv.Itoa(pid) + "/fd"
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var sockets []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] {
				continue
			}
			ip, port, _ := strings.Cut(fields[1], ":")
			p, err := strconv.ParseInt(port, 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			sockets = append(sockets, ip+":"+strconv.Itoa(int(p)))
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(sockets)
	return sockets
}

// loopbackHex is 127.0.0.1 as /proc/net/tcp writes it.
const loopbackHex = "0100007F"

func TestListensOnLoopbackOnly(t *testing.T) {
	tests := []struct {
		name string
		http bool
	}{
		{name: "native protocol only (default)"},
		{name: "with HTTP", http: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			opts := testOptions(t, dataDir, newPassword(t))
			opts.HTTP = tt.http
			if tt.http && filepath.Base(testBinary(t)) == chdbName {
				// bassins-chdb has no HTTP interface: asking for one is refused.
				if s, err := Start(t.Context(), opts); err == nil {
					s.Close()
					t.Fatal("bassins-chdb started with an HTTP interface asked for")
				}
				return
			}
			s := startServerWith(t, opts)

			want := []string{loopbackHex + ":" + strconv.Itoa(s.TCPPort())}
			if tt.http {
				if s.HTTPPort() == 0 || s.HTTPPort() == s.TCPPort() {
					t.Fatalf("HTTPPort() = %d with HTTP, TCPPort() = %d", s.HTTPPort(), s.TCPPort())
				}
				want = append(want, loopbackHex+":"+strconv.Itoa(s.HTTPPort()))
				slices.Sort(want)
			} else if s.HTTPPort() != 0 {
				t.Errorf("HTTPPort() = %d without HTTP", s.HTTPPort())
			}
			if got := listeningSockets(t, s.PID()); !slices.Equal(got, want) {
				t.Errorf("server listens on %v, want %v", got, want)
			}

			body, err := os.ReadFile(filepath.Join(dataDir, stateFile))
			if err != nil {
				t.Fatal(err)
			}
			var st struct {
				HTTPPort *int `json:"http_port"`
			}
			if err := json.Unmarshal(body, &st); err != nil || st.HTTPPort == nil || *st.HTTPPort != s.HTTPPort() {
				t.Errorf("state file %s: http_port should be %d", body, s.HTTPPort())
			}

			if tt.http {
				client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
				resp, err := client.Get("http://" + s.HTTPAddr() + "/ping")
				if err != nil {
					t.Fatalf("GET /ping: %v", err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if got := strings.TrimSpace(string(body)); got != "Ok." {
					t.Errorf("GET /ping = %q, want %q", got, "Ok.")
				}
			}
		})
	}
}
