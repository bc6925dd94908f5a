package dashboards

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// ChromiumPath is where Debian installs chromium.
const ChromiumPath = "/usr/bin/chromium"

// ErrNoBrowser is returned by DumpDOM when chromium is not installed; tests
// skip on it.
var ErrNoBrowser = errors.New("dashboards: chromium is not installed at " + ChromiumPath)

// DumpDOM loads url in headless chromium, lets its scripts run for up to five
// seconds of virtual time, and returns the resulting DOM as HTML. It is meant
// for end-to-end tests: the browser runs with a throw-away profile and with
// its own background traffic (updates, sync, QUIC) turned off, so the page's
// requests are the only ones.
func DumpDOM(ctx context.Context, url string) (string, error) {
	if _, err := os.Stat(ChromiumPath); err != nil {
		return "", ErrNoBrowser
	}
	profile, err := os.MkdirTemp("", "dashboards-chromium-")
	if err != nil {
		return "", fmt.Errorf("dashboards: chromium profile: %w", err)
	}
	defer os.RemoveAll(profile)
	cmd := exec.CommandContext(ctx, ChromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+profile,
		"--virtual-time-budget=5000", "--dump-dom", url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("dashboards: chromium %s: %w: %s", url, err, lastLines(stderr.String(), 5))
	}
	return stdout.String(), nil
}

// lastLines returns the end of chromium's chatter, where its error is.
func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}
