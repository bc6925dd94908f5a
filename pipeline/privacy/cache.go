package privacy

import "hash/maphash"

// Cache remembers the keys of the identifiers it pseudonymised, so that a
// person met again in a delivery costs a table lookup rather than a keyed
// hash. A delivery names the same persons many times: most calls are
// answered from the table.
//
// Its memory is bounded: its tables grow with the identifiers met up to
// 2^19 short identifiers (up to 15 bytes, 16 MiB) and 2^18 longer ones (up
// to 47 bytes, 16 MiB); past that, a new identifier takes the place of one
// met before. Longer identifiers are not remembered. The raw identifiers it
// holds stay in memory until the cache is dropped: make one per delivery. A
// Cache is not safe for concurrent use.
type Cache struct {
	p       *Pseudonymiser
	dataset string
	seed    maphash.Seed
	// Identifiers are kept by length, in compact slots: the lookups of a
	// delivery spread over the whole table, and each one that misses the
	// processor's caches costs a wait for memory.
	short, long cacheTable
	touched     byte // keeps the reads of SumAll
}

// NewCache returns an empty cache of p's keys.
func (p *Pseudonymiser) NewCache() *Cache {
	return &Cache{p: p, seed: maphash.MakeSeed(),
		short: cacheTable{slotSize: 32, maxSlots: 1 << 19},
		long:  cacheTable{slotSize: 64, maxSlots: 1 << 18}}
}

// tableOf returns the table of an identifier, nil for one too long or
// empty.
func (c *Cache) tableOf(raw []byte) *cacheTable {
	switch {
	case len(raw) == 0:
		return nil
	case len(raw) <= c.short.maxLen():
		return &c.short
	case len(raw) <= c.long.maxLen():
		return &c.long
	}
	return nil
}

// Sum is Pseudonymiser.Sum, remembered.
func (c *Cache) Sum(dataset string, raw []byte) [16]byte {
	t := c.tableOf(raw)
	if t == nil {
		return c.p.Sum(dataset, raw)
	}
	if dataset != c.dataset {
		c.dataset = dataset
		c.short.clear()
		c.long.clear()
	}
	return c.sum(dataset, raw, t, maphash.Bytes(c.seed, raw))
}

// sum is Sum for an identifier of table t whose hash is h.
func (c *Cache) sum(dataset string, raw []byte, t *cacheTable, h uint64) [16]byte {
	if key, ok := t.lookup(h, raw); ok {
		return key
	}
	key := c.p.Sum(dataset, raw)
	t.add(h, raw, key, c.seed)
	return key
}

// cacheTable is an open-addressing table of identifiers and their keys.
// Slot i is slots[i*slotSize:]: the length of the identifier (0: empty),
// the identifier, and the key in the last 16 bytes; no pointer for the
// garbage collector to follow.
type cacheTable struct {
	slotSize int
	maxSlots int
	slots    []byte
	used     int
}

const (
	// cacheMinSlots is the size a table starts at.
	cacheMinSlots = 1 << 10
	// cacheProbes is how many slots a lookup tries.
	cacheProbes = 8
)

func (t *cacheTable) maxLen() int { return t.slotSize - 17 }
func (t *cacheTable) len() int    { return len(t.slots) / t.slotSize }

func (t *cacheTable) slot(i uint64) []byte {
	s := t.slotSize
	return t.slots[int(i)*s : int(i+1)*s : int(i+1)*s]
}

func (t *cacheTable) clear() { t.slots, t.used = nil, 0 }

// lookup returns the key of raw, whose hash is h.
func (t *cacheTable) lookup(h uint64, raw []byte) ([16]byte, bool) {
	if t.slots == nil {
		return [16]byte{}, false
	}
	mask := uint64(t.len() - 1)
	for i := range uint64(cacheProbes) {
		s := t.slot((h + i) & mask)
		n := int(s[0])
		if n == 0 {
			break
		}
		if n == len(raw) && string(s[1:1+n]) == string(raw) {
			return [16]byte(s[len(s)-16:]), true
		}
	}
	return [16]byte{}, false
}

// add remembers raw, whose hash is h, and its key.
func (t *cacheTable) add(h uint64, raw []byte, key [16]byte, seed maphash.Seed) {
	switch {
	case t.slots == nil:
		t.slots = make([]byte, cacheMinSlots*t.slotSize)
	case t.used >= t.len()/2 && t.len() < t.maxSlots:
		t.grow(seed)
	}
	mask := uint64(t.len() - 1)
	for i := range uint64(cacheProbes) {
		if j := (h + i) & mask; t.slot(j)[0] == 0 {
			t.put(j, raw, key)
			t.used++
			return
		}
	}
	// The table is at its bound and the identifier's slots are taken: it
	// replaces the first.
	t.put(h&mask, raw, key)
}

// grow doubles the table, keeping what it holds.
func (t *cacheTable) grow(seed maphash.Seed) {
	old := *t
	t.slots, t.used = make([]byte, 2*len(old.slots)), 0
	for i := range uint64(old.len()) {
		s := old.slot(i)
		if n := int(s[0]); n > 0 {
			t.add(maphash.Bytes(seed, s[1:1+n]), s[1:1+n], [16]byte(s[len(s)-16:]), seed)
		}
	}
}

func (t *cacheTable) put(i uint64, raw []byte, key [16]byte) {
	s := t.slot(i)
	s[0] = byte(len(raw))
	copy(s[1:], raw)
	copy(s[len(s)-16:], key[:])
}

// SumAll writes the keys of many identifiers: identifier r is
// ids[ends[r-1]:ends[r]] (from 0 for the first), and its key goes to
// keys[16*r:]; an empty identifier leaves its key as it is. The table slots
// of a run of identifiers are read first, together: the processor then
// waits for memory once for the run rather than once per identifier.
func (c *Cache) SumAll(dataset string, ids []byte, ends []uint32, keys []byte) {
	if dataset != c.dataset {
		c.dataset = dataset
		c.short.clear()
		c.long.clear()
	}
	const run = 64
	var hashes [run]uint64
	start := uint32(0)
	for first := 0; first < len(ends); first += run {
		n := min(run, len(ends)-first)
		var touched byte
		from := start
		for r := range n {
			id := ids[from:ends[first+r]]
			from = ends[first+r]
			if t := c.tableOf(id); t != nil {
				hashes[r] = maphash.Bytes(c.seed, id)
				if t.slots != nil {
					touched |= t.slots[int(hashes[r]&uint64(t.len()-1))*t.slotSize]
				}
			}
		}
		c.touched = touched
		for r := range n {
			id := ids[start:ends[first+r]]
			start = ends[first+r]
			var key [16]byte
			switch t := c.tableOf(id); {
			case len(id) == 0:
				continue
			case t == nil:
				key = c.p.Sum(dataset, id)
			default:
				key = c.sum(dataset, id, t, hashes[r])
			}
			copy(keys[16*(first+r):], key[:])
		}
	}
}
