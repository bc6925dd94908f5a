package sources

import (
	"fmt"
	"slices"
	"time"
)

// Block holds rows of one dataset column by column, in the order of the
// dataset's Columns(), ready to be sent to the warehouse.
//
// Every column is stored flat, without a Go value per row: texts in one
// byte buffer with their end offsets, numbers and days in typed slices,
// person keys 16 bytes each in one buffer. Filling a block allocates nothing
// once its buffers have grown to the size of a block, and they are reused
// from one block to the next. Kind says how a column is stored, and the
// typed accessors (Text, Days, Uint32s…) return its values.
type Block struct {
	Dataset *Dataset
	cols    []column
	rows    int
	// release gives the block back to its reader; nil for a block made by
	// NewBlock.
	release func(*Block)
}

// Kind says how a block column stores its values, and which accessor
// returns them.
type Kind uint8

// Kinds of block columns.
const (
	// TextKind: Text, one UTF-8 text per row.
	TextKind Kind = iota
	// DayKind: Days, one calendar day per row (Date and Month fields).
	DayKind
	// Uint8Kind: Uint8s, 0 or 1 per row (Bool fields).
	Uint8Kind
	// Uint32Kind: Uint32s (Int fields, the file line).
	Uint32Kind
	// Uint64Kind: Uint64s (the load id).
	Uint64Kind
	// Float64Kind: Float64s (measure values).
	Float64Kind
	// OptionalUint8Kind: OptionalUint8s, a number or none per row (Age
	// fields).
	OptionalUint8Kind
	// ListKind: List, a list of texts per row.
	ListKind
	// KeyKind: Keys, a 16-byte pseudonymous key per row (Person fields).
	KeyKind
)

// KeySize is the size of a person key in a KeyKind column.
const KeySize = 16

// NewBlock returns an empty block for a dataset.
func NewBlock(d *Dataset) *Block {
	b := &Block{Dataset: d}
	kinds := map[string]Kind{"area_key": TextKind, "measure": TextKind, "value": Float64Kind,
		"record_key": TextKind, "load_id": Uint64Kind, "line": Uint32Kind}
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

// Kind says how column i stores its values.
func (b *Block) Kind(i int) Kind { return b.cols[i].kind }

// Text returns the texts of a TextKind column: row r holds
// data[ends[r-1]:ends[r]] (from 0 for the first row). Like every accessor,
// it returns the block's own buffers, valid until the block is done.
func (b *Block) Text(i int) (data []byte, ends []uint32) {
	c := &b.cols[i]
	return c.data, c.ends
}

// Days returns the days of a DayKind column.
func (b *Block) Days(i int) []Day { return b.cols[i].days }

// Uint8s returns the values of a Uint8Kind column.
func (b *Block) Uint8s(i int) []uint8 { return b.cols[i].u8 }

// Uint32s returns the values of a Uint32Kind column.
func (b *Block) Uint32s(i int) []uint32 { return b.cols[i].u32 }

// Uint64s returns the values of a Uint64Kind column.
func (b *Block) Uint64s(i int) []uint64 { return b.cols[i].u64 }

// Float64s returns the values of a Float64Kind column.
func (b *Block) Float64s(i int) []float64 { return b.cols[i].f64 }

// OptionalUint8s returns the values of an OptionalUint8Kind column: none[r]
// is 1 when row r has no value (values[r] is then 0).
func (b *Block) OptionalUint8s(i int) (values, none []uint8) {
	c := &b.cols[i]
	return c.u8, c.none
}

// List returns the lists of a ListKind column: item k is
// data[itemEnds[k-1]:itemEnds[k]], and row r holds the items from
// rowEnds[r-1] to rowEnds[r] (from 0 for the first row).
func (b *Block) List(i int) (data []byte, itemEnds, rowEnds []uint32) {
	c := &b.cols[i]
	return c.data, c.ends, c.rowEnds
}

// Keys returns the keys of a KeyKind column, KeySize bytes per row.
func (b *Block) Keys(i int) []byte { return b.cols[i].data }

// Values returns each column's values as a typed slice: []string for texts,
// []time.Time for days (UTC midnight), []uint8, []uint32, []uint64,
// []float64, []*uint8 for optional numbers (nil: none), [][]string for lists
// and [][]byte for keys. It copies the block, for showing rows and for
// tests; the warehouse reads the typed accessors.
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
		b.cols[i].reset()
	}
	b.rows = 0
}

// String describes the block for debugging.
func (b *Block) String() string {
	return fmt.Sprintf("block of %s: %d rows", b.Dataset.Name, b.rows)
}

func kindOf(t FieldType) Kind {
	switch t {
	case Date, Month:
		return DayKind
	case Int:
		return Uint32Kind
	case Bool:
		return Uint8Kind
	case Age:
		return OptionalUint8Kind
	case Decimal:
		return Float64Kind
	case List:
		return ListKind
	case Person:
		return KeyKind
	}
	return TextKind
}

