package stats

import (
	"fmt"
	"math"
	"testing"
)

// within reports whether got equals want up to the absolute tolerance tol.
func within(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol
}

// poissonCDF is P(X <= k) for X ~ Poisson(mu), summed term by term
// (independent of the incomplete gamma code under test).
func poissonCDF(k int64, mu float64) float64 {
	term := math.Exp(-mu)
	sum := term
	for j := int64(1); j <= k; j++ {
		term *= mu / float64(j)
		sum += term
	}
	return sum
}

// Exact (Garwood) 95 % limits for a Poisson count, as printed in the
// standard tables: Garwood (1936); Gehrels N. (1986), Confidence limits for
// small numbers of events in astrophysical data, ApJ 303:336–346, Tables 1
// and 2, column CL = 0.975 (one-sided 0.975 = two-sided 95 %). The k = 0
// upper limit is also the closed form −ln(0.025) = 3.68888.
func TestPoissonCITextbook(t *testing.T) {
	tests := []struct {
		k              int64
		wantLo, wantHi float64
		tol            float64 // half a unit of the last printed digit
	}{
		{0, 0, 3.689, 0.0005},
		{1, 0.0253, 5.572, 0.0005},
		{2, 0.2422, 7.225, 0.0005},
		{5, 1.6235, 11.668, 0.0005},
		{10, 4.7954, 18.390, 0.0005},
		{50, 37.111, 65.919, 0.0005},
		{100, 81.364, 121.627, 0.0005},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.k), func(t *testing.T) {
			lo, hi := PoissonCI(tt.k, 0.95)
			if !within(lo, tt.wantLo, tt.tol) || !within(hi, tt.wantHi, tt.tol) {
				t.Errorf("PoissonCI(%d, 0.95) = [%.5f, %.5f], want [%g, %g]", tt.k, lo, hi, tt.wantLo, tt.wantHi)
			}
		})
	}
}

// Closed forms at other levels: for k = 0 the upper limit solves e^−μ = α/2,
// for k = 1 the lower limit solves 1 − e^−μ = α/2.
func TestPoissonCIClosedForms(t *testing.T) {
	tests := []struct {
		name  string
		k     int64
		level float64
		lo    bool // compare the lower bound (else the upper one)
		want  float64
	}{
		{"k0 90% upper = ln 20", 0, 0.90, false, 2.995732},
		{"k0 99% upper = ln 200", 0, 0.99, false, 5.298317},
		{"k1 90% lower = -ln 0.95", 1, 0.90, true, 0.051293},
		{"k1 99% lower = -ln 0.995", 1, 0.99, true, 0.005013},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := PoissonCI(tt.k, tt.level)
			got := hi
			if tt.lo {
				got = lo
			}
			if !within(got, tt.want, 5e-7) {
				t.Errorf("PoissonCI(%d, %g) = [%.7f, %.7f], want bound %g", tt.k, tt.level, lo, hi, tt.want)
			}
		})
	}
}

// The Garwood limits are defined by P(X >= k; lo) = α/2 and
// P(X <= k; hi) = α/2; check them with a plain sum of Poisson terms.
func TestPoissonCIDefinition(t *testing.T) {
	for _, level := range []float64{0.5, 0.8, 0.9, 0.95, 0.99, 0.999} {
		half := (1 - level) / 2
		for k := range int64(60) {
			lo, hi := PoissonCI(k, level)
			if got := poissonCDF(k, hi); !within(got, half, 1e-10) {
				t.Errorf("level %g k %d: P(X <= k; hi=%g) = %g, want %g", level, k, hi, got, half)
			}
			if k == 0 {
				if lo != 0 {
					t.Errorf("level %g: lower bound for k = 0 is %g, want 0", level, lo)
				}
				continue
			}
			if got := 1 - poissonCDF(k-1, lo); !within(got, half, 1e-10) {
				t.Errorf("level %g k %d: P(X >= k; lo=%g) = %g, want %g", level, k, lo, got, half)
			}
		}
	}
}

// For large counts the exact interval approaches the normal one
// k ± z√k; the remaining shift is about +(z²−1)/3 below and +(z²+2)/3
// above. Byar's approximation (Rothman & Boice 1979) is much closer.
func TestPoissonCILarge(t *testing.T) {
	const z = 1.959964 // normal 0.975 quantile
	for _, k := range []int64{10_000, 1_000_000, 100_000_000} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			kf := float64(k)
			lo, hi := PoissonCI(k, 0.95)
			nlo, nhi := kf-z*math.Sqrt(kf), kf+z*math.Sqrt(kf)
			if !within(lo, nlo, 2) || !within(hi, nhi, 3) {
				t.Errorf("PoissonCI(%d) = [%.3f, %.3f], normal approximation [%.3f, %.3f]", k, lo, hi, nlo, nhi)
			}
			if !(lo > nlo && hi > nhi) {
				t.Errorf("PoissonCI(%d) = [%.3f, %.3f] not shifted up from the normal [%.3f, %.3f]", k, lo, hi, nlo, nhi)
			}
			k1 := kf + 1
			blo := kf * math.Pow(1-1/(9*kf)-z/(3*math.Sqrt(kf)), 3)
			bhi := k1 * math.Pow(1-1/(9*k1)+z/(3*math.Sqrt(k1)), 3)
			if !within(lo, blo, 0.01) || !within(hi, bhi, 0.01) {
				t.Errorf("PoissonCI(%d) = [%.4f, %.4f], Byar [%.4f, %.4f]", k, lo, hi, blo, bhi)
			}
		})
	}
}

