package suppression

// tracker answers what engine.determined answers, for a set of hidden cells
// that only grows, as Solve's does: one column is added per cell hidden, and
// the work done for the cells hidden before is kept.
//
// Let A be the relations written over the hidden cells (a row per relation,
// a column per hidden cell). A hidden cell j is fixed when e_j is in the row
// space of A, that is when every solution z of A z = 0 has z_j = 0; it is
// free otherwise. Adding the column a of a newly hidden cell c:
//
//   - if a is not a combination of the columns already there, the
//     solutions of A z = 0 stay those of before (with 0 for c): no cell is
//     freed, and c is fixed;
//   - if a = A y, the new solutions add (-y, 1): c is freed, and so is every
//     cell j with y_j != 0. y is not unique, but y_j is for every fixed j
//     (two choices of y differ by a solution of A z = 0, which is 0 there).
//
// So a cell once free stays free, and the tracker keeps an echelon basis of
// the columns added: each basis vector is a combination of columns, reduced
// so that it is zero on the pivot rows of the vectors added before it, with
// its pivot row a nonzero entry of its own. A new column is reduced against
// the basis; the combination of columns that reduces it (its history) gives
// y when it reduces to zero. Histories keep only the columns still fixed: a
// column freed never matters again, and the operations on histories act on
// each column apart.
//
// Coefficients are exact integers: an entry past limit (coefLimit, so that
// a*x - b*y of four of them never overflows int64) stops the tracker
// (failed), and the caller falls back on engine.determined.
type tracker struct {
	e      *engine
	limit  int64
	pivot  []int32 // the basis vector whose pivot is each row, -1 for none
	vecs   []basisVec
	added  []bool // the columns added
	free   []bool // added columns that are free
	failed bool

	// Scratch, reused by add: the column being reduced (dense over rows)
	// and its history (dense over cells), with the indices ever set.
	v      []int64
	vSet   []int32
	vIn    []bool
	h      []int64
	hSet   []int32
	hIn    []bool
	queue  heap32
	queued []bool // by basis vector
}

// basisVec is one reduced combination of columns: its entries over the
// relations, and its history over the columns still fixed when it was made.
type basisVec struct {
	pivot    int32
	pivotVal int64
	rows     []int32
	vals     []int64
	histCols []int32
	histVals []int64
}

func newTracker(e *engine, limit int64) *tracker {
	n, m := len(e.cells), len(e.rels)
	t := &tracker{
		e:     e,
		limit: limit,
		pivot: make([]int32, m),
		added: make([]bool, n),
		free:  make([]bool, n),
		v:     make([]int64, m),
		vIn:   make([]bool, m),
		h:     make([]int64, n),
		hIn:   make([]bool, n),
	}
	for i := range t.pivot {
		t.pivot[i] = -1
	}
	return t
}

// coef returns the coefficient of cell c in relation r written as an
// equation: +1 for the total, -1 for each time it is a part.
func (e *engine) coef(c int, r int32) int64 {
	rel := e.rels[r]
	var k int64
	if rel.Total == c {
		k = 1
	}
	for _, p := range rel.Parts {
		if p == c {
			k--
		}
	}
	return k
}

// fixed writes into out which cells are fixed: hidden (added) and not free.
func (t *tracker) fixed(out []bool) {
	for i := range out {
		out[i] = t.added[i] && !t.free[i]
	}
}

// setV adds x to row r of the column being reduced.
func (t *tracker) setV(r int32, x int64) {
	if !t.vIn[r] {
		t.vIn[r] = true
		t.vSet = append(t.vSet, r)
	}
	t.v[r] = x
	if x != 0 {
		if b := t.pivot[r]; b >= 0 && !t.queued[b] {
			t.queued[b] = true
			t.queue.push(b)
		}
	}
}

func (t *tracker) setH(c int32, x int64) {
	if !t.hIn[c] {
		t.hIn[c] = true
		t.hSet = append(t.hSet, c)
	}
	t.h[c] = x
}

func (t *tracker) outOfRange(x int64) bool { return x > t.limit || x < -t.limit }

