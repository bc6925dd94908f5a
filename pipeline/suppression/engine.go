package suppression

import (
	"encoding/binary"
	"slices"
)

// engine holds what the rounds of Solve share: the relations of each cell,
// and the cells found fixed in each group of hidden cells already met (a
// group's result depends only on its cells, so a group left unchanged by a
// round is not solved again).
type engine struct {
	cells    []Cell
	rels     []Relation
	cellRels [][]int32 // the relations each cell takes part in

	cache map[string][]int32 // group key -> its fixed cells

	// Scratch, reused across calls.
	parent   []int32
	local    []int32
	seenRel  []uint32
	seenCell []uint32
	epoch    uint32
	near     []int32 // the relations of ring 0 of the last complement search
	// The rings of complement's search.
	next, leaks, spare []int32
}

func newEngine(p Problem) *engine {
	n := len(p.Cells)
	e := &engine{
		cells:    p.Cells,
		rels:     p.Relations,
		cellRels: make([][]int32, n),
		cache:    map[string][]int32{},
		parent:   make([]int32, n),
		local:    make([]int32, n),
		seenRel:  make([]uint32, len(p.Relations)),
		seenCell: make([]uint32, n),
	}
	// One backing array for all lists.
	counts := make([]int32, n)
	for _, rel := range p.Relations {
		counts[rel.Total]++
		for _, c := range rel.Parts {
			counts[c]++
		}
	}
	var total int
	for _, k := range counts {
		total += int(k)
	}
	backing := make([]int32, 0, total)
	for i, k := range counts {
		e.cellRels[i] = backing[len(backing) : len(backing) : len(backing)+int(k)]
		backing = backing[:len(backing)+int(k)]
	}
	add := func(c int, r int32) {
		l := e.cellRels[c]
		if len(l) > 0 && l[len(l)-1] == r {
			return // a cell named twice in one relation
		}
		e.cellRels[c] = append(l, r)
	}
	for r, rel := range p.Relations {
		add(rel.Total, int32(r))
		for _, c := range rel.Parts {
			add(c, int32(r))
		}
	}
	return e
}

func (e *engine) find(x int32) int32 {
	for e.parent[x] != x {
		e.parent[x] = e.parent[e.parent[x]]
		x = e.parent[x]
	}
	return x
}

func (e *engine) union(a, b int32) {
	ra, rb := e.find(a), e.find(b)
	if ra != rb {
		if ra < rb {
			e.parent[rb] = ra
		} else {
			e.parent[ra] = rb
		}
	}
}

// determined returns which hidden cells the relations fix, given that the
// others are published. The hidden cells are split into groups: two hidden
// cells are in one group when a relation links them, directly or through
// other hidden cells. A relation gives an equation over the hidden cells of
// one group only, so each group is solved alone.
func (e *engine) determined(hidden []bool) []bool {
	n := len(e.cells)
	for i := range e.parent {
		e.parent[i] = int32(i)
	}
	for _, rel := range e.rels {
		first := int32(-1)
		link := func(c int) {
			if !hidden[c] {
				return
			}
			if first < 0 {
				first = int32(c)
			} else {
				e.union(first, int32(c))
			}
		}
		link(rel.Total)
		for _, c := range rel.Parts {
			link(c)
		}
	}
	groupOf := map[int32]int{}
	var groupCells [][]int32
	for i := 0; i < n; i++ {
		if !hidden[i] {
			continue
		}
		root := e.find(int32(i))
		g, ok := groupOf[root]
		if !ok {
			g = len(groupCells)
			groupOf[root] = g
			groupCells = append(groupCells, nil)
		}
		groupCells[g] = append(groupCells[g], int32(i))
	}

	fixed := make([]bool, n)
	var key []byte
	var rels []int32
	for _, cells := range groupCells {
		key = key[:0]
		for _, c := range cells {
			key = binary.AppendUvarint(key, uint64(c))
		}
		got, ok := e.cache[string(key)]
		if !ok {
			rels = e.groupRelations(cells, rels[:0])
			got = e.solveGroup(cells, rels, hidden)
			e.cache[string(key)] = got
		}
		for _, c := range got {
			fixed[c] = true
		}
	}
	return fixed
}

// groupRelations appends the relations that name a cell of the group.
func (e *engine) groupRelations(cells []int32, rels []int32) []int32 {
	e.epoch++
	for _, c := range cells {
		for _, r := range e.cellRels[c] {
			if e.seenRel[r] != e.epoch {
				e.seenRel[r] = e.epoch
				rels = append(rels, r)
			}
		}
	}
	slices.Sort(rels)
	return rels
}

