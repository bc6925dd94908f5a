package suppression

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkSolveProductSize solves one table of the product's largest size:
// 30 geographies x (25 categories + their total) x 17 periods (12 months, 4
// quarters, the year) = 13,260 cells, with about 3 % of them small.
func BenchmarkSolveProductSize(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	tb := newTable(25, 12, fewSmall(rng, 12))
	small, hidden := 0, 0
	for _, c := range tb.p.Cells {
		if Sensitive(c.Value, 5) {
			small++
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h := Solve(tb.p, 5)
		hidden = len(hiddenList(h))
	}
	b.ReportMetric(float64(len(tb.p.Cells)), "cells")
	b.ReportMetric(float64(small), "small")
	b.ReportMetric(float64(hidden), "hidden")
}
