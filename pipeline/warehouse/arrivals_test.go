package warehouse_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/warehouse"
)

// The months a source delivered, and when each first arrived in a load that
// counts, through the insert path:
//   - load 1 (team): January 2025 (lines 2, 3, 4) and February (line 7,
//     set aside after the insert);
//   - load 2 (team): January again, replacing load 1's;
//   - load 3 (team): March (lines 2, 3, 4) and April (line 7), retracted;
//   - load 4 (team): the same as load 3, other record ids, loaded;
//   - load 5 (tdi): March 2024, rejected after its insert;
//   - load 6 (tdi): March 2024, loaded; its line 2 set aside;
//   - load 7 (offer): the inventory of January 2025;
//   - load 8 (fedito): March 2024, inserted but never recorded.
func TestDeliveryArrivals(t *testing.T) {
	contacts, demands, federation, offer := insertCases[0], insertCases[1], insertCases[2], insertCases[3]
	january := contacts.csv[:strings.Index(contacts.csv, "2025-01-06")]
	january = january[:strings.LastIndex(january, "\n")+1] // the header and lines 2 to 4
	later := strings.NewReplacer("2025-01-", "2025-03-", "2025-02-", "2025-04-").Replace(contacts.csv)
	renamed := strings.NewReplacer(";r1\n", ";s1\n", ";r2\n", ";s2\n", ";r4\n", ";s4\n", ";r5\n", ";s5\n", ";r6\n", ";s6\n").Replace(later)
	at := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 10, 0, 0, 0, time.UTC) }
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			wh, _ := o.open(t)
			ctx := t.Context()
			dir := t.TempDir()
			for _, l := range []struct {
				id   uint64
				tc   insertCase
				body string
				rows int
			}{
				{1, contacts, contacts.csv, 4}, {2, contacts, january, 3}, {3, contacts, later, 4}, {4, contacts, renamed, 4},
				{5, demands, demands.csv, 3}, {6, demands, demands.csv, 3}, {7, offer, offer.csv, 2}, {8, federation, federation.csv, 3},
			} {
				path := filepath.Join(dir, fmt.Sprintf("load-%d.csv", l.id))
				if err := os.WriteFile(path, []byte(l.body), 0o644); err != nil {
					t.Fatal(err)
				}
				if n := insertLoad(t, wh, l.tc.spec, path, l.id); n != l.rows {
					t.Fatalf("load %d stored %d rows, want %d", l.id, n, l.rows)
				}
			}
			if err := wh.InsertRows(ctx, "excluded_rows", []string{"load_id", "line"},
				[][]any{{uint64(1), uint32(7)}, {uint64(6), uint32(2)}}); err != nil {
				t.Fatal(err)
			}
			load := func(id uint64, source, dataset string, loaded time.Time) warehouse.Load {
				return warehouse.Load{LoadID: id, Source: source, Dataset: dataset, File: fmt.Sprint(id), SHA256: fmt.Sprint(id),
					LoadedAt: loaded}
			}
			commit := func(l warehouse.Load, masks ...warehouse.Mask) {
				t.Helper()
				if err := wh.CommitLoad(ctx, l, masks); err != nil {
					t.Fatal(err)
				}
			}
			commit(load(1, "team", "contacts", at(2, 5)))
			commit(load(2, "team", "contacts", at(3, 1)), warehouse.Mask{LoadID: 1, Month: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), By: 2})
			commit(load(3, "team", "contacts", at(4, 2)))
			if _, err := wh.Retract(ctx, 3, "sent by mistake"); err != nil {
				t.Fatal(err)
			}
			commit(load(4, "team", "contacts", at(5, 20)))
			rejected := load(5, "tdi", "treatment_demands", at(4, 1))
			rejected.Status = warehouse.StatusRejected
			if err := wh.RecordLoad(ctx, rejected); err != nil {
				t.Fatal(err)
			}
			commit(load(6, "tdi", "treatment_demands", at(4, 12)))
			commit(load(7, "offer", "services", at(1, 31)))

			got, err := wh.DeliveryArrivals(ctx)
			if err != nil {
				t.Fatal(err)
			}
			month := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }
			want := []warehouse.Arrival{
				{Source: "offer", Dataset: "services", Month: month(2025, 1), FirstLoadedAt: at(1, 31), Lines: 2},
				{Source: "tdi", Dataset: "treatment_demands", Month: month(2024, 3), FirstLoadedAt: at(4, 12), Lines: 2},
				// January first arrived in load 1, replaced since by load 2's
				// three lines; February's only line was set aside.
				{Source: "team", Dataset: "contacts", Month: month(2025, 1), FirstLoadedAt: at(2, 5), Lines: 3},
				// March and April arrived in load 3, retracted, then in load 4.
				{Source: "team", Dataset: "contacts", Month: month(2025, 3), FirstLoadedAt: at(5, 20), Lines: 3},
				{Source: "team", Dataset: "contacts", Month: month(2025, 4), FirstLoadedAt: at(5, 20), Lines: 1},
			}
			if len(got) != len(want) {
				t.Errorf("%d arrivals, want %d: %+v", len(got), len(want), got)
			}
			for i := 0; i < len(got) && i < len(want); i++ {
				g, w := got[i], want[i]
				if g.Source != w.Source || g.Dataset != w.Dataset || !g.Month.Equal(w.Month) ||
					!g.FirstLoadedAt.Equal(w.FirstLoadedAt) || g.Lines != w.Lines {
					t.Errorf("arrival %d = %+v, want %+v", i, g, w)
				}
			}

			// The latest month of each source is the latest it delivered
			// of which lines count today.
			latest, err := wh.LatestDeliveredMonths(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantLatest := map[string]time.Time{"offer": month(2025, 1), "tdi": month(2024, 3), "team": month(2025, 4)}
			if !maps.EqualFunc(latest, wantLatest, time.Time.Equal) {
				t.Errorf("latest delivered months %v, want %v", latest, wantLatest)
			}
		})
	}
}
