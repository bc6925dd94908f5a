package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/sources/demo"
)

// freshnessTarget is the longest a delivery may take to reach the figures.
const freshnessTarget = 60 * time.Second

// freshnessResult is what the freshness measure found.
type freshnessResult struct {
	file     string
	contacts int
	before   int
	elapsed  time.Duration
}

// measureFreshness runs `bassins serve` on demo data (the product's own
// binary, default configuration, folders under dir) whose last month lacks
// one team's delivery, drops that delivery into the inbox and polls the
// dashboards' CSV download until the region's contacts of the month include
// it. It returns how long that took.
func measureFreshness(ctx context.Context, bassins, dir string, progress func(string, ...any)) (freshnessResult, error) {
	var res freshnessResult
	if _, err := os.Stat(bassins); err != nil {
		return res, fmt.Errorf("freshness: the product binary: %w (make bench builds it)", err)
	}
	dir = filepath.Join(dir, "freshness")
	cfgPath := filepath.Join(dir, "bassins.yaml")
	body := strings.ReplaceAll(string(config.Default), " var/", " "+filepath.Join(dir, "var")+"/")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	if err := os.WriteFile(cfgPath, []byte(body), 0o644); err != nil {
		return res, err
	}
	cfg, err := config.LoadFile(cfgPath)
	if err != nil {
		return res, err
	}
	now := time.Now().In(cfg.Location())
	month := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC)
	progress("freshness: writing demo deliveries to %s", month.Format("2006-01"))
	if _, err := demo.Write(ctx, demo.Options{Dir: cfg.Paths.Inbox, Seed: 1, Scale: 0.2, Until: month, Months: 12}); err != nil {
		return res, err
	}
	res.file = filepath.Join("mobile-teams", "combo-"+month.Format("2006-01")+".jsonl")
	held, err := os.ReadFile(filepath.Join(cfg.Paths.Inbox, res.file))
	if err != nil {
		return res, err
	}
	res.contacts = bytes.Count(held, []byte("\n"))
	if err := os.Remove(filepath.Join(cfg.Paths.Inbox, res.file)); err != nil {
		return res, err
	}
	for _, job := range []string{"ingest", "compute"} {
		progress("freshness: bassins run %s", job)
		if out, err := exec.CommandContext(ctx, bassins, "run", job, "--config", cfgPath).CombinedOutput(); err != nil {
			return res, fmt.Errorf("freshness: bassins run %s: %w\n%s", job, err, lastLines(out, 10))
		}
	}

	progress("freshness: starting bassins serve")
	serve := exec.Command(bassins, "serve", "--config", cfgPath, "--addr", "127.0.0.1:0")
	stdout, err := serve.StdoutPipe()
	if err != nil {
		return res, err
	}
	// The server's log stays in the work folder (--keep keeps it).
	logPath := filepath.Join(dir, "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return res, err
	}
	defer logFile.Close()
	serve.Stderr = logFile
	if err := serve.Start(); err != nil {
		return res, err
	}
	defer func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = serve.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(45 * time.Second):
			_ = serve.Process.Kill()
		}
	}()
	base, err := servedAddress(stdout, 60*time.Second)
	if err != nil {
		return res, fmt.Errorf("freshness: %w", err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if err := poll(ctx, 60*time.Second, func() bool { status, _ := get(base + "/readyz"); return status == http.StatusOK }); err != nil {
		return res, fmt.Errorf("freshness: /readyz never answered 200: %w", err)
	}
	// Measure the watcher, not the ingest a starting server makes of what
	// arrived while none ran: drop the file once both are under way.
	if err := poll(ctx, 60*time.Second, func() bool {
		log, _ := os.ReadFile(logPath)
		return bytes.Contains(log, []byte(`msg="watching the inbox"`)) && bytes.Contains(log, []byte(`msg="job done" component=scheduler job=ingest`))
	}); err != nil {
		return res, fmt.Errorf("freshness: bassins serve did not start watching the inbox: %w", err)
	}
	period := month.Format("2006-01")
	if res.before, err = regionContacts(base, period); err != nil {
		return res, err
	}

	progress("freshness: dropping %s (%d contacts) into the inbox", res.file, res.contacts)
	dropped := time.Now()
	if err := os.WriteFile(filepath.Join(cfg.Paths.Inbox, res.file), held, 0o644); err != nil {
		return res, err
	}
	want := res.before + res.contacts
	err = poll(ctx, 3*freshnessTarget, func() bool {
		n, err := regionContacts(base, period)
		return err == nil && n == want
	})
	res.elapsed = time.Since(dropped)
	if err != nil {
		n, _ := regionContacts(base, period)
		log, _ := os.ReadFile(logPath)
		return res, fmt.Errorf("freshness: the region's contacts of %s are %d after %s, want %d (%d + %d)\n%s",
			period, n, res.elapsed.Round(time.Second), want, res.before, res.contacts, lastLines(log, 20))
	}
	return res, nil
}

var servedAt = regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)

// servedAddress reads the address `bassins serve` prints.
func servedAddress(stdout io.Reader, within time.Duration) (string, error) {
	found := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if m := servedAt.FindStringSubmatch(s.Text()); m != nil {
				found <- "http://" + m[1]
				return
			}
		}
		close(found)
	}()
	select {
	case base, ok := <-found:
		if !ok {
			return "", errors.New("bassins serve ended without printing its address")
		}
		return base, nil
	case <-time.After(within):
		return "", fmt.Errorf("bassins serve printed no address within %s", within)
	}
}

// regionContacts reads the region's contacts of a month from the download.
func regionContacts(base, period string) (int, error) {
	status, body := get(base + "/telechargement/indicateurs.csv")
	if status != http.StatusOK {
		return 0, fmt.Errorf("freshness: download: status %d", status)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		return 0, fmt.Errorf("freshness: download: %w", err)
	}
	if len(rows) == 0 {
		return 0, errors.New("freshness: download: no header")
	}
	// The columns by name: the region's total of the month.
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	want := map[string]string{"indicator": "contacts", "level": "region", "breakdown": "", "period_type": "month", "period": period}
	for name := range want {
		if _, ok := col[name]; !ok {
			return 0, fmt.Errorf("freshness: download: no column %s", name)
		}
	}
	value, ok := col["value"]
	if !ok {
		return 0, errors.New("freshness: download: no column value")
	}
rows:
	for _, r := range rows[1:] {
		for name, v := range want {
			if r[col[name]] != v {
				continue rows
			}
		}
		var n int
		if _, err := fmt.Sscan(r[value], &n); err != nil {
			return 0, fmt.Errorf("freshness: contacts %q: %w", r[value], err)
		}
		return n, nil
	}
	return 0, nil // no value yet for the month
}

func get(url string) (int, string) {
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// poll checks cond every 200ms until it holds, ctx ends or within passes.
func poll(ctx context.Context, within time.Duration, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// printFreshness writes the freshness figure.
func printFreshness(w io.Writer, r freshnessResult) {
	verdict := "within"
	if r.elapsed > freshnessTarget {
		verdict = "ABOVE"
	}
	fmt.Fprintf(w, "\nfreshness: a monthly delivery (%s, %d contacts) dropped into the inbox of a running `bassins serve`\n", r.file, r.contacts)
	fmt.Fprintf(w, "           shows in the dashboards' figures after %.1f s (region contacts %d -> %d); target %s 60 s\n",
		r.elapsed.Seconds(), r.before, r.before+r.contacts, verdict)
}
