package suppression

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// solveReference is Solve as it was before the tracker, kept to compare:
// every round asks engine.determined which hidden cells are fixed.
func solveReference(p Problem, threshold int64) []bool {
	hidden := make([]bool, len(p.Cells))
	for i, c := range p.Cells {
		hidden[i] = !c.Publishable || Sensitive(c.Value, threshold)
	}
	if threshold <= 1 {
		return hidden
	}
	e := newEngine(p)
	hopeless := make([]bool, len(p.Cells))
	touched := make([]bool, len(p.Relations))
	var touchedList []int32
	for {
		fixed := e.determined(hidden)
		added := 0
		for i, f := range fixed {
			if !f || hopeless[i] || !Sensitive(p.Cells[i].Value, threshold) {
				continue
			}
			if e.touches(i, touched) {
				continue
			}
			c, ok := e.complement(i, hidden, fixed)
			if !ok {
				hopeless[i] = true
				continue
			}
			hidden[c] = true
			added++
			for _, rels := range [][]int32{e.cellRels[c], e.near} {
				for _, r := range rels {
					if !touched[r] {
						touched[r] = true
						touchedList = append(touchedList, r)
					}
				}
			}
		}
		if added == 0 {
			return hidden
		}
		for _, r := range touchedList {
			touched[r] = false
		}
		touchedList = touchedList[:0]
	}
}

// randomProblem draws cells and relations with no shape: a total over a few
// cells drawn anywhere, a cell now and then twice in a relation or both its
// total and a part, some totals themselves parts of others. Values need not
// add up: which cells are fixed depends on the relations only.
func randomProblem(rng *rand.Rand) Problem {
	var p Problem
	n := 2 + rng.IntN(40)
	for range n {
		p.Cells = append(p.Cells, Cell{Value: rng.Int64N(9), Publishable: rng.IntN(8) != 0})
	}
	for range rng.IntN(2 * n) {
		r := Relation{Total: rng.IntN(n)}
		for range 1 + rng.IntN(5) {
			r.Parts = append(r.Parts, rng.IntN(n))
		}
		if rng.IntN(10) == 0 {
			r.Parts = append(r.Parts, r.Total)
		}
		p.Relations = append(p.Relations, r)
	}
	return p
}

// The tracker finds the fixed cells engine.determined finds, after each
// cell hidden, in any order, on shaped and shapeless problems.
func TestTrackerAgreesWithDetermined(t *testing.T) {
	var problems []Problem
	for seed := range 400 {
		problems = append(problems, randomProblem(rand.New(rand.NewPCG(uint64(seed), 3))))
	}
	for seed := range 6 {
		rng := rand.New(rand.NewPCG(uint64(seed), 5))
		problems = append(problems, newTable(1+seed%3, []int{1, 3, 12}[seed%3], smallCounts(rng)).p)
	}
	checks, freed, fixedSeen := 0, 0, 0
	for pi, p := range problems {
		rng := rand.New(rand.NewPCG(uint64(pi), 9))
		e := newEngine(p)
		tr := newTracker(e, coefLimit)
		hidden := make([]bool, len(p.Cells))
		got := make([]bool, len(p.Cells))
		for k, c := range rng.Perm(len(p.Cells)) {
			hidden[c] = true
			if !tr.add(c) {
				t.Fatalf("problem %d: the tracker gave up", pi)
			}
			// Every cell on small problems, every seventh on big ones.
			if len(p.Cells) > 100 && k%7 != 0 && k != len(p.Cells)-1 {
				continue
			}
			tr.fixed(got)
			want := e.determined(hidden)
			if !slices.Equal(got, want) {
				t.Fatalf("problem %d after %d cells: tracker %v, determined %v", pi, k+1, hiddenList(got), hiddenList(want))
			}
			checks++
			for i := range want {
				if hidden[i] && want[i] {
					fixedSeen++
				} else if hidden[i] {
					freed++
				}
			}
		}
	}
	// Both answers must have come up often for the comparison to mean
	// something.
	if fixedSeen < 1000 || freed < 1000 {
		t.Fatalf("%d fixed and %d free cells compared", fixedSeen, freed)
	}
	t.Logf("%d comparisons, %d fixed and %d free cells", checks, fixedSeen, freed)
}

// Solve gives what it gave when every round asked engine.determined, and
// so does it when the tracker gives up at a low coefficient limit and the
// rounds go on with engine.determined.
func TestSolveAgreesWithTheReference(t *testing.T) {
	type named struct {
		name string
		p    Problem
	}
	var problems []named
	for seed := range 300 {
		problems = append(problems, named{fmt.Sprintf("random %d", seed), randomProblem(rand.New(rand.NewPCG(uint64(seed), 4)))})
	}
	// The last shape is the product's largest table (BenchmarkSolveProductSize).
	shapes := []struct{ categories, months, share, seeds int }{{1, 1, 0, 10}, {3, 1, 0, 5}, {2, 3, 0, 5}, {1, 12, 0, 3}, {4, 12, 15, 2}, {25, 12, 12, 1}}
	for i, sh := range shapes {
		for seed := range sh.seeds {
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
			leaf := smallCounts(rng)
			if sh.share > 0 {
				leaf = fewSmall(rng, sh.share)
			}
			problems = append(problems, named{fmt.Sprintf("table %+v seed %d", sh, seed), newTable(sh.categories, sh.months, leaf).p})
		}
	}
	fellBack, kept := 0, 0
	for _, pr := range problems {
		for _, threshold := range []int64{3, 5} {
			want := solveReference(pr.p, threshold)
			limits := []int64{coefLimit, 2, 1}
			if len(pr.p.Cells) > 5000 {
				limits = limits[:1] // the fallback is slow on big tables
			}
			for _, limit := range limits {
				got, fell := solve(pr.p, threshold, limit)
				if !slices.Equal(got, want) {
					t.Fatalf("%s, threshold %d, limit %d: Solve hides %v, the reference %v", pr.name, threshold, limit,
						hiddenList(got), hiddenList(want))
				}
				if limit == coefLimit && fell {
					t.Errorf("%s: the tracker gave up at coefLimit", pr.name)
				}
				if limit < coefLimit {
					if fell {
						fellBack++
					} else {
						kept++
					}
				}
			}
		}
	}
	// The low limits must have made the tracker give up, and not always.
	if fellBack < 50 || kept < 50 {
		t.Fatalf("at low limits the tracker gave up %d times, kept on %d times", fellBack, kept)
	}
	t.Logf("%d problems; at low limits the tracker gave up %d times, kept on %d times", len(problems), fellBack, kept)
	if got := Solve(problems[0].p, 5); !slices.Equal(got, solveReference(problems[0].p, 5)) {
		t.Fatal("Solve differs from solve at coefLimit")
	}
}