// Rates scale the count interval: 5 events over 20,000 inhabitants per
// 10,000 is half the 95 % limits for k = 5 in the table above.
func TestRateCI(t *testing.T) {
	tests := []struct {
		name           string
		k              int64
		d, factor      float64
		wantLo, wantHi float64
		nan            bool
	}{
		{"5 per 20000 per 10000", 5, 20000, 10000, 0.81174, 5.8342, false},
		{"10 per 1000 per 1000", 10, 1000, 1000, 4.7954, 18.390, false},
		{"0 per 500 per 100", 0, 500, 100, 0, 0.7378, false},
		{"zero denominator", 3, 0, 10000, 0, 0, true},
		{"negative denominator", 3, -10, 10000, 0, 0, true},
		{"NaN denominator", 3, math.NaN(), 10000, 0, 0, true},
		{"negative count", -1, 100, 10000, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := RateCI(tt.k, tt.d, tt.factor, 0.95)
			if tt.nan {
				if !math.IsNaN(lo) || !math.IsNaN(hi) {
					t.Errorf("RateCI = [%g, %g], want NaN", lo, hi)
				}
				return
			}
			if !within(lo, tt.wantLo, 5e-4) || !within(hi, tt.wantHi, 5e-4) {
				t.Errorf("RateCI = [%.5f, %.5f], want [%g, %g]", lo, hi, tt.wantLo, tt.wantHi)
			}
		})
	}
}

// Wilson score limits. The first four rows are Newcombe R.G. (1998),
// Stat. Med. 17:857–872, Table II, method 3 (score interval without
// continuity correction). The 0/n and n/n rows are the closed forms
// z²/(n+z²) and n/(n+z²) with z² = 1.959964² = 3.841459, e.g.
// 3.841459/13.841459 = 0.277533 for n = 10.
func TestWilsonCITextbook(t *testing.T) {
	tests := []struct {
		k, n           int64
		wantLo, wantHi float64
		tol            float64
	}{
		{81, 263, 0.2553, 0.3662, 5e-5},
		{15, 148, 0.0624, 0.1605, 5e-5},
		{0, 20, 0, 0.1611, 5e-5},
		{1, 29, 0.0061, 0.1718, 5e-5},
		{0, 10, 0, 0.277533, 5e-7},
		{10, 10, 0.722467, 1, 5e-7},
		{0, 1, 0, 0.793451, 5e-7}, // 3.841459/4.841459
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%d", tt.k, tt.n), func(t *testing.T) {
			lo, hi := WilsonCI(tt.k, tt.n, 0.95)
			if !within(lo, tt.wantLo, tt.tol) || !within(hi, tt.wantHi, tt.tol) {
				t.Errorf("WilsonCI(%d, %d) = [%.6f, %.6f], want [%g, %g]", tt.k, tt.n, lo, hi, tt.wantLo, tt.wantHi)
			}
		})
	}
}

func TestWilsonCISymmetry(t *testing.T) {
	for n := int64(1); n <= 40; n++ {
		for k := int64(0); k <= n; k++ {
			lo, hi := WilsonCI(k, n, 0.9)
			clo, chi := WilsonCI(n-k, n, 0.9)
			if !within(lo, 1-chi, 1e-12) || !within(hi, 1-clo, 1e-12) {
				t.Errorf("WilsonCI(%d, %d) = [%g, %g] but complement gives [%g, %g]", k, n, lo, hi, 1-chi, 1-clo)
			}
		}
	}
}