// solveGroup returns the cells of one group that the relations fix.
func (e *engine) solveGroup(cells, rels []int32, hidden []bool) []int32 {
	for j, c := range cells {
		e.local[c] = int32(j)
	}
	fix, ok := fixedColumns(e.rows(rels, hidden), len(cells))
	if !ok {
		// A coefficient outgrew the fast path: start again with unbounded
		// rationals.
		fix = fixedColumnsExact(e.rows(rels, hidden), len(cells))
	}
	var out []int32
	for j, f := range fix {
		if f {
			out = append(out, cells[j])
		}
	}
	return out
}

// rows writes each relation as an equation over the hidden cells of one
// group, numbered by e.local: +1 for the total, -1 for each part.
func (e *engine) rows(rels []int32, hidden []bool) []row {
	rows := make([]row, 0, len(rels))
	var terms []term
	for _, r := range rels {
		rel := e.rels[r]
		terms = terms[:0]
		if hidden[rel.Total] {
			terms = append(terms, term{e.local[rel.Total], 1})
		}
		for _, c := range rel.Parts {
			if hidden[c] {
				terms = append(terms, term{e.local[c], -1})
			}
		}
		rows = append(rows, newRow(terms))
	}
	return rows
}

// touches reports whether cell i is in a relation marked in touched.
func (e *engine) touches(i int, touched []bool) bool {
	for _, r := range e.cellRels[i] {
		if touched[r] {
			return true
		}
	}
	return false
}

// candidate orders the cells that could be hidden to protect another: a
// non-zero count first (hiding a 0 protects little), then by class (see
// complement), then the smallest count, then the lowest index.
type candidate struct {
	cell  int
	zero  bool
	class int
	value int64
}

func (a candidate) better(b candidate) bool {
	if b.cell < 0 {
		return true
	}
	if a.zero != b.zero {
		return !a.zero
	}
	if a.class != b.class {
		return a.class < b.class
	}
	if a.value != b.value {
		return a.value < b.value
	}
	return a.cell < b.cell
}

// complement chooses the cell to hide for the disclosed cell i.
//
// The candidates are the shown cells of i's relations (ring 0) and of the
// relations of the hidden cells there that are fixed themselves (ring 1):
// such a neighbour is what gives i away, and a part next to it is often the
// cell that completes a protecting pattern — hiding the fourth corner of a
// rectangle of inner cells loses less than hiding a margin. The order is a
// part of ring 0, a part of ring 1, a total of ring 0, a total of ring 1.
// When there is none, the search goes on outwards through the hidden cells,
// one ring at a time, a part before a total. It reports false when no
// relation reachable that way has a shown cell.
func (e *engine) complement(i int, hidden, fixed []bool) (int, bool) {
	e.epoch++
	e.near = e.near[:0]
	best := candidate{cell: -1}
	next, leaks, spare := e.next[:0], e.leaks[:0], e.spare[:0]
	// visit looks at the relations of cells not seen yet, scoring a shown
	// cell with partClass or partClass+2 for a total; record keeps the
	// relations in e.near.
	visit := func(cells []int32, partClass int, record bool) {
		for _, c := range cells {
			for _, r := range e.cellRels[c] {
				if e.seenRel[r] == e.epoch {
					continue
				}
				e.seenRel[r] = e.epoch
				if record {
					e.near = append(e.near, r)
				}
				rel := e.rels[r]
				e.consider(rel.Total, partClass+2, hidden, fixed, &best, &next, &leaks)
				for _, p := range rel.Parts {
					e.consider(p, partClass, hidden, fixed, &best, &next, &leaks)
				}
			}
		}
	}
	e.seenCell[i] = e.epoch
	visit([]int32{int32(i)}, 0, true)
	visit(leaks, 1, false)
	for best.cell < 0 && len(next) > 0 {
		frontier := next
		next = spare[:0]
		visit(frontier, 0, false)
		spare = frontier
	}
	e.next, e.leaks, e.spare = next, leaks, spare
	return best.cell, best.cell >= 0
}

// consider scores a cell met in a relation: a shown one as a candidate, a
// hidden one not met before as the next ring (and, when fixed, as a leak).
func (e *engine) consider(c, class int, hidden, fixed []bool, best *candidate, next, leaks *[]int32) {
	if hidden[c] {
		if e.seenCell[c] != e.epoch {
			e.seenCell[c] = e.epoch
			*next = append(*next, int32(c))
			if fixed[c] {
				*leaks = append(*leaks, int32(c))
			}
		}
		return
	}
	v := e.cells[c].Value
	if cand := (candidate{cell: c, zero: v == 0, class: class, value: v}); cand.better(*best) {
		*best = cand
	}
}
