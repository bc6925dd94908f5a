package suppression

import (
	"math/big"
	"slices"
)

// term is one coefficient of an equation: coef times the unknown col.
type term struct {
	col  int32
	coef int64
}

// row is a sparse linear equation over the unknowns of a group, columns in
// increasing order, no zero coefficient. Its right-hand side (the published
// values) does not matter to which unknowns are fixed, so it is not kept.
type row struct {
	cols []int32
	vals []int64
}

// newRow sorts the terms and adds up those of one column (a cell named
// twice in one relation).
func newRow(terms []term) row {
	slices.SortFunc(terms, func(a, b term) int { return int(a.col) - int(b.col) })
	var r row
	for _, t := range terms {
		if t.coef == 0 {
			continue
		}
		if k := len(r.cols); k > 0 && r.cols[k-1] == t.col {
			r.vals[k-1] += t.coef
			if r.vals[k-1] == 0 {
				r.cols, r.vals = r.cols[:k-1], r.vals[:k-1]
			}
			continue
		}
		r.cols = append(r.cols, t.col)
		r.vals = append(r.vals, t.coef)
	}
	return r
}

// coefLimit bounds the coefficients of the fast path so that a*x - b*y of
// four of them never overflows int64.
const coefLimit = 1 << 30

// fixedColumns reduces the rows to reduced row echelon form by exact
// fraction-free Gauss-Jordan elimination and reports which unknowns are
// fixed: unknown j is fixed by the equations exactly when the unit vector
// e_j is a combination of the rows, that is when the reduced form holds a row
// with j alone (in reduced form every pivot column is zero in the other
// rows, so a combination equal to e_j can only use the row whose pivot is j).
//
// Rows are kept sparse and divided by the gcd of their coefficients. The
// pivot is taken in the shortest remaining row (a row of one unknown first,
// which fixes it), in the column found in the fewest rows, to keep the rows
// short. It reports false if a coefficient grows past coefLimit; the caller
// then uses fixedColumnsExact.
func fixedColumns(rows []row, ncols int) ([]bool, bool) {
	colRows := make([][]int32, ncols) // rows that hold the column (or did: checked on use)
	for r := range rows {
		for _, c := range rows[r].cols {
			colRows[c] = append(colRows[c], int32(r))
		}
	}
	done := make([]bool, len(rows)) // pivot rows
	pivotCol := make([]int32, len(rows))
	// The rows waiting to be pivot rows, by length: a row is filed again
	// when its length changes, and an entry whose length no longer matches
	// is skipped, so that taking the shortest row stays cheap.
	var byLen [][]int32
	shortest := 0
	file := func(r int) {
		n := len(rows[r].cols)
		if n == 0 {
			return
		}
		for len(byLen) <= n {
			byLen = append(byLen, nil)
		}
		byLen[n] = append(byLen[n], int32(r))
		shortest = min(shortest, n)
	}
	for r := range rows {
		file(r)
	}
	next := func() int {
		for ; shortest < len(byLen); shortest++ {
			for len(byLen[shortest]) > 0 {
				last := len(byLen[shortest]) - 1
				r := int(byLen[shortest][last])
				byLen[shortest] = byLen[shortest][:last]
				if !done[r] && len(rows[r].cols) == shortest {
					return r
				}
			}
		}
		return -1
	}
	var s scratch
	for {
		p := next()
		if p < 0 {
			break
		}
		pr := &rows[p]
		k := 0
		for i, c := range pr.cols {
			if len(colRows[c]) < len(colRows[pr.cols[k]]) {
				k = i
			}
		}
		pc := pr.cols[k]
		a := pr.vals[k]
		for _, r := range colRows[pc] {
			if int(r) == p {
				continue
			}
			x := &rows[r]
			i, found := slices.BinarySearch(x.cols, pc)
			if !found {
				continue // an old entry: the column left this row
			}
			before := len(x.cols)
			if !s.eliminate(x, pr, a, x.vals[i], r, colRows) {
				return nil, false
			}
			if !done[r] && len(x.cols) != before {
				file(int(r))
			}
		}
		colRows[pc] = append(colRows[pc][:0], int32(p))
		done[p] = true
		pivotCol[p] = pc
	}
	fixed := make([]bool, ncols)
	for r := range rows {
		if done[r] && len(rows[r].cols) == 1 {
			fixed[pivotCol[r]] = true
		}
	}
	return fixed, true
}

