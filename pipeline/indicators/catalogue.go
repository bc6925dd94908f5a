// Package indicators is the read model of computed indicator values: a
// snapshot of one computing run with the catalogue that defines its
// indicators, the comparisons a reader needs (previous period, year before,
// Region, confidence intervals) and the suppression that protects small
// counts.
package indicators

import (
	"slices"
	"sort"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
)

// Value is one stored indicator value: one indicator, for one geography and
// one month, as computed by one run.
type Value struct {
	Indicator string
	// PeriodType is month, quarter or year; Period the period's first day.
	PeriodType string
	Level      string // geography.LevelRegion, LevelBassin or LevelCommune
	Code       string // region code, bassin code or commune NIS code
	// Breakdown is the field the value is broken down by and Category its
	// value; both empty for the total.
	Breakdown string
	Category  string
	Period    time.Time
	Value     float64
	Numerator float64
	// Denominator is the population for rates, zero for counts.
	Denominator float64
	RunID       string
	// Estimated is true when the value rests on a default split or an
	// estimated population.
	Estimated bool
	// Incomplete is true when the period lacks deliveries or is not over.
	Incomplete bool
	// PopulationDate is the reference date of a rate's population.
	PopulationDate time.Time
	// Suppressed is true when the value may not be published: set by the
	// computation, which knows every value a reader could subtract.
	Suppressed bool
}

// Snapshot is the latest computed set of values with what is needed to show
// them: what dashboards and reports read.
type Snapshot struct {
	RunID      string
	ComputedAt time.Time
	Geography  *geography.Geography
	// Catalogue defines the indicators of the values.
	Catalogue *catalogue.Catalogue
	Values    []Value
	// MinCount is the smallest count published; smaller counts are suppressed.
	MinCount int

	index  map[Key]int
	hidden map[Key]bool // withheld by complementary suppression
	// periods are the months that have values, oldest first.
	periods []time.Time
	// numeratorCount names, for an indicator with a denominator, the
	// count with the same numerator.
	numeratorCount map[string]string
}

// Key locates a value.
type Key struct {
	Indicator  string
	PeriodType string
	Period     time.Time
	Level      string
	Code       string
	Breakdown  string
	Category   string
}

// Key returns where the value is.
func (v Value) Key() Key {
	return Key{v.Indicator, v.PeriodType, v.Period, v.Level, v.Code, v.Breakdown, v.Category}
}

// NewSnapshot indexes values for lookups and lists their months. A nil
// catalogue is the default one. The snapshot is read, never changed, once
// built.
func NewSnapshot(runID string, computedAt time.Time, g *geography.Geography, cat *catalogue.Catalogue, minCount int, values []Value) *Snapshot {
	if cat == nil {
		cat, _ = catalogue.Load(catalogue.Default())
	}
	s := &Snapshot{RunID: runID, ComputedAt: computedAt, Geography: g, Catalogue: cat, Values: values, MinCount: minCount,
		index: make(map[Key]int, len(values))}
	seen := map[time.Time]bool{}
	for i, v := range values {
		s.index[v.Key()] = i
		if v.PeriodType == catalogue.Month && !seen[v.Period] {
			seen[v.Period] = true
			s.periods = append(s.periods, v.Period)
		}
	}
	sort.Slice(s.periods, func(i, j int) bool { return s.periods[i].Before(s.periods[j]) })
	s.numeratorCount = numeratorCounts(cat)
	s.hidden = s.complement()
	return s
}

// Lookup returns the definition of an indicator; an indicator the
// catalogue no longer has gets its id as name.
func (s *Snapshot) Lookup(id string) (catalogue.Indicator, bool) {
	if s.Catalogue != nil {
		if ind, ok := s.Catalogue.Lookup(id); ok {
			return ind, true
		}
	}
	return catalogue.Indicator{ID: id, Name: catalogue.Text{FR: id, NL: id}}, false
}

// Get returns the monthly total of an indicator for a geography.
func (s *Snapshot) Get(indicator, level, code string, period time.Time) (Value, bool) {
	return s.Cell(Key{indicator, catalogue.Month, period, level, code, "", ""})
}

// Cell returns the value at a key.
func (s *Snapshot) Cell(k Key) (Value, bool) {
	i, ok := s.index[k]
	if !ok {
		return Value{}, false
	}
	return s.Values[i], true
}

// Periods returns the months that have values, oldest first: a copy the
// caller may change.
func (s *Snapshot) Periods() []time.Time { return slices.Clone(s.periods) }

// LastPeriod returns the month pages show: the latest complete month with
// values, one that ended before the computation (a month still running, or a
// date delivered in the future, is never shown); the zero time when there is
// none. Without a computation time, the latest month with values.
func (s *Snapshot) LastPeriod() time.Time {
	p := s.periods
	if s.ComputedAt.IsZero() {
		if len(p) == 0 {
			return time.Time{}
		}
		return p[len(p)-1]
	}
	at := s.ComputedAt
	current := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	for i := len(p) - 1; i >= 0; i-- {
		if p[i].Before(current) {
			return p[i]
		}
	}
	return time.Time{}
}

// Series returns the values of an indicator for a geography over the months
// from..to included, one entry per month; ok[i] is false where no value exists.
func (s *Snapshot) Series(indicator, level, code string, from, to time.Time) (months []time.Time, values []Value, ok []bool) {
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		v, found := s.Get(indicator, level, code, m)
		months = append(months, m)
		values = append(values, v)
		ok = append(ok, found)
	}
	return months, values, ok
}

// Suppressed reports whether a value must not be published: the
// computation withheld it (a small count, or one protecting a small count
// from subtraction), or its numerator is a count above zero and below the
// snapshot's MinCount.
func (s *Snapshot) Suppressed(v Value) bool {
	return v.Suppressed || s.primary(v) || s.withheld(v)
}

// MonthlyIndicators returns the catalogue's indicators that have a monthly
// total: those the monthly pages and report show.
func (s *Snapshot) MonthlyIndicators() []catalogue.Indicator {
	var out []catalogue.Indicator
	if s.Catalogue == nil {
		return nil
	}
	for _, ind := range s.Catalogue.Indicators {
		if ind.HasTotal() && slices.Contains(ind.Periods, catalogue.Month) {
			out = append(out, ind)
		}
	}
	return out
}
