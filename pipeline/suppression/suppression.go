// Package suppression decides which counts of a table may be published
// without disclosing a small count, directly or by arithmetic.
//
// A table is a Problem: cells (counts) and relations, each saying that one
// cell is exactly the sum of others (a bassin and its communes, a quarter and
// its months, a row total and its categories). A count is sensitive when
// 1 <= count < threshold (threshold 5: counts 1 to 4).
//
// Solve hides every publishable sensitive cell (primary suppression), then
// hides more cells (complementary suppression) until no sensitive cell —
// hidden or never publishable, such as the part of Bruxelles-Ville inside a
// bassin or the remainder of the region outside the bassins — can be derived
// from the published cells and the relations.
//
// What is protected: exact linear derivation. A hidden cell is disclosed when
// every real solution of the relations that agrees with the published cells
// gives it the same value; Solve leaves no sensitive cell disclosed. This is
// decided with exact integer arithmetic on the relations restricted to the
// hidden cells: Disclosed solves one connected group of hidden cells at a
// time; Solve, which hides cells one by one over many rounds, keeps what it
// found for the cells hidden before and only adds each new one (see
// tracker), going back to the groups should a coefficient grow too big.
//
// What is not protected:
//   - bounds. Counts are whole numbers and never negative; a reader may use
//     that to narrow a hidden count to an interval (a hidden cell is at most
//     the published total it belongs to), and in rare tables the interval
//     can shrink to a single value. Solve only rules out exact linear
//     derivation, not derivation through such bounds (the "< 5" marker
//     itself says a primary cell is small);
//   - relations it is not told about. Every cell published that adds up with
//     another — other tables, other breakdowns, earlier releases — must be in
//     the same Problem, or the reader may combine them;
//   - hidden cells that are not sensitive (zero or >= threshold), hidden only
//     to protect others, may still be derivable: that discloses nothing small.
//     The same holds for a never-publishable cell of 0 or >= threshold;
//   - distinct counts (persons counted once however many communes or months
//     they appear in) do not add up, so they have no relations: for them a
//     Problem has no relations and only primary suppression applies.
//
// Cost: in a table published along three dimensions that all add up
// (geography x category x period), an isolated small cell stays underivable
// only inside a 2x2x2 block of hidden cells, so it takes at least seven
// companions; Solve's greedy choice is not minimal.
//
// The values are expected to satisfy the relations exactly (see
// Problem.Validate); which cells are derivable depends only on which are
// hidden, the values only decide which cells are sensitive and which
// complement is cheapest.
package suppression

import (
	"fmt"
)

// Cell is one count a reader might see.
type Cell struct {
	// Value is the true count, >= 0.
	Value int64
	// Publishable is false for a quantity never published itself but
	// derivable from the relations (the part of Bruxelles-Ville inside a
	// bassin, the remainder of the region outside the bassins). Such a cell
	// is always hidden, and protected like any hidden cell when sensitive.
	Publishable bool
}

// Relation says Cells[Total] == the sum of Cells[Parts], exactly.
type Relation struct {
	Total int
	Parts []int
}

// Problem is one table: its cells and the relations between them.
type Problem struct {
	Cells     []Cell
	Relations []Relation
}

// Validate checks that every relation names existing cells and adds up, and
// that no count is negative.
func (p Problem) Validate() error {
	for i, c := range p.Cells {
		if c.Value < 0 {
			return fmt.Errorf("suppression: cell %d: negative count %d", i, c.Value)
		}
	}
	for r, rel := range p.Relations {
		if rel.Total < 0 || rel.Total >= len(p.Cells) {
			return fmt.Errorf("suppression: relation %d: total %d is not a cell", r, rel.Total)
		}
		if len(rel.Parts) == 0 {
			return fmt.Errorf("suppression: relation %d: no parts", r)
		}
		var sum int64
		for _, c := range rel.Parts {
			if c < 0 || c >= len(p.Cells) {
				return fmt.Errorf("suppression: relation %d: part %d is not a cell", r, c)
			}
			sum += p.Cells[c].Value
		}
		if sum != p.Cells[rel.Total].Value {
			return fmt.Errorf("suppression: relation %d: the parts add up to %d, the total is %d", r, sum, p.Cells[rel.Total].Value)
		}
	}
	return nil
}