type scratch struct {
	cols []int32
	vals []int64
}

// eliminate sets x to a*x - b*p, which clears the pivot column of p (where p
// holds a and x holds b), divided by the gcd of its coefficients. Columns of p
// new to x are recorded in colRows under x's index xi. It reports false when
// a coefficient exceeds coefLimit.
func (s *scratch) eliminate(x, p *row, a, b int64, xi int32, colRows [][]int32) bool {
	if g := gcd(a, b); g > 1 {
		a, b = a/g, b/g
	}
	s.cols, s.vals = s.cols[:0], s.vals[:0]
	i, j := 0, 0
	for i < len(x.cols) || j < len(p.cols) {
		switch {
		case j == len(p.cols) || (i < len(x.cols) && x.cols[i] < p.cols[j]):
			s.cols = append(s.cols, x.cols[i])
			s.vals = append(s.vals, a*x.vals[i])
			i++
		case i == len(x.cols) || p.cols[j] < x.cols[i]:
			s.cols = append(s.cols, p.cols[j])
			s.vals = append(s.vals, -b*p.vals[j])
			colRows[p.cols[j]] = append(colRows[p.cols[j]], xi)
			j++
		default:
			if v := a*x.vals[i] - b*p.vals[j]; v != 0 {
				s.cols = append(s.cols, x.cols[i])
				s.vals = append(s.vals, v)
			}
			i++
			j++
		}
	}
	var g int64 = 1
	if len(s.vals) > 0 {
		g = 0
		for _, v := range s.vals {
			g = gcd(g, v)
		}
	}
	for k := range s.vals {
		s.vals[k] /= g
		if s.vals[k] > coefLimit || s.vals[k] < -coefLimit {
			return false
		}
	}
	x.cols = append(x.cols[:0], s.cols...)
	x.vals = append(x.vals[:0], s.vals...)
	return true
}

// gcd returns the greatest common divisor of |a| and |b| (gcd(0, 0) = 0).
func gcd(a, b int64) int64 {
	if a < 0 {
		a = -a
	}
	if b < 0 {
		b = -b
	}
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// fixedColumnsExact answers as fixedColumns with dense Gauss-Jordan
// elimination over unbounded rationals: slow, used only when the fast path
// gives up.
func fixedColumnsExact(rows []row, ncols int) []bool {
	m := make([][]*big.Rat, len(rows))
	for r, rw := range rows {
		m[r] = make([]*big.Rat, ncols)
		for c := range m[r] {
			m[r][c] = new(big.Rat)
		}
		for k, c := range rw.cols {
			m[r][c].SetInt64(rw.vals[k])
		}
	}
	rank := 0
	pivots := make([]int, 0, len(rows))
	f := new(big.Rat)
	for c := 0; c < ncols && rank < len(m); c++ {
		p := -1
		for r := rank; r < len(m); r++ {
			if m[r][c].Sign() != 0 {
				p = r
				break
			}
		}
		if p < 0 {
			continue
		}
		m[rank], m[p] = m[p], m[rank]
		inv := new(big.Rat).Inv(m[rank][c])
		for k := c; k < ncols; k++ {
			m[rank][k].Mul(m[rank][k], inv)
		}
		for r := range m {
			if r == rank || m[r][c].Sign() == 0 {
				continue
			}
			f.Set(m[r][c])
			for k := c; k < ncols; k++ {
				if m[rank][k].Sign() != 0 {
					m[r][k].Sub(m[r][k], new(big.Rat).Mul(f, m[rank][k]))
				}
			}
		}
		pivots = append(pivots, c)
		rank++
	}
	fixed := make([]bool, ncols)
	for r, c := range pivots {
		alone := true
		for k := range ncols {
			if k != c && m[r][k].Sign() != 0 {
				alone = false
				break
			}
		}
		fixed[c] = alone
	}
	return fixed
}
