package sources

import (
	"fmt"
	"time"
)

// Block holds rows of one dataset column by column, in the order of the
// dataset's Columns(), ready to be sent to the warehouse as one insert. Its
// buffers are reused from one block to the next.
type Block struct {
	Dataset *Dataset
	cols    []column
	rows    int
	// release gives the block back to its reader; nil for a block made by
	// NewBlock.
	release func(*Block)
}

// NewBlock returns an empty block for a dataset.
func NewBlock(d *Dataset) *Block {
	b := &Block{Dataset: d}
	kinds := map[string]colKind{"area_key": kindString, "measure": kindString, "value": kindFloat,
		"record_key": kindString, "load_id": kindUint64, "line": kindUint32}
	for _, f := range d.Fields {
		kinds[f.Name] = kindOf(f.Type)
	}
	for _, name := range d.Columns() {
		b.cols = append(b.cols, column{name: name, kind: kinds[name]})
	}
	return b
}

// Len is the number of rows.
func (b *Block) Len() int { return b.rows }

// Columns names the block's columns.
func (b *Block) Columns() []string {
	names := make([]string, len(b.cols))
	for i, c := range b.cols {
		names[i] = c.name
	}
	return names
}

// Values returns each column's values as a typed slice ([]string,
// []time.Time, []uint32, []uint8, []*uint8, []float64, [][]string,
// [][]byte, []uint64), valid until the block is reset.
func (b *Block) Values() []any {
	out := make([]any, len(b.cols))
	for i := range b.cols {
		out[i] = b.cols[i].values()
	}
	return out
}

// Done hands the block back to the reader that filled it, for reuse. The
// block must not be used after.
func (b *Block) Done() {
	if b.release != nil {
		b.release(b)
	}
}

func (b *Block) reset() {
	for i := range b.cols {
		b.cols[i].truncate(0)
	}
	b.rows = 0
}

type colKind uint8

const (
	kindString colKind = iota
	kindDate
	kindUint32
	kindUint8
	kindAge
	kindFloat
	kindList
	kindKey
	kindUint64
)

func kindOf(t FieldType) colKind {
	switch t {
	case Date, Month:
		return kindDate
	case Int:
		return kindUint32
	case Bool:
		return kindUint8
	case Age:
		return kindAge
	case Decimal:
		return kindFloat
	case List:
		return kindList
	case Person:
		return kindKey
	}
	return kindString
}

// column is one column of a block; only the slice of its kind is used.
type column struct {
	name  string
	kind  colKind
	strs  []string
	dates []time.Time
	u32   []uint32
	u8    []uint8
	ages  []*uint8
	ageAt []uint8 // backing store of ages, never reallocated while in use
	f64   []float64
	lists [][]string
	keys  [][]byte
	keyAt []byte
	u64   []uint64
}

func (c *column) values() any {
	switch c.kind {
	case kindDate:
		return c.dates
	case kindUint32:
		return c.u32
	case kindUint8:
		return c.u8
	case kindAge:
		return c.ages
	case kindFloat:
		return c.f64
	case kindList:
		return c.lists
	case kindKey:
		return c.keys
	case kindUint64:
		return c.u64
	}
	return c.strs
}

func (c *column) truncate(n int) {
	switch c.kind {
	case kindDate:
		c.dates = c.dates[:n]
	case kindUint32:
		c.u32 = c.u32[:n]
	case kindUint8:
		c.u8 = c.u8[:n]
	case kindAge:
		c.ages = c.ages[:n]
		if n == 0 {
			c.ageAt = c.ageAt[:0]
		}
	case kindFloat:
		c.f64 = c.f64[:n]
	case kindList:
		c.lists = c.lists[:n]
	case kindKey:
		c.keys = c.keys[:n]
		if n == 0 {
			c.keyAt = c.keyAt[:0]
		}
	case kindUint64:
		c.u64 = c.u64[:n]
	default:
		c.strs = c.strs[:n]
	}
}

// value is one converted field of a row, before it is appended.
type value struct {
	s    string
	day  Day
	n    uint64
	f    float64
	null bool
	list []string
	key  [16]byte
}

func (c *column) append(v *value) {
	switch c.kind {
	case kindDate:
		c.dates = append(c.dates, v.day.Time())
	case kindUint32:
		c.u32 = append(c.u32, uint32(v.n))
	case kindUint8:
		c.u8 = append(c.u8, uint8(v.n))
	case kindAge:
		if v.null {
			c.ages = append(c.ages, nil)
			return
		}
		if len(c.ageAt) == cap(c.ageAt) {
			// A new backing array: the pointers already handed out keep
			// the old one alive and valid.
			c.ageAt = make([]uint8, 0, max(1024, 2*cap(c.ageAt)))
		}
		c.ageAt = append(c.ageAt, uint8(v.n))
		c.ages = append(c.ages, &c.ageAt[len(c.ageAt)-1])
	case kindFloat:
		c.f64 = append(c.f64, v.f)
	case kindList:
		c.lists = append(c.lists, v.list)
	case kindKey:
		if len(c.keyAt)+16 > cap(c.keyAt) {
			c.keyAt = make([]byte, 0, max(16<<10, 2*cap(c.keyAt)))
		}
		start := len(c.keyAt)
		c.keyAt = append(c.keyAt, v.key[:]...)
		c.keys = append(c.keys, c.keyAt[start:start+16:start+16])
	case kindUint64:
		c.u64 = append(c.u64, v.n)
	default:
		c.strs = append(c.strs, v.s)
	}
}

// String describes the block for debugging.
func (b *Block) String() string {
	return fmt.Sprintf("block of %s: %d rows", b.Dataset.Name, b.rows)
}
