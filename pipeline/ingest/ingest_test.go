package ingest_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/ingest"
	"github.com/brusano/bassins/pipeline/privacy"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
	"github.com/brusano/bassins/sources"
)

const header = "date;team;postcode;person;syringes\n"

func newJob(t *testing.T, chunk int) (*ingest.Job, string, func() uint64, *warehouse.Warehouse) {
	t.Helper()
	return newJobWith(t, chunk, func(*sources.Spec) {})
}

// newJobWith is newJob with the source declaration changed.
func newJobWith(t *testing.T, chunk int, change func(*sources.Spec)) (*ingest.Job, string, func() uint64, *warehouse.Warehouse) {
	t.Helper()
	wh, _ := warehousetest.Open(t)
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := privacy.New([]byte("ingest-test-secret-0123"))
	if err != nil {
		t.Fatal(err)
	}
	inbox := t.TempDir()
	spec := sources.Spec{Name: "street-team", Path: "team/*.csv", Format: "csv", Dataset: "contacts", Delimiter: ";",
		DateFormat: "dd/mm/yyyy",
		Fields: sources.Columns(map[string]string{"contact_date": "date", "team": "team", "postcode": "postcode",
			"person_key": "person", "syringes": "syringes"})}
	change(&spec)
	if ps := spec.Validate(); len(ps) > 0 {
		t.Fatalf("spec: %v", ps)
	}
	job := ingest.New(ingest.Options{Warehouse: wh, Sources: []sources.Spec{spec}, Inbox: inbox, StateDir: t.TempDir(),
		Pseudonymiser: p, Geography: g, ChunkRows: chunk})
	count := func() uint64 {
		n, err := wh.CountRows(t.Context(), "contacts")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return job, inbox, count, wh
}

func deliver(t *testing.T, inbox, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(inbox, "team"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inbox, "team", name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadingTheSameFileTwiceCountsOnce(t *testing.T) {
	job, inbox, count, _ := newJob(t, 2)
	deliver(t, inbox, "2025-01.csv", header+
		"03/01/2025;MASS;1000;A-1;10\n"+
		"04/01/2025;MASS;1030;A-2;0\n"+
		"05/01/2025;MASS;1070;A-1;5\n")
	res, err := job.Run(t.Context(), time.Now(), "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != 1 || res.Rows != 3 || count() != 3 {
		t.Fatalf("first run: %+v, %d rows stored; want 1 file, 3 rows", res, count())
	}
	res, err = job.Run(t.Context(), time.Now(), "run-2")
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != 0 || res.Skipped != 1 || count() != 3 {
		t.Fatalf("second run: %+v, %d rows stored; want the file skipped and still 3 rows", res, count())
	}
	// The same content under another name is the same delivery.
	deliver(t, inbox, "2025-01-copy.csv", header+
		"03/01/2025;MASS;1000;A-1;10\n"+
		"04/01/2025;MASS;1030;A-2;0\n"+
		"05/01/2025;MASS;1070;A-1;5\n")
	if res, _ = job.Run(t.Context(), time.Now(), "run-3"); res.Loaded != 0 || count() != 3 {
		t.Fatalf("a copy of a loaded file was loaded again: %+v", res)
	}
}

func TestBadRowsAreQuarantinedAboveTheShareTheWholeDeliveryIsRefused(t *testing.T) {
	// Chunks of one row: the good rows reach the server before the
	// problems are counted, and must still not count when the delivery is
	// refused.
	job, inbox, count, wh := newJob(t, 1)
	deliver(t, inbox, "2025-02.csv", header+
		"03/02/2025;MASS;1000;A-1;10\n"+
		"04/02/2025;MASS;1030;A-2;0\n"+
		"31/02/2025;MASS;1070;A-3;5\n"+
		"06/02/2025;MASS;1300;A-4;-1\n")
	res, err := job.Run(t.Context(), time.Now(), "run-1")
	if !errors.Is(err, ingest.ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused (2 of 4 rows quarantined, above 10 %%)", err)
	}
	if res.Refused != 1 || res.Loaded != 0 || res.Quarantined != 2 {
		t.Fatalf("result %+v, want one refused delivery with 2 rows quarantined", res)
	}
	if msg := res.Problems[0]; !strings.Contains(msg, filepath.Join("team", "2025-02.csv")) || !strings.Contains(msg, "2 of 4 rows quarantined") {
		t.Errorf("problem %q must name the file and the share", msg)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d rows of a refused delivery count; want none", n)
	}
	// Every reason is listed, with its line, field and column.
	q, err := wh.Quarantine(t.Context(), warehouse.QuarantineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type reason struct {
		line                int
		code, field, column string
	}
	var got []reason
	for _, r := range q {
		for _, x := range r.Reasons {
			got = append(got, reason{r.Line, x.Code, x.Field, x.Column})
		}
	}
	want := []reason{
		{4, sources.ProblemDateInvalid, "contact_date", "date"},
		{5, sources.ProblemOutside, "postcode", "postcode"},
		{5, sources.ProblemNegative, "syringes", "syringes"},
	}
	if !slices.Equal(sortReasons(got, func(r reason) string { return fmt.Sprint(r) }), sortReasons(want, func(r reason) string { return fmt.Sprint(r) })) {
		t.Errorf("quarantine reasons\n got %v\nwant %v", got, want)
	}
	for _, r := range q {
		if strings.Contains(r.Raw, "A-3") || strings.Contains(r.Raw, "A-4") {
			t.Errorf("quarantined raw line %q holds a raw person id", r.Raw)
		}
	}
	loads, err := wh.Loads(t.Context(), warehouse.LoadFilter{})
	if err != nil || len(loads) != 1 {
		t.Fatalf("loads %v, %v; want the refusal recorded", loads, err)
	}
	if l := loads[0]; l.Status != warehouse.StatusRejected || l.RowsRead != 4 || l.RowsQuarantined != 2 || l.RowsLoaded != 0 {
		t.Errorf("recorded %+v, want rejected, 4 read, 2 quarantined, 0 loaded", l)
	}

	// The refusal is recorded once; the same file is not retried.
	res, err = job.Run(t.Context(), time.Now(), "run-2")
	if err != nil || res.Refused != 0 || res.Skipped != 1 {
		t.Fatalf("re-run: %+v, %v; want the refused file skipped", res, err)
	}

	// A corrected delivery loads whole.
	deliver(t, inbox, "2025-02.csv", header+
		"03/02/2025;MASS;1000;A-1;10\n"+
		"04/02/2025;MASS;1030;A-2;0\n"+
		"28/02/2025;MASS;1070;A-3;5\n"+
		"06/02/2025;MASS;1080;A-4;1\n")
	res, err = job.Run(t.Context(), time.Now(), "run-3")
	if err != nil || res.Loaded != 1 {
		t.Fatalf("corrected file: %+v, %v", res, err)
	}
	if n := count(); n != 4 {
		t.Fatalf("%d rows after the corrected delivery, want 4", n)
	}
}

func TestBelowTheShareBadRowsAreQuarantinedAndGoodRowsLoad(t *testing.T) {
	job, inbox, count, wh := newJobWith(t, 2, func(s *sources.Spec) { half := 0.5; s.MaxRejectedShare = &half })
	deliver(t, inbox, "2025-02.csv", header+
		"03/02/2025;MASS;1000;A-1;10\n"+
		"04/02/2025;MASS;1030;A-2;0\n"+
		"31/02/2025;MASS;1070;A-3;5\n"+
		"06/02/2025;MASS;1080;A-4;1\n")
	res, err := job.Run(t.Context(), time.Now(), "run-1")
	if err != nil || res.Loaded != 1 || res.Quarantined != 1 {
		t.Fatalf("result %+v, %v; want the delivery loaded with one row quarantined", res, err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d rows count, want the 3 good ones", n)
	}
	loads, err := wh.Loads(t.Context(), warehouse.LoadFilter{})
	if err != nil || len(loads) != 1 {
		t.Fatal(loads, err)
	}
	l := loads[0]
	if l.Status != warehouse.StatusLoaded || l.RowsRead != 4 || l.RowsLoaded != 3 || l.RowsQuarantined != 1 ||
		!slices.EqualFunc(l.Months, []time.Time{time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}, time.Time.Equal) {
		t.Errorf("load %+v, want loaded, 4 read, 3 loaded, 1 quarantined, February", l)
	}
}

func TestTwoRunsAtOnceAreRefused(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	g, _ := geography.Load(geography.Files{})
	p, _ := privacy.New([]byte("ingest-test-secret-0123"))
	state := t.TempDir()
	opts := ingest.Options{Warehouse: wh, Inbox: t.TempDir(), StateDir: state, Pseudonymiser: p, Geography: g}
	// Hold the lock as another process would.
	f, err := os.OpenFile(filepath.Join(state, "ingest.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := flock(f); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.New(opts).Run(t.Context(), time.Now(), "r"); err == nil || !strings.Contains(err.Error(), "another ingest is running") {
		t.Fatalf("err = %v, want a refusal while another ingest holds the lock", err)
	}
}

func TestACorrectedDeliveryReplacesTheEarlierLoad(t *testing.T) {
	job, inbox, count, _ := newJob(t, 2)
	deliver(t, inbox, "2025-03.csv", header+
		"03/03/2025;MASS;1000;A-1;10\n"+
		"04/03/2025;MASS;1030;A-2;0\n"+
		"05/03/2025;MASS;1070;A-3;5\n")
	deliver(t, inbox, "2025-04.csv", header+"03/04/2025;MASS;1000;A-1;1\n")
	if _, err := job.Run(t.Context(), time.Now(), "run-1"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 4 {
		t.Fatalf("%d rows, want 3 + 1", n)
	}
	// The team sends March again, corrected: one contact was a duplicate.
	deliver(t, inbox, "2025-03.csv", header+
		"03/03/2025;MASS;1000;A-1;10\n"+
		"05/03/2025;MASS;1070;A-3;5\n")
	res, err := job.Run(t.Context(), time.Now(), "run-2")
	if err != nil || res.Loaded != 1 {
		t.Fatalf("corrected delivery: %+v, %v", res, err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d rows after the correction, want 2 (corrected March) + 1 (April)", n)
	}
	// Running again changes nothing.
	if res, _ = job.Run(t.Context(), time.Now(), "run-3"); res.Loaded != 0 || count() != 3 {
		t.Fatalf("re-run after the correction: %+v, %d rows", res, count())
	}
}

// sortReasons sorts a copy of rs by the key of each.
func sortReasons[T any](rs []T, key func(T) string) []T {
	out := slices.Clone(rs)
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// A hidden file (an upload in progress under a temporary name) is not a
// delivery yet, even when the source's glob matches it.
func TestHiddenFilesAreNotDeliveries(t *testing.T) {
	job, inbox, count, _ := newJob(t, 10)
	deliver(t, inbox, ".2025-01.csv", header+"03/01/2025;MASS;1000;A-1;10\n")
	deliver(t, inbox, "2025-02.csv", header+"03/02/2025;MASS;1000;A-1;10\n04/02/2025;MASS;1030;A-2;0\n")
	res, err := job.Run(t.Context(), time.Now(), "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != 1 || count() != 2 {
		t.Errorf("loaded %d deliveries and %d rows; want 1 and 2 (the hidden file left alone)", res.Loaded, count())
	}
}
