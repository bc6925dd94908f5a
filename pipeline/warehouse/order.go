package warehouse

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"

	"github.com/brusano/bassins/sources"
)

// sortingKeys are the columns each canonical table is ordered by (its ORDER
// BY in the migrations). Insert sends the rows of a block in this order: a
// block the server receives sorted, it writes without sorting it, which
// spares it much of the work of an insert.
var sortingKeys = map[string][]string{
	"contacts":            {"contact_date", "area_key", "person_key"},
	"federation_activity": {"period", "federation", "service_id", "measure"},
	"services":            {"reference_date", "service_id"},
	"treatment_demands":   {"demand_date", "area_key"},
}

// rowOrder sorts the rows of blocks by a table's key. Each row's key is
// packed into orderKeyBytes bytes compared as big-endian words: a day, a
// number or a person key as they are, a text as its rank among the texts of
// the block.
type rowOrder struct {
	cols    []int // the block columns of the key
	entries []orderEntry
	perm    []int32
	ranks   []textRanks // per key column, for texts
	// For sortFast: the first words of the keys, their ranks, and a word
	// per row.
	distinct     []uint64
	firsts       map[uint64]uint32
	words, spare []uint64
}

const orderKeyBytes = 24

type orderEntry struct {
	key [orderKeyBytes / 8]uint64
	row int32
}

// textRanks numbers the texts of a block column in their order.
type textRanks struct {
	first map[string]uint32 // text -> number in order of first appearance
	texts []string
	rank  []uint32 // number in order of first appearance -> rank
	of    []uint32 // row -> number in order of first appearance
}

// newRowOrder returns the order of a table's rows, nil when the table has
// no known key or a key that does not pack (then rows go as they come).
func newRowOrder(table string, columns []string, kinds func(int) sources.Kind) *rowOrder {
	key, ok := sortingKeys[table]
	if !ok {
		return nil
	}
	o := &rowOrder{firsts: map[uint64]uint32{}}
	size := 0
	for _, name := range key {
		i := slices.Index(columns, name)
		if i < 0 {
			return nil
		}
		w := keyWidth(kinds(i))
		if w == 0 {
			return nil
		}
		size += w
		o.cols = append(o.cols, i)
		o.ranks = append(o.ranks, textRanks{first: map[string]uint32{}})
	}
	if size > orderKeyBytes {
		return nil
	}
	return o
}

// keyWidth is the bytes a value of a kind takes in a packed key, 0 for a
// kind that is not packed.
func keyWidth(k sources.Kind) int {
	switch k {
	case sources.DayKind, sources.Uint32Kind, sources.TextKind:
		return 4
	case sources.Uint8Kind:
		return 1
	case sources.Uint64Kind, sources.Float64Kind:
		return 8
	case sources.KeyKind:
		return sources.KeySize
	}
	return 0
}

// sort returns the rows of b in the table's order, nil when they already
// are.
func (o *rowOrder) sort(b *sources.Block) []int32 {
	n := b.Len()
	o.entries = slices.Grow(o.entries[:0], n)[:n]
	for r := range o.entries {
		o.entries[r] = orderEntry{row: int32(r)}
	}
	at := 0 // where the key column starts in a packed key, in bytes
	for c, col := range o.cols {
		kind := b.Kind(col)
		switch kind {
		case sources.DayKind:
			for r, d := range b.Days(col) {
				o.entries[r].pack(at, 4, uint64(uint32(d)^1<<31))
			}
		case sources.Uint8Kind:
			for r, v := range b.Uint8s(col) {
				o.entries[r].pack(at, 1, uint64(v))
			}
		case sources.Uint32Kind:
			for r, v := range b.Uint32s(col) {
				o.entries[r].pack(at, 4, uint64(v))
			}
		case sources.Uint64Kind:
			for r, v := range b.Uint64s(col) {
				o.entries[r].pack(at, 8, v)
			}
		case sources.Float64Kind:
			for r, v := range b.Float64s(col) {
				bits := math.Float64bits(v)
				if bits>>63 == 1 {
					bits = ^bits
				} else {
					bits |= 1 << 63
				}
				o.entries[r].pack(at, 8, bits)
			}
		case sources.KeyKind:
			keys := b.Keys(col)
			for r := range o.entries {
				k := keys[r*sources.KeySize:]
				o.entries[r].pack(at, 8, binary.BigEndian.Uint64(k))
				o.entries[r].pack(at+8, 8, binary.BigEndian.Uint64(k[8:]))
			}
		case sources.TextKind:
			t := &o.ranks[c]
			t.number(b, col)
			for r, first := range t.of {
				o.entries[r].pack(at, 4, uint64(t.rank[first]))
			}
		}
		at += keyWidth(kind)
	}
	sorted := true
	for r := 1; r < n && sorted; r++ {
		sorted = compareEntries(o.entries[r-1], o.entries[r]) <= 0
	}
	if sorted {
		return nil
	}
	o.perm = slices.Grow(o.perm[:0], n)[:n]
	if !o.sortFast() {
		slices.SortFunc(o.entries, compareEntries)
		for i, e := range o.entries {
			o.perm[i] = e.row
		}
	}
	return o.perm
}

