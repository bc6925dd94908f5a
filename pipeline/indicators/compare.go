package indicators

import (
	"math"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/stats"
)

// Confidence is the level of the intervals shown: 95 %.
const Confidence = 0.95

// Comparison is what a value is read against. A comparison value is nil
// when it does not exist or may not be published.
type Comparison struct {
	Previous   *Value // the previous period of the same type
	YearBefore *Value // the same period a year before
	Region     *Value // the Region's value for the same period and category
	// CILow and CIHigh bound the 95 % confidence interval of a rate (exact
	// Poisson on the numerator, Garwood) or of a share (Wilson); NaN for
	// counts, medians and ratios.
	CILow, CIHigh float64
	// DiffersFromRegion is true when the interval of a bassin's or a
	// commune's value excludes the Region's value.
	DiffersFromRegion bool
}

// PreviousPeriod returns the first day of the period before.
func PreviousPeriod(periodType string, start time.Time) time.Time {
	switch periodType {
	case catalogue.Quarter:
		return start.AddDate(0, -3, 0)
	case catalogue.Year:
		return start.AddDate(-1, 0, 0)
	}
	return start.AddDate(0, -1, 0)
}

// Interval returns the 95 % confidence interval of a value; ok is false for
// kinds that have none, or without a denominator.
func Interval(ind catalogue.Indicator, v Value) (lo, hi float64, ok bool) {
	k := int64(math.Round(v.Numerator))
	switch ind.Kind() {
	case catalogue.KindRate:
		if v.Denominator <= 0 {
			return 0, 0, false
		}
		lo, hi = stats.RateCI(k, v.Denominator, ind.Factor, Confidence)
		return lo, hi, true
	case catalogue.KindShare:
		n := int64(math.Round(v.Denominator))
		if n <= 0 || k > n {
			return 0, 0, false
		}
		lo, hi = stats.WilsonCI(k, n, Confidence)
		return lo * ind.Factor, hi * ind.Factor, true
	}
	return 0, 0, false
}

// Compare returns what a value is read against, suppression applied to
// every value it names: a withheld previous value is not given.
func (s *Snapshot) Compare(v Value) Comparison { return s.compare(v, true) }

func (s *Snapshot) compare(v Value, suppress bool) Comparison {
	c := Comparison{CILow: math.NaN(), CIHigh: math.NaN()}
	get := func(k Key) *Value {
		x, ok := s.Cell(k)
		if !ok || (suppress && s.Suppressed(x)) {
			return nil
		}
		return &x
	}
	k := v.Key()
	prev := k
	prev.Period = PreviousPeriod(k.PeriodType, k.Period)
	c.Previous = get(prev)
	before := k
	before.Period = k.Period.AddDate(-1, 0, 0)
	c.YearBefore = get(before)
	if v.Level != geography.LevelRegion {
		reg := k
		reg.Level, reg.Code = geography.LevelRegion, geography.RegionCode
		c.Region = get(reg)
	}
	ind, _ := s.Lookup(v.Indicator)
	if lo, hi, ok := Interval(ind, v); ok && !(suppress && s.Suppressed(v)) {
		c.CILow, c.CIHigh = lo, hi
		if c.Region != nil {
			c.DiffersFromRegion = stats.Excludes(lo, hi, c.Region.Value)
		}
	}
	return c
}
