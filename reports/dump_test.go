package reports

import (
	"os"
	"testing"
)

func TestDump(t *testing.T) {
	snap := testSnapshot(t)
	w := newTestWriter(t, t.TempDir())
	for _, l := range []string{"fr", "nl"} {
		os.WriteFile("/tmp/report."+l+".html", []byte(render(t, w, snap, l)), 0o644)
	}
}
