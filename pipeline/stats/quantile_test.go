package stats

import (
	"fmt"
	"math"
	"testing"
)

// Normal quantiles as tabulated in Abramowitz & Stegun (1964), Table 26.5,
// and the NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.1.
func TestNormalQuantile(t *testing.T) {
	tests := []struct {
		p, want float64
	}{
		{0.5, 0},
		{0.975, 1.959964},
		{0.025, -1.959964},
		{0.95, 1.644854},
		{0.995, 2.575829},
		{0.999, 3.090232},
		{0.9999, 3.719016},
		{0.8413447, 1.0}, // Φ(1) = 0.8413447
		{1e-10, -6.361341},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.p), func(t *testing.T) {
			if got := NormalQuantile(tt.p); !within(got, tt.want, 5e-7) {
				t.Errorf("NormalQuantile(%g) = %.8f, want %g", tt.p, got, tt.want)
			}
		})
	}
}

// Far in the lower tail, Φ(NormalQuantile(p)) must give p back.
func TestNormalQuantileRoundTrip(t *testing.T) {
	for _, p := range []float64{1e-300, 1e-100, 1e-20, 1e-12, 1e-6, 0.01, 0.2, 0.4999} {
		x := NormalQuantile(p)
		if got := 0.5 * math.Erfc(-x/math.Sqrt2); math.Abs(got-p) > 1e-12*p {
			t.Errorf("Φ(NormalQuantile(%g)) = %g", p, got)
		}
	}
}

func TestNormalQuantileLimits(t *testing.T) {
	if got := NormalQuantile(0); !math.IsInf(got, -1) {
		t.Errorf("NormalQuantile(0) = %g, want -Inf", got)
	}
	if got := NormalQuantile(1); !math.IsInf(got, 1) {
		t.Errorf("NormalQuantile(1) = %g, want +Inf", got)
	}
	for _, p := range []float64{-0.1, 1.1, math.NaN()} {
		if got := NormalQuantile(p); !math.IsNaN(got) {
			t.Errorf("NormalQuantile(%g) = %g, want NaN", p, got)
		}
	}
}

// Chi-square quantiles from the NIST/SEMATECH e-Handbook, §1.3.6.7.4
// (critical values, 3 decimals) and Abramowitz & Stegun Table 26.8. For
// df = 2 the law is exponential: the quantile is −2 ln(1−p) exactly.
func TestChiSquareQuantile(t *testing.T) {
	tests := []struct {
		p, df, want, tol float64
	}{
		{0.975, 1, 5.0239, 5e-5},
		{0.95, 1, 3.8415, 5e-5},
		{0.975, 10, 20.483, 5e-4},
		{0.025, 10, 3.247, 5e-4},
		{0.95, 5, 11.070, 5e-4},
		{0.95, 30, 43.773, 5e-4},
		{0.975, 100, 129.561, 5e-4},
		{0.025, 100, 74.222, 5e-4},
		{0.025, 2, 0.0506356, 5e-8}, // −2 ln 0.975
		{0.5, 2, 1.3862944, 5e-8},   // 2 ln 2
		{0.99, 2, 9.2103404, 5e-8},  // 2 ln 100
		{0.05, 1, 0.0039321, 5e-8},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("p=%g df=%g", tt.p, tt.df), func(t *testing.T) {
			if got := ChiSquareQuantile(tt.p, tt.df); !within(got, tt.want, tt.tol) {
				t.Errorf("ChiSquareQuantile(%g, %g) = %.7f, want %g", tt.p, tt.df, got, tt.want)
			}
		})
	}
}

// With one degree of freedom χ² is the square of a standard normal; the two
// quantile routines share no code beyond the start guess.
func TestChiSquareOneDegreeIsNormalSquared(t *testing.T) {
	// p below 1e-3 would lose digits in 0.5 + p/2 itself.
	for _, p := range []float64{1e-3, 0.01, 0.3, 0.5, 0.9, 0.999} {
		z := NormalQuantile(0.5 + p/2)
		want := z * z
		if got := ChiSquareQuantile(p, 1); math.Abs(got-want) > 1e-10*want {
			t.Errorf("ChiSquareQuantile(%g, 1) = %.15g, want z² = %.15g", p, got, want)
		}
	}
}

func TestChiSquareQuantileLimits(t *testing.T) {
	if got := ChiSquareQuantile(0, 3); got != 0 {
		t.Errorf("ChiSquareQuantile(0, 3) = %g, want 0", got)
	}
	if got := ChiSquareQuantile(1, 3); !math.IsInf(got, 1) {
		t.Errorf("ChiSquareQuantile(1, 3) = %g, want +Inf", got)
	}
	for _, c := range [][2]float64{{-0.1, 3}, {1.1, 3}, {0.5, 0}, {0.5, -2}, {math.NaN(), 3}, {0.5, math.NaN()}} {
		if got := ChiSquareQuantile(c[0], c[1]); !math.IsNaN(got) {
			t.Errorf("ChiSquareQuantile(%g, %g) = %g, want NaN", c[0], c[1], got)
		}
	}
}

// The regularized incomplete gamma function against closed forms:
// P(1, x) = 1 − e^−x, P(1/2, x) = erf(√x), and for integer a,
// Q(a, x) = e^−x Σ_{j<a} x^j/j!.
func TestGammaPQClosedForms(t *testing.T) {
	for _, x := range []float64{1e-6, 0.3, 1, 1.9, 2, 2.1, 7, 30, 200} {
		p, q := gammaPQ(1, x)
		if !within(p, -math.Expm1(-x), 1e-15) || !within(q, math.Exp(-x), 1e-15*math.Max(1, math.Exp(-x))) {
			t.Errorf("gammaPQ(1, %g) = %g, %g", x, p, q)
		}
		p, q = gammaPQ(0.5, x)
		if !within(p, math.Erf(math.Sqrt(x)), 1e-14) || math.Abs(q-math.Erfc(math.Sqrt(x))) > 1e-13*math.Erfc(math.Sqrt(x)) {
			t.Errorf("gammaPQ(0.5, %g) = %g, %g", x, p, q)
		}
		for _, a := range []int64{2, 5, 30} {
			_, q := gammaPQ(float64(a), x)
			want := poissonCDF(a-1, x)
			if math.Abs(q-want) > 1e-12*math.Max(want, 1e-300) && !within(q, want, 1e-15) {
				t.Errorf("gammaPQ(%d, %g) Q = %.17g, want %.17g", a, x, q, want)
			}
		}
	}
}
