package stats

import "math"

// validLevel reports whether level is a usable confidence level.
func validLevel(level float64) bool {
	return level > 0 && level < 1
}

// PoissonCI returns the exact (Garwood) two-sided confidence interval, at
// the given level (e.g. 0.95), for the mean of a Poisson variable observed
// as the count k: lower = χ²(α/2; 2k)/2 (0 when k = 0) and
// upper = χ²(1−α/2; 2k+2)/2 with α = 1 − level. A negative k or a level
// outside (0, 1) yields NaN, NaN.
func PoissonCI(k int64, level float64) (lo, hi float64) {
	if k < 0 || !validLevel(level) {
		return math.NaN(), math.NaN()
	}
	half := (1 - level) / 2
	// χ²(p; 2a)/2 is the p-quantile of the unit gamma law of shape a.
	if k > 0 {
		lo = gammaQuantile(half, float64(k), false)
	}
	hi = gammaQuantile(half, float64(k)+1, true)
	return lo, hi
}

// RateCI returns the exact Poisson interval of the rate k/d·factor (e.g.
// factor 10000 for a rate per 10,000): the PoissonCI bounds times factor/d.
// A denominator d <= 0 (or NaN) yields NaN, NaN.
func RateCI(k int64, d, factor, level float64) (lo, hi float64) {
	if !(d > 0) || math.IsInf(d, 1) {
		return math.NaN(), math.NaN()
	}
	lo, hi = PoissonCI(k, level)
	scale := factor / d
	return lo * scale, hi * scale
}

// WilsonCI returns the Wilson score interval, at the given level, for a
// proportion of k successes out of n trials. n = 0, k outside [0, n] or a
// level outside (0, 1) yields NaN, NaN.
func WilsonCI(k, n int64, level float64) (lo, hi float64) {
	if n <= 0 || k < 0 || k > n || !validLevel(level) {
		return math.NaN(), math.NaN()
	}
	z := NormalQuantile(1 - (1-level)/2)
	nf := float64(n)
	phat := float64(k) / nf
	z2 := z * z
	denom := 1 + z2/nf
	center := (phat + z2/(2*nf)) / denom
	half := z * math.Sqrt(phat*(1-phat)/nf+z2/(4*nf*nf)) / denom
	lo = math.Max(0, center-half)
	hi = math.Min(1, center+half)
	if k == 0 {
		lo = 0
	}
	if k == n {
		hi = 1
	}
	return lo, hi
}

// Excludes reports whether x lies outside the interval [lo, hi], i.e.
// whether a bassin whose interval is [lo, hi] differs from the regional
// value x. Any NaN argument yields false: no difference can be asserted.
func Excludes(lo, hi, x float64) bool {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsNaN(x) {
		return false
	}
	return x < lo || x > hi
}
