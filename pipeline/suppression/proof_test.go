package suppression

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// The checks below know nothing of Solve's code: they rebuild, from the
// published values and the relations only, what a reader can compute.

// readerDerives returns the hidden cells (hidden, or never publishable) a
// reader can compute exactly, with the value they get. It writes each
// relation as an equation over the hidden cells, the published values moved
// to the right-hand side, brings the equations to row echelon form (dense,
// integer rows divided by their gcd, pivots in column order), then asks for
// each hidden cell whether the unit vector e_i reduces to zero against the
// echelon rows, that is whether x_i is a combination of the equations; the
// same combination of right-hand sides is its value.
func readerDerives(t *testing.T, p Problem, hidden []bool) map[int]int64 {
	t.Helper()
	var cols []int // hidden cells
	col := map[int]int{}
	for i := range p.Cells {
		if hidden[i] || !p.Cells[i].Publishable {
			col[i] = len(cols)
			cols = append(cols, i)
		}
	}
	k := len(cols)
	const limit = 1 << 40
	check := func(v int64) int64 {
		if v > limit || v < -limit {
			t.Fatalf("checker: a coefficient outgrew int64 safety: %d", v)
		}
		return v
	}
	normalize := func(v []int64) {
		var g int64
		for _, x := range v {
			g = gcd(g, x)
		}
		if g > 1 {
			for i := range v {
				v[i] /= g
			}
		}
	}
	// Row: k coefficients, then the right-hand side.
	var rows [][]int64
	for _, rel := range p.Relations {
		r := make([]int64, k+1)
		nonzero := false
		add := func(c int, sign int64) {
			if j, ok := col[c]; ok {
				r[j] += sign
				nonzero = true
			} else {
				r[k] -= sign * p.Cells[c].Value
			}
		}
		add(rel.Total, 1)
		for _, c := range rel.Parts {
			add(c, -1)
		}
		if nonzero {
			rows = append(rows, r)
		}
	}
	var echelon [][]int64
	var pivots []int
	for c := 0; c < k; c++ {
		p := -1
		for i, r := range rows {
			if r[c] != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		pr := rows[p]
		rows = slices.Delete(rows, p, p+1)
		for _, r := range rows {
			if r[c] == 0 {
				continue
			}
			a, b := pr[c], r[c]
			for j := range r {
				r[j] = check(a*r[j] - b*pr[j])
			}
			normalize(r)
		}
		echelon = append(echelon, pr)
		pivots = append(pivots, c)
	}
	out := map[int]int64{}
	for j, cell := range cols {
		// v.x = s*x_cell - w holds for every solution.
		v := make([]int64, k)
		v[j] = 1
		s, w := int64(1), int64(0)
		for e, r := range echelon {
			c := pivots[e]
			if v[c] == 0 {
				continue
			}
			a, b := r[c], v[c]
			for q := range v {
				v[q] = check(a*v[q] - b*r[q])
			}
			s, w = check(a*s), check(a*w+b*r[k])
			g := gcd(s, w)
			for _, x := range v {
				g = gcd(g, x)
			}
			if g > 1 {
				for q := range v {
					v[q] /= g
				}
				s, w = s/g, w/g
			}
		}
		if slices.ContainsFunc(v, func(x int64) bool { return x != 0 }) {
			continue
		}
		if w%s != 0 {
			t.Fatalf("checker: cell %d derived as %d/%d", cell, w, s)
		}
		out[cell] = w / s
	}
	return out
}

// checkProtected runs Solve and checks its answer with readerDerives: every
// publishable small cell hidden, every non-publishable one too, no small
// cell derivable, every derived value the true one, and Disclosed listing
// exactly the derivable cells.
func checkProtected(t *testing.T, p Problem, threshold int64) []bool {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	hidden := Solve(p, threshold)
	for i, c := range p.Cells {
		if !c.Publishable && !hidden[i] {
			t.Fatalf("non-publishable cell %d shown", i)
		}
		if c.Value >= 1 && c.Value < threshold && !hidden[i] {
			t.Fatalf("small cell %d (%d) shown", i, c.Value)
		}
	}
	derived := readerDerives(t, p, hidden)
	var cells []int
	for c, v := range derived {
		if v != p.Cells[c].Value {
			t.Fatalf("checker: cell %d derived as %d, is %d", c, v, p.Cells[c].Value)
		}
		if v >= 1 && v < threshold {
			t.Errorf("small cell %d (%d) derivable from the published cells", c, v)
		}
		cells = append(cells, c)
	}
	slices.Sort(cells)
	if got := Disclosed(p, hidden); !slices.Equal(got, cells) {
		t.Errorf("Disclosed %v, the checker derives %v", got, cells)
	}
	return hidden
}

func TestSolveProtectsRandomTables(t *testing.T) {
	shapes := []struct {
		categories, months, problems int
		smallShare                   int // one count in smallShare is 0 to 6; 0: most are
	}{
		{1, 1, 300, 0},
		{3, 1, 100, 0},
		{1, 3, 100, 0},
		{2, 3, 40, 0},
		{1, 12, 20, 0},
		{1, 1, 300, 4},
		{3, 1, 100, 8},
		{2, 3, 60, 10},
		{4, 12, 10, 15},
	}
	for _, sh := range shapes {
		t.Run(fmt.Sprintf("%d categories %d months 1 in %d small", sh.categories, sh.months, sh.smallShare), func(t *testing.T) {
			var cells, hiddenCells, small int
			for seed := range sh.problems {
				rng := rand.New(rand.NewPCG(uint64(seed), uint64(sh.categories*10000+sh.months*100+sh.smallShare)))
				leaf := smallCounts(rng)
				if sh.smallShare > 0 {
					leaf = fewSmall(rng, sh.smallShare)
				}
				tb := newTable(sh.categories, sh.months, leaf)
				threshold := int64(5)
				if seed%10 == 9 {
					threshold = 3
				}
				h := checkProtected(t, tb.p, threshold)
				cells += len(h)
				for i, x := range h {
					if x {
						hiddenCells++
					}
					if Sensitive(tb.p.Cells[i].Value, threshold) {
						small++
					}
				}
				if t.Failed() {
					t.Fatalf("seed %d", seed)
				}
			}
			t.Logf("%d cells, %d small, %d hidden", cells, small, hiddenCells)
		})
	}
}

// bruteForce enumerates the whole-number values of the hidden cells, each
// within span of its true value (negative ones allowed: only linear
// derivation is protected), that agree with the published cells and the
// relations, and returns how many distinct values each hidden cell takes. A
// relation with one cell left open gives that cell's value.
func bruteForce(p Problem, hidden []bool, span int64) map[int]map[int64]bool {
	var open []int
	for i := range p.Cells {
		if hidden[i] || !p.Cells[i].Publishable {
			open = append(open, i)
		}
	}
	isOpen := func(i int) bool { return hidden[i] || !p.Cells[i].Publishable }
	seen := map[int]map[int64]bool{}
	for _, c := range open {
		seen[c] = map[int64]bool{}
	}
	val := make([]int64, len(p.Cells))
	set := make([]bool, len(p.Cells))
	for i, c := range p.Cells {
		if !isOpen(i) {
			val[i], set[i] = c.Value, true
		}
	}
	var walk func()
	walk = func() {
		// Forced values, and a check of the relations already complete.
		var forced []int
		defer func() {
			for _, c := range forced {
				set[c] = false
			}
		}()
		for changed := true; changed; {
			changed = false
			for _, rel := range p.Relations {
				free, freeSign := -1, int64(0)
				nfree := 0
				sum := int64(0) // total - parts over the set cells
				term := func(c int, sign int64) {
					if set[c] {
						sum += sign * val[c]
					} else if c != free {
						nfree++
						free, freeSign = c, sign
					}
				}
				term(rel.Total, 1)
				for _, c := range rel.Parts {
					term(c, -1)
				}
				switch nfree {
				case 0:
					if sum != 0 {
						return
					}
				case 1:
					v := -sum * freeSign
					if d := v - p.Cells[free].Value; d > span || d < -span {
						return
					}
					val[free], set[free] = v, true
					forced = append(forced, free)
					changed = true
				}
			}
		}
		next := -1
		for _, c := range open {
			if !set[c] {
				next = c
				break
			}
		}
		if next < 0 {
			for _, c := range open {
				seen[c][val[c]] = true
			}
			return
		}
		for d := -span; d <= span; d++ {
			val[next], set[next] = p.Cells[next].Value+d, true
			walk()
		}
		set[next] = false
	}
	walk()
	return seen
}

func TestSolveAgainstBruteForce(t *testing.T) {
	// Enumeration grows as 3^(free cells): only tables with few hidden cells
	// are enumerated, and enough of them must be.
	checked, smallSeen, seeds := 0, 0, 0
	for seed := 0; checked < 120; seed++ {
		seeds++
		if seed > 5000 {
			t.Fatalf("only %d tables small enough to enumerate", checked)
		}
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		tb := newTable(1, 1, fewSmall(rng, 6))
		hidden := Solve(tb.p, 5)
		if len(hiddenList(hidden)) > 12 {
			continue
		}
		checked++
		seen := bruteForce(tb.p, hidden, 1)
		disclosed := Disclosed(tb.p, hidden)
		for c, values := range seen {
			if !values[tb.p.Cells[c].Value] {
				t.Fatalf("seed %d: the true value of cell %d was not met", seed, c)
			}
			if Sensitive(tb.p.Cells[c].Value, 5) {
				smallSeen++
			}
			if Sensitive(tb.p.Cells[c].Value, 5) && len(values) < 2 {
				t.Errorf("seed %d: small cell %d (%d) has a single possible value", seed, c, tb.p.Cells[c].Value)
			}
			if (len(values) == 1) != slices.Contains(disclosed, c) {
				t.Errorf("seed %d: cell %d takes %d values, Disclosed lists it: %v", seed, c, len(values), slices.Contains(disclosed, c))
			}
		}
	}
	if smallSeen < 100 {
		t.Fatalf("only %d small hidden cells enumerated", smallSeen)
	}
	t.Logf("%d tables of %d enumerated, %d small hidden cells", checked, seeds, smallSeen)
}

// The brute force itself: in a 2x2 table with margins, three hidden inner
// cells take one value each, four take three each (-1, 0, +1 around the
// truth with span 1).
func TestBruteForceOnTheTwoByTwo(t *testing.T) {
	p := grid2x2()
	three := make([]bool, 9)
	three[3], three[4], three[6] = true, true, true
	for c, v := range bruteForce(p, three, 1) {
		if len(v) != 1 {
			t.Errorf("three hidden: cell %d takes %d values", c, len(v))
		}
	}
	four := slices.Clone(three)
	four[7] = true
	for c, v := range bruteForce(p, four, 1) {
		if len(v) != 3 {
			t.Errorf("four hidden: cell %d takes %d values", c, len(v))
		}
	}
}

// The int64 fast path and the rational one agree on random groups.
func TestFixedColumnsPathsAgree(t *testing.T) {
	for seed := range 300 {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		ncols := 1 + rng.IntN(12)
		var rows []row
		for range 1 + rng.IntN(12) {
			var terms []term
			for c := range ncols {
				if rng.IntN(3) == 0 {
					terms = append(terms, term{int32(c), int64(rng.IntN(5) - 2)})
				}
			}
			rows = append(rows, newRow(terms))
		}
		clone := make([]row, len(rows))
		for i, r := range rows {
			clone[i] = row{slices.Clone(r.cols), slices.Clone(r.vals)}
		}
		fast, ok := fixedColumns(rows, ncols)
		if !ok {
			t.Fatalf("seed %d: the fast path gave up on small coefficients", seed)
		}
		if exact := fixedColumnsExact(clone, ncols); !slices.Equal(fast, exact) {
			t.Fatalf("seed %d: fast %v, exact %v", seed, fast, exact)
		}
	}
}

// FuzzSolve builds a problem from bytes: counts, then relations over them
// with consistent totals. Every publishable small cell must be hidden, no
// small cell may be disclosed.
func FuzzSolve(f *testing.F) {
	f.Add([]byte{3, 7, 10, 0, 1, 2, 9, 2, 4, 1, 3, 5, 0, 1, 2, 3}, uint8(5))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7}, uint8(3))
	f.Add([]byte{0, 0, 0, 1, 1, 1}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, threshold uint8) {
		if len(data) < 2 || len(data) > 64 {
			return
		}
		// First half: leaf counts, non-publishable when the high bit is set.
		nLeaves := len(data) / 2
		var p Problem
		for _, b := range data[:nLeaves] {
			p.Cells = append(p.Cells, Cell{Value: int64(b % 9), Publishable: b&0x80 == 0})
		}
		// Second half: each byte adds a total over a few earlier cells.
		for k, b := range data[nLeaves:] {
			n := len(p.Cells)
			width := 1 + int(b%4)
			var parts []int
			var sum int64
			for j := range width {
				c := (int(b/4) + j*(k+1)) % n
				if slices.Contains(parts, c) {
					continue
				}
				parts = append(parts, c)
				sum += p.Cells[c].Value
			}
			p.Cells = append(p.Cells, Cell{Value: sum, Publishable: b%7 != 0})
			p.Relations = append(p.Relations, Relation{Total: n, Parts: parts})
		}
		th := int64(threshold % 8)
		hidden := Solve(p, th)
		for i, c := range p.Cells {
			if (!c.Publishable || Sensitive(c.Value, th)) && !hidden[i] {
				t.Fatalf("cell %d (%d, publishable %v) shown", i, c.Value, c.Publishable)
			}
		}
		for _, c := range Disclosed(p, hidden) {
			if Sensitive(p.Cells[c].Value, th) {
				t.Fatalf("small cell %d (%d) disclosed", c, p.Cells[c].Value)
			}
		}
	})
}