// add adds the column of cell c, newly hidden. It returns false, leaving
// the tracker failed, when a coefficient outgrows coefLimit.
func (t *tracker) add(c int) bool {
	if t.failed {
		return false
	}
	if t.added[c] {
		return true
	}
	t.added[c] = true
	for len(t.queued) < len(t.vecs) {
		t.queued = append(t.queued, false)
	}
	for _, r := range t.e.cellRels[c] {
		if k := t.e.coef(c, r); k != 0 {
			t.setV(r, k)
		}
	}
	t.setH(int32(c), 1)
	for t.queue.len() > 0 {
		i := t.queue.pop()
		t.queued[i] = false
		b := &t.vecs[i]
		x := t.v[b.pivot]
		if x == 0 {
			continue
		}
		// v = a*v - m*b, with a = 1 when the pivot is +-1.
		a, m := int64(1), x*b.pivotVal
		if b.pivotVal != 1 && b.pivotVal != -1 {
			g := gcd(b.pivotVal, x)
			a, m = b.pivotVal/g, x/g
			if a < 0 {
				a, m = -a, -m
			}
			for _, r := range t.vSet {
				if t.v[r] *= a; t.outOfRange(t.v[r]) {
					t.failed = true
				}
			}
			for _, k := range t.hSet {
				if t.h[k] *= a; t.outOfRange(t.h[k]) {
					t.failed = true
				}
			}
		}
		for j, r := range b.rows {
			y := t.v[r] - m*b.vals[j]
			if t.outOfRange(y) {
				t.failed = true
			}
			t.setV(r, y)
		}
		for j, k := range b.histCols {
			if t.free[k] {
				continue
			}
			y := t.h[k] - m*b.histVals[j]
			if t.outOfRange(y) {
				t.failed = true
			}
			t.setH(k, y)
		}
		if t.failed {
			t.reset()
			return false
		}
		if a != 1 {
			t.divide()
		}
	}
	// What is left is a new basis vector, or nothing: c is then a
	// combination of the columns before, and frees its history.
	var nv basisVec
	nv.pivot = -1
	var g int64
	for _, r := range t.vSet {
		if x := t.v[r]; x != 0 {
			nv.rows = append(nv.rows, r)
			nv.vals = append(nv.vals, x)
			g = gcd(g, x)
		}
	}
	if len(nv.rows) == 0 {
		for _, k := range t.hSet {
			if t.h[k] != 0 {
				t.free[k] = true
			}
		}
		t.reset()
		return true
	}
	for _, k := range t.hSet {
		if x := t.h[k]; x != 0 && !t.free[k] {
			nv.histCols = append(nv.histCols, k)
			nv.histVals = append(nv.histVals, x)
			g = gcd(g, x)
		}
	}
	if g > 1 {
		for j := range nv.vals {
			nv.vals[j] /= g
		}
		for j := range nv.histVals {
			nv.histVals[j] /= g
		}
	}
	// The pivot: an entry of +-1 if there is one, in the row with the
	// fewest cells.
	best := -1
	for j, r := range nv.rows {
		if best < 0 {
			best = j
			continue
		}
		unit, bestUnit := abs64(nv.vals[j]) == 1, abs64(nv.vals[best]) == 1
		if unit != bestUnit {
			if unit {
				best = j
			}
			continue
		}
		if len(t.e.rels[r].Parts) < len(t.e.rels[nv.rows[best]].Parts) {
			best = j
		}
	}
	nv.pivot, nv.pivotVal = nv.rows[best], nv.vals[best]
	t.pivot[nv.pivot] = int32(len(t.vecs))
	t.vecs = append(t.vecs, nv)
	t.reset()
	return true
}

// divide divides the column being reduced and its history by the gcd of
// their entries, to keep them small after a scaling.
func (t *tracker) divide() {
	var g int64
	for _, r := range t.vSet {
		g = gcd(g, t.v[r])
	}
	for _, k := range t.hSet {
		if !t.free[k] {
			g = gcd(g, t.h[k])
		}
	}
	if g <= 1 {
		return
	}
	for _, r := range t.vSet {
		t.v[r] /= g
	}
	for _, k := range t.hSet {
		t.h[k] /= g
	}
}

// reset clears the scratch of add.
func (t *tracker) reset() {
	for _, r := range t.vSet {
		t.v[r], t.vIn[r] = 0, false
	}
	t.vSet = t.vSet[:0]
	for _, k := range t.hSet {
		t.h[k], t.hIn[k] = 0, false
	}
	t.hSet = t.hSet[:0]
	for t.queue.len() > 0 {
		t.queued[t.queue.pop()] = false
	}
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// heap32 is a min-heap of basis vector indices.
type heap32 []int32

func (h heap32) len() int { return len(h) }

func (h *heap32) push(x int32) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p] <= s[i] {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *heap32) pop() int32 {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s[l] < s[m] {
			m = l
		}
		if r < len(s) && s[r] < s[m] {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