// sortFast writes the rows' order to o.perm by sorting machine words, and
// reports whether it could: each row becomes the rank of its key's first
// word among the block's, 32 bits of the second, and the row number, in
// one word; rows whose words tie are then put in order by their whole keys.
func (o *rowOrder) sortFast() bool {
	n := len(o.entries)
	if n > 1<<16 {
		return false
	}
	clear(o.firsts)
	o.distinct = o.distinct[:0]
	for _, e := range o.entries {
		if _, ok := o.firsts[e.key[0]]; !ok {
			o.firsts[e.key[0]] = 0
			o.distinct = append(o.distinct, e.key[0])
			if len(o.distinct) > 1<<16 {
				return false
			}
		}
	}
	slices.Sort(o.distinct)
	for rank, v := range o.distinct {
		o.firsts[v] = uint32(rank)
	}
	o.words = slices.Grow(o.words[:0], n)[:n]
	o.spare = slices.Grow(o.spare[:0], n)[:n]
	for r, e := range o.entries {
		o.words[r] = uint64(o.firsts[e.key[0]])<<48 | e.key[1]>>32<<16 | uint64(r)
	}
	words := radixSort(o.words, o.spare)
	for i, w := range words {
		o.perm[i] = int32(w & 0xffff)
	}
	// Runs of rows whose words tie but for the row number: insertion sort
	// by their whole keys (rows of a run are in row order already).
	for start := 0; start < n; {
		end := start + 1
		for end < n && words[end]>>16 == words[start]>>16 {
			end++
		}
		for i := start + 1; i < end; i++ {
			for j := i; j > start && compareEntries(o.entries[o.perm[j-1]], o.entries[o.perm[j]]) > 0; j-- {
				o.perm[j-1], o.perm[j] = o.perm[j], o.perm[j-1]
			}
		}
		start = end
	}
	return true
}

// radixSort sorts words by their bits from the 17th up, a byte at a time
// from the lowest, keeping the order of words that tie (the row numbers in
// their low 16 bits, ascending). It returns the sorted words, in words or in
// spare, a buffer as long.
func radixSort(words, spare []uint64) []uint64 {
	for shift := 16; shift < 64; shift += 8 {
		var count [256]int
		for _, w := range words {
			count[byte(w>>shift)]++
		}
		if count[byte(words[0]>>shift)] == len(words) {
			continue // the same byte in every word
		}
		at := 0
		for d, c := range count {
			count[d] = at
			at += c
		}
		for _, w := range words {
			d := byte(w >> shift)
			spare[count[d]] = w
			count[d]++
		}
		words, spare = spare, words
	}
	return words
}

// pack ORs the width low bytes of v, big-endian, into the key at byte at.
func (e *orderEntry) pack(at, width int, v uint64) {
	word, off := at/8, at%8
	if off+width <= 8 {
		e.key[word] |= v << (64 - 8*(off+width))
		return
	}
	rest := off + width - 8 // bytes that go to the next word
	e.key[word] |= v >> (8 * rest)
	e.key[word+1] |= v << (64 - 8*rest)
}

func compareEntries(a, b orderEntry) int {
	for k := range a.key {
		if a.key[k] != b.key[k] {
			if a.key[k] < b.key[k] {
				return -1
			}
			return 1
		}
	}
	return int(a.row - b.row)
}

// number gives each row of a text column the rank of its text among the
// block's.
func (t *textRanks) number(b *sources.Block, col int) {
	clear(t.first)
	t.texts, t.of = t.texts[:0], t.of[:0]
	data, ends := b.Text(col)
	start := uint32(0)
	for _, end := range ends {
		text := data[start:end]
		start = end
		id, ok := t.first[string(text)]
		if !ok {
			id = uint32(len(t.texts))
			t.texts = append(t.texts, string(text))
			t.first[t.texts[id]] = id
		}
		t.of = append(t.of, id)
	}
	order := make([]uint32, len(t.texts))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return strings.Compare(t.texts[a], t.texts[b]) })
	t.rank = slices.Grow(t.rank[:0], len(order))[:len(order)]
	for rank, id := range order {
		t.rank[id] = uint32(rank)
	}
}
