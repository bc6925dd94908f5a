package stats

import "math"

const (
	// gammaEps is the relative precision of the series and continued fraction.
	gammaEps = 1e-16
	// fpMin guards the Lentz algorithm against division by zero.
	fpMin = 1e-300
	// quantileTol is the relative precision of the quantile inversions.
	quantileTol = 1e-12
)

// maxGammaIter bounds the series and continued fraction. Both need a number
// of terms growing like √a near x ≈ a.
func maxGammaIter(a float64) int {
	return 1000 + int(50*math.Sqrt(a))
}

// gammaPQ returns the regularized incomplete gamma functions P(a, x) and
// Q(a, x) = 1 − P(a, x), each computed directly (not by subtraction) on the
// side where it is small.
func gammaPQ(a, x float64) (p, q float64) {
	switch {
	case math.IsNaN(a) || math.IsNaN(x) || a <= 0 || math.IsInf(a, 0) || x < 0:
		return math.NaN(), math.NaN()
	case x == 0:
		return 0, 1
	case math.IsInf(x, 1):
		return 1, 0
	}
	if x < a+1 {
		p = gammaSeries(a, x)
		return p, 1 - p
	}
	q = gammaContinuedFraction(a, x)
	return 1 - q, q
}

// logGammaPrefactor is log(x^a e^−x / Γ(a)).
func logGammaPrefactor(a, x float64) float64 {
	lg, _ := math.Lgamma(a)
	return a*math.Log(x) - x - lg
}

// gammaSeries computes P(a, x) by its series, for x < a+1.
func gammaSeries(a, x float64) float64 {
	ap := a
	del := 1 / a
	sum := del
	for n := maxGammaIter(a); n > 0; n-- {
		ap++
		del *= x / ap
		sum += del
		if math.Abs(del) < math.Abs(sum)*gammaEps {
			break
		}
	}
	return sum * math.Exp(logGammaPrefactor(a, x))
}

// gammaContinuedFraction computes Q(a, x) by its continued fraction
// (modified Lentz), for x >= a+1.
func gammaContinuedFraction(a, x float64) float64 {
	b := x + 1 - a
	c := 1 / fpMin
	d := 1 / b
	h := d
	for i := 1; i <= maxGammaIter(a); i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < fpMin {
			d = fpMin
		}
		c = b + an/c
		if math.Abs(c) < fpMin {
			c = fpMin
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < gammaEps {
			break
		}
	}
	return math.Exp(logGammaPrefactor(a, x)) * h
}

// gammaDensity is the density x^(a−1) e^−x / Γ(a) of the unit-scale gamma law.
func gammaDensity(a, x float64) float64 {
	lg, _ := math.Lgamma(a)
	return math.Exp((a-1)*math.Log(x) - x - lg)
}

// gammaQuantile returns x such that P(a, x) = p (upper false) or
// Q(a, x) = p (upper true). Passing the upper tail directly keeps full
// precision for probabilities close to 1.
func gammaQuantile(p, a float64, upper bool) float64 {
	if math.IsNaN(p) || math.IsNaN(a) || a <= 0 || math.IsInf(a, 0) || p < 0 || p > 1 {
		return math.NaN()
	}
	if (p == 0 && !upper) || (p == 1 && upper) {
		return 0
	}
	if (p == 1 && !upper) || (p == 0 && upper) {
		return math.Inf(1)
	}
	// f is increasing in x and vanishes at the quantile.
	f := func(x float64) float64 {
		lower, up := gammaPQ(a, x)
		if upper {
			return p - up
		}
		return lower - p
	}

	x := gammaStart(p, a, upper)
	// Bracket the root with two positive bounds.
	lo, hi := x, x
	if f(x) < 0 {
		for hi = 2 * x; f(hi) < 0; hi *= 2 {
			if math.IsInf(hi, 1) {
				return math.Inf(1)
			}
		}
	} else {
		for lo = x / 2; f(lo) >= 0; lo /= 2 {
			if lo == 0 {
				return 0
			}
		}
	}

	x = math.Sqrt(lo) * math.Sqrt(hi)
	for range 500 {
		fx := f(x)
		if fx == 0 {
			return x
		}
		if fx < 0 {
			lo = x
		} else {
			hi = x
		}
		next := x - fx/gammaDensity(a, x)
		if !(next > lo && next < hi) {
			// Newton left the bracket: bisect, geometrically when the
			// bracket spans orders of magnitude.
			if hi > 4*lo {
				next = math.Sqrt(lo) * math.Sqrt(hi)
			} else {
				next = lo + (hi-lo)/2
			}
		}
		if math.Abs(next-x) <= quantileTol*next || hi-lo <= quantileTol*lo {
			return next
		}
		x = next
	}
	return x
}

// gammaStart is a positive first guess for gammaQuantile: Wilson–Hilferty,
// or the small-x expansion P(a, x) ≈ x^a / Γ(a+1) when that fails.
func gammaStart(p, a float64, upper bool) float64 {
	z := NormalQuantile(p)
	if upper {
		z = -z
	}
	t := 1 / (9 * a)
	w := 1 - t + z*math.Sqrt(t)
	x := a * w * w * w
	if x > 0 && !math.IsInf(x, 0) {
		return x
	}
	lower := p
	if upper {
		lower = 1 - p
	}
	lg, _ := math.Lgamma(a + 1)
	x = math.Exp((math.Log(lower) + lg) / a)
	if x > 0 && !math.IsInf(x, 0) {
		return x
	}
	return a
}
