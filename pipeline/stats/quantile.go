package stats

import "math"

// NormalQuantile returns the p-quantile of the standard normal law
// (−Inf for p = 0, +Inf for p = 1, NaN outside [0, 1]).
func NormalQuantile(p float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	case p == 0.5:
		return 0
	case p > 0.5:
		return -lowerNormalQuantile(1 - p)
	}
	return lowerNormalQuantile(p)
}

// lowerNormalQuantile solves Φ(x) = p for 0 < p < 0.5 by Newton steps on
// log Φ(x) − log p, which is concave, so the iteration cannot diverge.
func lowerNormalQuantile(p float64) float64 {
	x := -math.Sqrt2 * math.Erfcinv(2*p)
	if math.IsInf(x, 0) || math.IsNaN(x) {
		x = -math.Sqrt(-2 * math.Log(p))
	}
	logP := math.Log(p)
	for range 100 {
		cdf := 0.5 * math.Erfc(-x/math.Sqrt2)
		pdf := math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
		if cdf == 0 || pdf == 0 {
			break
		}
		dx := (math.Log(cdf) - logP) * cdf / pdf
		x -= dx
		if math.Abs(dx) <= 1e-15*(1+math.Abs(x)) {
			break
		}
	}
	return x
}

// ChiSquareQuantile returns the p-quantile of the chi-square law with df
// degrees of freedom (df > 0, not necessarily an integer), to a relative
// precision of about 1e-12. It returns NaN for p outside [0, 1] or df <= 0.
func ChiSquareQuantile(p, df float64) float64 {
	if math.IsNaN(df) || df <= 0 {
		return math.NaN()
	}
	return 2 * gammaQuantile(p, df/2, false)
}