// column is one column of a block; only the slices of its kind are used.
type column struct {
	name string
	kind Kind
	// data holds the texts of a text column, the items of a list column,
	// the keys of a key column.
	data    []byte
	ends    []uint32 // end of each text, or of each list item, in data
	rowEnds []uint32 // end of each row's items in ends, for lists
	// ids holds the raw identifiers of a key column until the block is
	// full: they are pseudonymised together (see Block.pseudonymise).
	ids    []byte
	idEnds []uint32
	days   []Day
	u8     []uint8
	none   []uint8
	u32    []uint32
	u64    []uint64
	f64    []float64
}

func (c *column) reset() {
	c.data, c.ends, c.rowEnds, c.ids, c.idEnds = c.data[:0], c.ends[:0], c.rowEnds[:0], c.ids[:0], c.idEnds[:0]
	c.days, c.u8, c.none, c.u32, c.u64, c.f64 = c.days[:0], c.u8[:0], c.none[:0], c.u32[:0], c.u64[:0], c.f64[:0]
}

// appendText appends one text.
func (c *column) appendText(t []byte) {
	c.data = appendBytes(c.data, t)
	c.ends = append(c.ends, uint32(len(c.data)))
}

// appendString appends one text given as a string.
func (c *column) appendString(s string) {
	if len(c.data)+len(s) > cap(c.data) {
		c.data = slices.Grow(c.data, len(s)+cap(c.data))
	}
	c.data = append(c.data, s...)
	c.ends = append(c.ends, uint32(len(c.data)))
}

// appendBytes is append(b, t...) that doubles b when it is full: a block's
// buffers grow to their size in a few steps.
func appendBytes(b, t []byte) []byte {
	if len(b)+len(t) > cap(b) {
		b = slices.Grow(b, len(t)+cap(b))
	}
	return append(b, t...)
}

// reserve makes room for rows rows in the column, and for texts of a few
// bytes each.
func (c *column) reserve(rows int) {
	switch c.kind {
	case TextKind, ListKind:
		c.data, c.ends = make([]byte, 0, 8*rows), make([]uint32, 0, rows)
		if c.kind == ListKind {
			c.rowEnds = make([]uint32, 0, rows)
		}
	case KeyKind:
		c.data, c.ids, c.idEnds = make([]byte, 0, KeySize*rows), make([]byte, 0, 8*rows), make([]uint32, 0, rows)
	case DayKind:
		c.days = make([]Day, 0, rows)
	case Uint8Kind:
		c.u8 = make([]uint8, 0, rows)
	case OptionalUint8Kind:
		c.u8, c.none = make([]uint8, 0, rows), make([]uint8, 0, rows)
	case Uint32Kind:
		c.u32 = make([]uint32, 0, rows)
	case Uint64Kind:
		c.u64 = make([]uint64, 0, rows)
	case Float64Kind:
		c.f64 = make([]float64, 0, rows)
	}
}

// setLast replaces the last text.
func (c *column) setLast(s string) {
	last := len(c.ends) - 1
	c.data = append(c.data[:c.start(last)], s...)
	c.ends[last] = uint32(len(c.data))
}

// truncate takes back what was written past the block's rows: the row
// being written when it breaks a rule.
func (b *Block) truncate() {
	n := b.rows
	for i := range b.cols {
		c := &b.cols[i]
		switch c.kind {
		case TextKind:
			c.ends = c.ends[:min(n, len(c.ends))]
			c.data = c.data[:c.start(len(c.ends))]
		case ListKind:
			c.rowEnds = c.rowEnds[:min(n, len(c.rowEnds))]
			items := 0
			if len(c.rowEnds) > 0 {
				items = int(c.rowEnds[len(c.rowEnds)-1])
			}
			c.ends = c.ends[:items]
			c.data = c.data[:c.start(items)]
		case KeyKind:
			c.data = c.data[:min(n*KeySize, len(c.data))]
			c.idEnds = c.idEnds[:min(n, len(c.idEnds))]
			c.ids = c.ids[:c.idStart(len(c.idEnds))]
		case DayKind:
			c.days = c.days[:min(n, len(c.days))]
		case Uint8Kind:
			c.u8 = c.u8[:min(n, len(c.u8))]
		case OptionalUint8Kind:
			c.u8, c.none = c.u8[:min(n, len(c.u8))], c.none[:min(n, len(c.none))]
		case Uint32Kind:
			c.u32 = c.u32[:min(n, len(c.u32))]
		case Uint64Kind:
			c.u64 = c.u64[:min(n, len(c.u64))]
		case Float64Kind:
			c.f64 = c.f64[:min(n, len(c.f64))]
		}
	}
}

// moveRows moves the rows from row from on to the end of block to.
func (b *Block) moveRows(from int, to *Block) {
	for r := from; r < b.rows; r++ {
		to.copyRow(b, r)
	}
	b.rows = from
	b.truncate()
}

// copyRow appends row r of src, a block of the same dataset.
func (b *Block) copyRow(src *Block, r int) {
	for i := range b.cols {
		b.cols[i].appendRowOf(&src.cols[i], r)
	}
	b.rows++
}

