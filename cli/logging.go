package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/brusano/bassins/pipeline/warehouse"
)

func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if strings.EqualFold(os.Getenv("BASSINS_LOG"), "debug") {
		level = slog.LevelDebug
	}
	return slog.New(runHandler{Handler: slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})})
}

// runHandler adds the run id to the lines logged with the context of a run
// (the *Context logging methods), so every line of a run can be found by it.
type runHandler struct {
	slog.Handler
	// hasRun: the logger already carries a run id.
	hasRun bool
}

func (h runHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := warehouse.RunOf(ctx); id != "" && !h.hasRun {
		has := false
		r.Attrs(func(a slog.Attr) bool {
			has = a.Key == "run"
			return !has
		})
		if !has {
			r.AddAttrs(slog.String("run", id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h runHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	has := h.hasRun
	for _, a := range attrs {
		has = has || a.Key == "run"
	}
	return runHandler{h.Handler.WithAttrs(attrs), has}
}

func (h runHandler) WithGroup(name string) slog.Handler {
	return runHandler{h.Handler.WithGroup(name), h.hasRun}
}
