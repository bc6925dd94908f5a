package ingest_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/ingest"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// A file delivered under a new name, or touched, is read and sent while its
// content is checked: a content already delivered is still skipped, leaving
// nothing behind.
func TestAKnownContentUnderANewNameOrDateLeavesNothingBehind(t *testing.T) {
	job, inbox, count, wh := newJob(t, 2)
	var body strings.Builder
	body.WriteString(header)
	for i := range 40 {
		fmt.Fprintf(&body, "%02d/01/2025;MASS;1000;A-%d;%d\n", 1+i%28, i, i)
	}
	body.WriteString("31/02/2025;MASS;1000;A-0;1\n") // quarantined
	deliver(t, inbox, "2025-01.csv", body.String())
	res, err := job.Run(t.Context(), time.Now(), "run-1")
	if err != nil || res.Loaded != 1 || res.Rows != 40 || res.Quarantined != 1 {
		t.Fatalf("first run: %+v, %v; want 40 rows loaded and one quarantined", res, err)
	}
	quarantined := func() int {
		q, err := wh.Quarantine(t.Context(), warehouse.QuarantineFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(q)
	}
	if n := quarantined(); n != 1 {
		t.Fatalf("%d rows quarantined, want 1", n)
	}

	deliver(t, inbox, "2025-01-again.csv", body.String())
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(inbox, "team", "2025-01.csv"), later, later); err != nil {
		t.Fatal(err)
	}
	res, err = job.Run(t.Context(), time.Now(), "run-2")
	if err != nil || res.Skipped != 2 || res.Loaded != 0 || res.Refused != 0 {
		t.Fatalf("second run: %+v, %v; want the copy and the touched file skipped", res, err)
	}
	if n, q := count(), quarantined(); n != 40 || q != 1 {
		t.Fatalf("after the copies: %d rows count and %d are quarantined, want 40 and 1", n, q)
	}
	loads, err := wh.Loads(t.Context(), warehouse.LoadFilter{})
	if err != nil || len(loads) != 1 {
		t.Fatalf("%d loads recorded (%v), want the first only", len(loads), err)
	}
}

// A refused content delivered again under another name is skipped, not
// refused again.
func TestARefusedContentUnderANewNameIsSkipped(t *testing.T) {
	job, inbox, _, wh := newJob(t, 2)
	body := "date;team;person;syringes\n03/01/2025;MASS;A-1;10\n" // no postcode column
	deliver(t, inbox, "2025-01.csv", body)
	if res, err := job.Run(t.Context(), time.Now(), "run-1"); !errors.Is(err, ingest.ErrRefused) || res.Refused != 1 {
		t.Fatalf("first run: %+v, %v; want the file refused", res, err)
	}
	deliver(t, inbox, "2025-01-again.csv", body)
	res, err := job.Run(t.Context(), time.Now(), "run-2")
	if err != nil || res.Skipped != 2 || res.Refused != 0 {
		t.Fatalf("second run: %+v, %v; want both files skipped", res, err)
	}
	if q, err := wh.Quarantine(t.Context(), warehouse.QuarantineFilter{}); err != nil || len(q) != 1 {
		t.Fatalf("%d rows quarantined (%v), want the first refusal's only", len(q), err)
	}
}
