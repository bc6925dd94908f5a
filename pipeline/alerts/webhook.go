package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Webhook defaults.
const (
	DefaultAttempts = 4
	DefaultBackoff  = time.Second
	defaultTimeout  = 30 * time.Second
)

// Webhook sends alerts as JSON POST requests (the shape is in the package
// documentation). It retries on network errors, 5xx answers and 429; any
// other 4xx answer fails at once. The URL may hold a token: it is never
// logged nor put in an error.
type Webhook struct {
	URL string
	// Client defaults to a client with a 30 s timeout.
	Client *http.Client
	// Attempts counts the tries of a message, default 4; Backoff is the
	// wait after the first failure, default 1 s, doubling after each.
	Attempts int
	Backoff  time.Duration
	Logger   *slog.Logger
}

// Send posts the alert, retrying as the Webhook says.
func (w *Webhook) Send(ctx context.Context, a Alert) error {
	if w.URL == "" {
		return errors.New("alerts: webhook: no URL")
	}
	body, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("alerts: webhook: %w", err)
	}
	attempts, backoff, client, log := w.Attempts, w.Backoff, w.Client, w.Logger
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	if backoff <= 0 {
		backoff = DefaultBackoff
	}
	if client == nil {
		client = &http.Client{Timeout: defaultTimeout}
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for attempt := 1; ; attempt++ {
		retry, err := w.post(ctx, client, body)
		if err == nil {
			return nil
		}
		if !retry || attempt >= attempts {
			return fmt.Errorf("alerts: webhook: %s %s not delivered after %d attempt(s): %w", a.ID, a.State, attempt, err)
		}
		log.Warn("alert not delivered, retrying", "incident", a.ID, "attempt", attempt, "wait", backoff, "err", err)
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("alerts: webhook: %s %s not delivered after %d attempt(s): %w (last: %v)", a.ID, a.State, attempt, ctx.Err(), err)
		case <-timer.C:
		}
		backoff *= 2
	}
}

// post makes one attempt; retry says whether another may succeed.
func (w *Webhook) post(ctx context.Context, client *http.Client, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return false, fmt.Errorf("bad URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		// url.Error names the URL, which may hold a token: keep the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("answer %s", resp.Status)
	default:
		return false, fmt.Errorf("answer %s", resp.Status)
	}
}