// repeatLast writes the last row again in every column but those listed,
// for a file line stored as several rows.
func (b *Block) repeatLast(except ...int) {
	for i := range b.cols {
		if !slices.Contains(except, i) {
			b.cols[i].appendRowOf(&b.cols[i], b.rows-1)
		}
	}
}

// appendRowOf appends row r of s, a column of the same kind: another
// block's, or this one (a row written again).
func (c *column) appendRowOf(s *column, r int) {
	switch c.kind {
	case TextKind:
		c.appendText(s.data[s.start(r):s.ends[r]])
	case ListKind:
		from := uint32(0)
		if r > 0 {
			from = s.rowEnds[r-1]
		}
		for item := from; item < s.rowEnds[r]; item++ {
			c.appendText(s.data[s.start(int(item)):s.ends[item]])
		}
		c.rowEnds = append(c.rowEnds, uint32(len(c.ends)))
	case KeyKind:
		if r < len(s.idEnds) { // not pseudonymised yet
			c.appendID(s.ids[s.idStart(r):s.idEnds[r]])
		} else {
			c.data = append(c.data, s.data[r*KeySize:(r+1)*KeySize]...)
			c.idEnds = append(c.idEnds, uint32(len(c.ids)))
		}
	case DayKind:
		c.days = append(c.days, s.days[r])
	case Uint8Kind:
		c.u8 = append(c.u8, s.u8[r])
	case OptionalUint8Kind:
		c.u8, c.none = append(c.u8, s.u8[r]), append(c.none, s.none[r])
	case Uint32Kind:
		c.u32 = append(c.u32, s.u32[r])
	case Uint64Kind:
		c.u64 = append(c.u64, s.u64[r])
	case Float64Kind:
		c.f64 = append(c.f64, s.f64[r])
	}
}

// values copies the column into the typed slice Block.Values gives.
func (c *column) values() any {
	switch c.kind {
	case DayKind:
		out := make([]time.Time, len(c.days))
		for i, d := range c.days {
			out[i] = d.Time()
		}
		return out
	case Uint32Kind:
		return append([]uint32{}, c.u32...)
	case Uint8Kind:
		return append([]uint8{}, c.u8...)
	case OptionalUint8Kind:
		out := make([]*uint8, len(c.u8))
		for i := range c.u8 {
			if c.none[i] == 0 {
				v := c.u8[i]
				out[i] = &v
			}
		}
		return out
	case Float64Kind:
		return append([]float64{}, c.f64...)
	case ListKind:
		out := make([][]string, len(c.rowEnds))
		item := 0
		for r, end := range c.rowEnds {
			list := make([]string, 0, int(end)-item)
			for ; item < int(end); item++ {
				list = append(list, string(c.data[c.start(item):c.ends[item]]))
			}
			out[r] = list
		}
		return out
	case KeyKind:
		out := make([][]byte, len(c.data)/KeySize)
		for i := range out {
			out[i] = append([]byte(nil), c.data[i*KeySize:(i+1)*KeySize]...)
		}
		return out
	case Uint64Kind:
		return append([]uint64{}, c.u64...)
	}
	out := make([]string, len(c.ends))
	for i, end := range c.ends {
		out[i] = string(c.data[c.start(i):end])
	}
	return out
}

// appendID appends the raw identifier of a key column's row, and room for
// its key.
func (c *column) appendID(id []byte) {
	c.data = append(c.data, zeroKey[:]...)
	c.ids = appendBytes(c.ids, id)
	c.idEnds = append(c.idEnds, uint32(len(c.ids)))
}

var zeroKey [KeySize]byte

func (c *column) idStart(i int) uint32 {
	if i == 0 {
		return 0
	}
	return c.idEnds[i-1]
}

// pseudonymise writes the keys of the raw identifiers of the block's key
// columns. Done for a whole block in one loop, the lookups of a pseudonym
// cache overlap in the processor rather than wait for memory one by one
// between rows.
func (b *Block) pseudonymise(pseudonymise func(dataset string, raw []byte) [KeySize]byte,
	all func(dataset string, ids []byte, ends []uint32, keys []byte)) {
	for i := range b.cols {
		c := &b.cols[i]
		if c.kind != KeyKind || len(c.idEnds) == 0 {
			continue
		}
		if all != nil {
			all(b.Dataset.Name, c.ids, c.idEnds, c.data)
			c.ids, c.idEnds = c.ids[:0], c.idEnds[:0]
			continue
		}
		start := uint32(0)
		for r, end := range c.idEnds {
			if end > start {
				key := pseudonymise(b.Dataset.Name, c.ids[start:end])
				copy(c.data[r*KeySize:], key[:])
			}
			start = end
		}
		c.ids, c.idEnds = c.ids[:0], c.idEnds[:0]
	}
}

// start returns where text (or item) i starts in data.
func (c *column) start(i int) uint32 {
	if i == 0 {
		return 0
	}
	return c.ends[i-1]
}
