package dashboards

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ChromiumPath is where Debian installs chromium.
const ChromiumPath = "/usr/bin/chromium"

// ErrNoBrowser is returned by DumpDOM and Screenshot when chromium is not
// installed; tests fail on it.
var ErrNoBrowser = errors.New("dashboards: chromium is not installed at " + ChromiumPath)

// DumpDOM loads url in headless chromium, lets its scripts run for up to five
// seconds of virtual time, and returns the resulting DOM as HTML. It is meant
// for end-to-end tests: the browser runs with a throw-away profile and with
// its own background traffic (updates, sync, QUIC) turned off, so the page's
// requests are the only ones.
func DumpDOM(ctx context.Context, url string) (string, error) {
	out, err := runChromium(ctx, url, "--dump-dom")
	return string(out), err
}

// Screenshot loads url in headless chromium in a window of the given size,
// lets its scripts run as DumpDOM does, and returns the window as a PNG
// image.
func Screenshot(ctx context.Context, url string, width, height int) ([]byte, error) {
	dir, err := os.MkdirTemp("", "dashboards-screenshot-")
	if err != nil {
		return nil, fmt.Errorf("dashboards: screenshot: %w", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "page.png")
	if _, err := runChromium(ctx, url, "--screenshot="+file, fmt.Sprintf("--window-size=%d,%d", width, height), "--hide-scrollbars"); err != nil {
		return nil, err
	}
	png, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("dashboards: screenshot of %s: %w", url, err)
	}
	return png, nil
}

// runChromium runs headless chromium on url with a throw-away profile and
// returns what it writes out.
func runChromium(ctx context.Context, url string, args ...string) ([]byte, error) {
	if _, err := os.Stat(ChromiumPath); err != nil {
		return nil, ErrNoBrowser
	}
	profile, err := os.MkdirTemp("", "dashboards-chromium-")
	if err != nil {
		return nil, fmt.Errorf("dashboards: chromium profile: %w", err)
	}
	defer os.RemoveAll(profile)
	args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + profile, "--virtual-time-budget=5000"}, args...)
	cmd := exec.CommandContext(ctx, ChromiumPath, append(args, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("dashboards: chromium %s: %w: %s", url, err, lastLines(stderr.String(), 5))
	}
	return stdout.Bytes(), nil
}

// lastLines returns the end of chromium's chatter, where its error is.
func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}