// Sensitive reports whether a count must not be disclosed: 1 <= value < threshold.
func Sensitive(value, threshold int64) bool {
	return value >= 1 && value < threshold
}

// Solve returns which cells must not be published: hidden[i] is true for
// cell i. Non-publishable cells are always hidden, and so is every
// publishable sensitive cell. Complements are added until no sensitive cell
// is disclosed (see Disclosed). Each complement is a publishable cell still
// shown in a relation of a disclosed cell or of a hidden cell next to it that
// is disclosed too, preferring a non-zero count, then a part over a total
// (a part next to the disclosed cell first), then the smallest count, then
// the lowest index; when there is none, the search goes further out among
// the hidden cells.
//
// The cell indices of p must be valid (see Problem.Validate); Solve panics
// otherwise. A threshold of 1 or less makes no count sensitive.
func Solve(p Problem, threshold int64) []bool {
	hidden, _ := solve(p, threshold, coefLimit)
	return hidden
}

// solve is Solve with the tracker's coefficient limit; it also reports
// whether the tracker gave up (the rounds from then on asked
// engine.determined).
func solve(p Problem, threshold, limit int64) (hidden []bool, fellBack bool) {
	hidden = make([]bool, len(p.Cells))
	for i, c := range p.Cells {
		hidden[i] = !c.Publishable || Sensitive(c.Value, threshold)
	}
	if threshold <= 1 {
		return hidden, false
	}
	e := newEngine(p)
	hopeless := make([]bool, len(p.Cells)) // nothing left to hide around them
	touched := make([]bool, len(p.Relations))
	var touchedList []int32
	// The tracker follows the hidden cells as they are added; should it
	// fail, each round asks engine.determined instead.
	t := newTracker(e, limit)
	for i, h := range hidden {
		if h {
			t.add(i)
		}
	}
	fixed := make([]bool, len(p.Cells))
	var added []int
	for {
		for _, c := range added {
			t.add(c)
		}
		added = added[:0]
		if t.failed {
			fixed = e.determined(hidden)
		} else {
			t.fixed(fixed)
		}
		for i, f := range fixed {
			if !f || hopeless[i] || !Sensitive(p.Cells[i].Value, threshold) {
				continue
			}
			// A cell sharing a relation with a complement added in this
			// round, or with the cell that complement protects, may be
			// protected by it: look again in the next round rather than
			// hide a second cell for it now.
			if e.touches(i, touched) {
				continue
			}
			c, ok := e.complement(i, hidden, fixed)
			if !ok {
				// Every cell of every relation around it is hidden: the
				// reader cannot use a published value to reach it (with
				// consistent values it would be 0, so this only happens
				// when the relations do not add up).
				hopeless[i] = true
				continue
			}
			hidden[c] = true
			added = append(added, c)
			for _, rels := range [][]int32{e.cellRels[c], e.near} {
				for _, r := range rels {
					if !touched[r] {
						touched[r] = true
						touchedList = append(touchedList, r)
					}
				}
			}
		}
		if len(added) == 0 {
			return hidden, t.failed
		}
		for _, r := range touchedList {
			touched[r] = false
		}
		touchedList = touchedList[:0]
	}
}

// Disclosed returns, in increasing order, the hidden cells whose value is
// determined exactly by the published cells and the relations: those x_i
// fixed by the linear system the relations make over the hidden cells once
// the published values are put in. Non-publishable cells count as hidden
// whatever hidden says. Published cells are not listed.
func Disclosed(p Problem, hidden []bool) []int {
	h := make([]bool, len(p.Cells))
	for i, c := range p.Cells {
		h[i] = !c.Publishable || (i < len(hidden) && hidden[i])
	}
	var out []int
	for i, f := range newEngine(p).determined(h) {
		if f {
			out = append(out, i)
		}
	}
	return out
}
