package demo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/sources"
)

// The demo's TDI registers load through the tdi source of the shipped
// configuration without a row set aside.
func TestDemoRegistersLoadThroughTheShippedSource(t *testing.T) {
	cfg, err := config.LoadFile("")
	if err != nil {
		t.Fatal(err)
	}
	var spec *sources.Spec
	for i := range cfg.Sources {
		if cfg.Sources[i].Dataset == "treatment_demands" {
			spec = &cfg.Sources[i]
		}
	}
	if spec == nil {
		t.Fatal("the shipped configuration has no treatment_demands source")
	}
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Write(t.Context(), Options{Dir: dir, Until: until, Scale: 0.3, Months: 6}); err != nil {
		t.Fatal(err)
	}
	env := sources.Env{
		Pseudonymise: func(string, []byte) [16]byte { return [16]byte{1} },
		RecordKey:    func(_ string, id []byte) string { return string(id) },
		Locate:       g.ResolveNIS, AreaKey: geography.AreaKey, RegionOnly: geography.RegionOnlyKey,
		Delivered: until.AddDate(0, 1, 0), Location: time.UTC,
	}
	files, _ := filepath.Glob(filepath.Join(dir, "tdi", "*.csv"))
	if len(files) != 6 {
		t.Fatalf("%d registers, want 6", len(files))
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(string(body), "\n") - 1 // the header aside
		rows := 0
		sum, err := sources.Read(t.Context(), spec, f, env, 0, sources.Sink{
			Rows: func(b *sources.Block) error { rows += b.Len(); b.Done(); return nil },
			Reject: func(r sources.Rejected) error {
				t.Errorf("%s line %d set aside: %+v", filepath.Base(f), r.Line, r.Reasons)
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if rows != lines || sum.Quarantined != 0 {
			t.Errorf("%s: %d rows stored of %d lines, %d quarantined", filepath.Base(f), rows, lines, sum.Quarantined)
		}
	}
}
