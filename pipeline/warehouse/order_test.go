package warehouse

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/sources"
)

// TestRowsAreOrderedByTheTableKey sorts blocks of contacts and federation
// rows in random order, with ties, small and large, and checks the order
// against a plain comparison of the key columns.
func TestRowsAreOrderedByTheTableKey(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	postcodes := []string{"1000", "1020", "1030", "1050", "1070", "1080", "1120", "1210", "SDF"}
	contacts := sources.Spec{Name: "team", Format: "csv", Dataset: "contacts", Delimiter: ";",
		Fields: sources.Columns(map[string]string{"contact_date": "date", "team": "team", "postcode": "postcode",
			"person_key": "person"})}
	federation := sources.Spec{Name: "fed", Format: "csv", Dataset: "federation_activity", Delimiter: ";",
		Fields: sources.Columns(map[string]string{"period": "period", "federation": "federation",
			"service_id": "service", "postcode": "postcode"}),
		Measures: map[string]string{"a": "a", "b": "b", "c": "c"}}
	for _, tc := range []struct {
		name  string
		spec  sources.Spec
		rows  int
		chunk int
		line  func() string
	}{
		{"contacts", contacts, 3000, 1000, func() string {
			return fmt.Sprintf("2025-01-%02d;MASS;%s;P-%d", 1+r.IntN(3), postcodes[r.IntN(len(postcodes))], r.IntN(200))
		}},
		{"contacts in one large block", contacts, 70_000, 100_000, func() string {
			return fmt.Sprintf("2025-01-%02d;MASS;%s;P-%d", 1+r.IntN(20), postcodes[r.IntN(len(postcodes))], r.IntN(5000))
		}},
		{"contacts already in order", contacts, 500, 1000, func() string { return "2025-01-01;MASS;1000;P-1" }},
		{"federation", federation, 2000, 700, func() string {
			return fmt.Sprintf("2024-%02d-01;fed-%d;S%d;1000;%d;%d;", 1+r.IntN(4), r.IntN(3), r.IntN(50), r.IntN(9), r.IntN(9))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := sources.LookupDataset(tc.spec.Dataset)
			header := "date;team;postcode;person"
			if tc.spec.Dataset == "federation_activity" {
				header = "period;federation;service;postcode;a;b;c"
			}
			var body strings.Builder
			body.WriteString(header + "\n")
			for range tc.rows {
				body.WriteString(tc.line() + "\n")
			}
			path := filepath.Join(t.TempDir(), "rows.csv")
			if err := os.WriteFile(path, []byte(body.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			var order *rowOrder
			blocks := 0
			_, err := sources.Read(t.Context(), &tc.spec, path, orderEnv(t), tc.chunk, sources.Sink{
				Rows: func(b *sources.Block) error {
					defer b.Done()
					blocks++
					if order == nil {
						order = newRowOrder(d.Table, b.Columns(), b.Kind)
					}
					checkOrder(t, b, order.cols, order.sort(b))
					return nil
				},
				Reject: func(rej sources.Rejected) error { return fmt.Errorf("line %d rejected: %v", rej.Line, rej.Reasons) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if blocks == 0 {
				t.Fatal("no block read")
			}
		})
	}
}

// checkOrder checks that perm lists the rows of b in the order of the key
// columns, ties in row order.
func checkOrder(t *testing.T, b *sources.Block, cols []int, perm []int32) {
	t.Helper()
	if perm == nil {
		perm = make([]int32, b.Len())
		for i := range perm {
			perm[i] = int32(i)
		}
	}
	seen := slices.Sorted(slices.Values(perm))
	for i, r := range seen {
		if len(seen) != b.Len() || r != int32(i) {
			t.Fatalf("the order is no permutation of %d rows", b.Len())
		}
	}
	compare := func(x, y int32) int {
		for _, c := range cols {
			var d int
			switch b.Kind(c) {
			case sources.DayKind:
				d = cmp.Compare(b.Days(c)[x], b.Days(c)[y])
			case sources.TextKind:
				data, ends := b.Text(c)
				text := func(r int32) []byte {
					start := uint32(0)
					if r > 0 {
						start = ends[r-1]
					}
					return data[start:ends[r]]
				}
				d = bytes.Compare(text(x), text(y))
			case sources.KeyKind:
				keys := b.Keys(c)
				d = bytes.Compare(keys[x*16:x*16+16], keys[y*16:y*16+16])
			default:
				t.Fatalf("unexpected kind %d in a key", b.Kind(c))
			}
			if d != 0 {
				return d
			}
		}
		return cmp.Compare(x, y)
	}
	for i := 1; i < len(perm); i++ {
		if compare(perm[i-1], perm[i]) >= 0 {
			t.Fatalf("rows %d and %d are out of order at %d of %d", perm[i-1], perm[i], i, len(perm))
		}
	}
}

func orderEnv(t *testing.T) sources.Env {
	t.Helper()
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	return sources.Env{
		Pseudonymise: func(dataset string, raw []byte) [16]byte {
			var k [16]byte
			copy(k[:], raw) // ties between persons, and keys sharing their first bytes
			return k
		},
		RecordKey:  func(source string, id []byte) string { return string(id) },
		Locate:     g.ResolveNIS,
		AreaKey:    geography.AreaKey,
		RegionOnly: geography.RegionOnlyKey,
		Delivered:  time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		Location:   time.UTC,
	}
}