func TestInvalidInput(t *testing.T) {
	type bounds func(level float64) (float64, float64)
	funcs := map[string]bounds{
		"PoissonCI": func(l float64) (float64, float64) { return PoissonCI(4, l) },
		"RateCI":    func(l float64) (float64, float64) { return RateCI(4, 1000, 10000, l) },
		"WilsonCI":  func(l float64) (float64, float64) { return WilsonCI(4, 10, l) },
	}
	for name, f := range funcs {
		for _, level := range []float64{0, 1, -0.5, 1.5, 95, math.NaN(), math.Inf(1)} {
			lo, hi := f(level)
			if !math.IsNaN(lo) || !math.IsNaN(hi) {
				t.Errorf("%s at level %g = [%g, %g], want NaN", name, level, lo, hi)
			}
		}
		if lo, hi := f(0.95); math.IsNaN(lo) || math.IsNaN(hi) {
			t.Errorf("%s at level 0.95 = [%g, %g], want numbers", name, lo, hi)
		}
	}
	for _, c := range [][2]int64{{0, 0}, {1, 0}, {-1, 5}, {6, 5}, {0, -3}} {
		if lo, hi := WilsonCI(c[0], c[1], 0.95); !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("WilsonCI(%d, %d) = [%g, %g], want NaN", c[0], c[1], lo, hi)
		}
	}
	if lo, hi := PoissonCI(-1, 0.95); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("PoissonCI(-1) = [%g, %g], want NaN", lo, hi)
	}
}

func TestIntervalsWidenWithLevel(t *testing.T) {
	levels := []float64{0.5, 0.8, 0.9, 0.95, 0.99, 0.999}
	for _, k := range []int64{0, 1, 3, 17, 250, 40000} {
		prevLo, prevHi := float64(k), float64(k)
		for _, level := range levels {
			lo, hi := PoissonCI(k, level)
			if lo > prevLo || hi <= prevHi || (k > 0 && lo >= prevLo) {
				t.Errorf("PoissonCI(%d, %g) = [%g, %g] does not contain [%g, %g] strictly", k, level, lo, hi, prevLo, prevHi)
			}
			prevLo, prevHi = lo, hi
		}
	}
	for _, c := range [][2]int64{{0, 5}, {3, 7}, {50, 100}, {99, 100}} {
		p := float64(c[0]) / float64(c[1])
		prevLo, prevHi := p, p
		for _, level := range levels {
			lo, hi := WilsonCI(c[0], c[1], level)
			if lo > prevLo || hi < prevHi || (lo == prevLo && hi == prevHi) {
				t.Errorf("WilsonCI(%d, %d, %g) = [%g, %g] does not widen [%g, %g]", c[0], c[1], level, lo, hi, prevLo, prevHi)
			}
			prevLo, prevHi = lo, hi
		}
	}
}

func TestExcludes(t *testing.T) {
	tests := []struct {
		name      string
		lo, hi, x float64
		want      bool
	}{
		{"inside", 1, 3, 2, false},
		{"on lower bound", 1, 3, 1, false},
		{"on upper bound", 1, 3, 3, false},
		{"below", 1, 3, 0.5, true},
		{"above", 1, 3, 3.5, true},
		{"NaN interval", math.NaN(), math.NaN(), 2, false},
		{"NaN value", 1, 3, math.NaN(), false},
		{"unbounded above", 0, math.Inf(1), 1e300, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Excludes(tt.lo, tt.hi, tt.x); got != tt.want {
				t.Errorf("Excludes(%g, %g, %g) = %v, want %v", tt.lo, tt.hi, tt.x, got, tt.want)
			}
		})
	}
}

func FuzzPoissonCI(f *testing.F) {
	f.Add(int64(0), 0.95)
	f.Add(int64(1), 0.5)
	f.Add(int64(7), 0.999)
	f.Add(int64(123456), 0.9)
	f.Add(int64(5_000_000), 0.99)
	f.Fuzz(func(t *testing.T, k int64, level float64) {
		if k < 0 || k > 1e9 || !(level >= 0.01 && level <= 0.9999) {
			t.Skip()
		}
		lo, hi := PoissonCI(k, level)
		kf := float64(k)
		if !(lo >= 0 && lo <= kf && kf < hi) || math.IsInf(hi, 0) {
			t.Fatalf("PoissonCI(%d, %g) = [%g, %g] does not bracket k", k, level, lo, hi)
		}
		wlo, whi := PoissonCI(k, math.Min(0.99995, level+(1-level)/2))
		if wlo > lo || whi < hi {
			t.Fatalf("PoissonCI(%d) narrows with level: [%g, %g] then [%g, %g]", k, lo, hi, wlo, whi)
		}
	})
}

func FuzzWilsonCI(f *testing.F) {
	f.Add(int64(0), int64(1), 0.95)
	f.Add(int64(81), int64(263), 0.95)
	f.Add(int64(1000), int64(1000), 0.5)
	f.Fuzz(func(t *testing.T, k, n int64, level float64) {
		if n <= 0 || k < 0 || k > n || n > 1e12 || !(level >= 0.01 && level <= 0.9999) {
			t.Skip()
		}
		lo, hi := WilsonCI(k, n, level)
		p := float64(k) / float64(n)
		if !(lo >= 0 && lo <= p && p <= hi && hi <= 1) {
			t.Fatalf("WilsonCI(%d, %d, %g) = [%g, %g] does not bracket %g", k, n, level, lo, hi, p)
		}
	})
}
