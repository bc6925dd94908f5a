package privacy

import (
	"fmt"
	"strings"
	"testing"
)

func TestCacheGivesTheKeysOfSum(t *testing.T) {
	p, err := New([]byte("0123456789abcdef-secret-a"))
	if err != nil {
		t.Fatal(err)
	}
	c := p.NewCache()
	// Small bounds, so that the tables reach them quickly.
	c.short.maxSlots, c.long.maxSlots = 1<<12, 1<<11
	check := func(dataset, raw string) {
		t.Helper()
		if got, want := c.Sum(dataset, []byte(raw)), p.Sum(dataset, []byte(raw)); got != want {
			t.Fatalf("Cache.Sum(%q, %q) = %x, Sum gives %x", dataset, raw, got, want)
		}
	}
	// More identifiers than the tables hold at their bound, short and
	// long, each met twice, so that they grow, then replace what they
	// hold.
	for _, tc := range []struct {
		format string
		table  *cacheTable
	}{{"P-%07d", &c.short}, {"a-longer-identifier-%07d", &c.long}} {
		n := tc.table.maxSlots + tc.table.maxSlots/2
		for round := range 2 {
			for i := range n {
				check("contacts", fmt.Sprintf(tc.format, i))
				if i%1000 == round {
					check("contacts", " p-0000001 ")
				}
			}
		}
		if tc.table.len() != tc.table.maxSlots || tc.table.used > tc.table.maxSlots {
			t.Errorf("a table holds %d slots, %d used: its bound is %d", tc.table.len(), tc.table.used, tc.table.maxSlots)
		}
	}
	// Another dataset, an empty identifier and one too long to remember.
	check("treatment_demands", "P-0000001")
	check("contacts", "P-0000001")
	check("contacts", "")
	check("contacts", strings.Repeat("long-", 20))
	check("contacts", strings.Repeat("long-", 20))
}

func BenchmarkCacheSum(b *testing.B) {
	p, _ := New([]byte("0123456789abcdef-secret-a"))
	ids := make([][]byte, 50_000)
	for i := range ids {
		ids[i] = []byte(fmt.Sprintf("TRANSIT-%06d", i*7919%1_000_000))
	}
	b.Run("hmac", func(b *testing.B) {
		for i := range b.N {
			p.Sum("contacts", ids[i%len(ids)])
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := p.NewCache()
		for i := range b.N {
			c.Sum("contacts", ids[i%len(ids)])
		}
	})
}

func TestCacheSumAllGivesTheKeysOfSum(t *testing.T) {
	p, err := New([]byte("0123456789abcdef-secret-a"))
	if err != nil {
		t.Fatal(err)
	}
	c := p.NewCache()
	var ids []byte
	var ends []uint32
	var want []byte
	for i := range 5000 {
		id := fmt.Sprintf("P-%05d", i%1500)
		switch i % 7 {
		case 3:
			id = ""
		case 5:
			id = strings.Repeat("x", 40+i%30) // long, or too long to remember
		}
		ids = append(ids, id...)
		ends = append(ends, uint32(len(ids)))
		var k [16]byte
		if id != "" {
			k = p.Sum("contacts", []byte(id))
		}
		want = append(want, k[:]...)
	}
	for _, dataset := range []string{"contacts", "contacts", "treatment_demands", "contacts"} {
		keys := make([]byte, len(want))
		c.SumAll(dataset, ids, ends, keys)
		if dataset == "treatment_demands" {
			if string(keys) == string(want) {
				t.Errorf("SumAll gave the same keys for another dataset")
			}
			continue
		}
		if string(keys) != string(want) {
			t.Fatalf("SumAll(%s) gave other keys than Sum", dataset)
		}
	}
}
