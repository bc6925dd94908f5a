// Package indicators defines the indicator catalogue, the stored indicator
// values, and the compute job that derives them from the warehouse.
package indicators

import (
	"sort"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/locale"
)

// Kind says how an indicator's value relates to its numerator.
type Kind string

const (
	// Count: value = numerator, no denominator.
	Count Kind = "count"
	// Rate: value = numerator / denominator * Per.
	Rate Kind = "rate"
)

// Definition describes one indicator of the catalogue.
type Definition struct {
	Code   string
	Kind   Kind
	Per    float64 // for rates: per how many of the denominator (10,000 inhabitants)
	NameFR string
	NameNL string
	UnitFR string
	UnitNL string
	// Source names the dataset the numerator comes from.
	Source string
	// Numerator names, for rates, the count indicator they divide.
	Numerator string
}

// Name returns the indicator's name in "fr" or "nl".
func (d Definition) Name(lang string) string {
	if lang == "nl" {
		return d.NameNL
	}
	return d.NameFR
}

// Unit returns the indicator's unit in "fr" or "nl".
func (d Definition) Unit(lang string) string {
	if lang == "nl" {
		return d.UnitNL
	}
	return d.UnitFR
}

// The base of the rates, written by package locale: "pour 10 000 habitants"
// and "per 10.000 inwoners", with their short forms for units.
var (
	perFR      = locale.New(locale.French, nil).PerInhabitants(10000)
	perNL      = locale.New(locale.Dutch, nil).PerInhabitants(10000)
	perShortFR = locale.New(locale.French, nil).PerInhabitantsShort(10000)
	perShortNL = locale.New(locale.Dutch, nil).PerInhabitantsShort(10000)
)

// Catalogue is the list of indicators computed, in display order.
var Catalogue = []Definition{
	{Code: "contacts", Kind: Count, NameFR: "Contacts des équipes mobiles", NameNL: "Contacten van mobiele teams",
		UnitFR: "contacts", UnitNL: "contacten", Source: "contacts"},
	{Code: "persons", Kind: Count, NameFR: "Personnes rencontrées", NameNL: "Bereikte personen",
		UnitFR: "personnes", UnitNL: "personen", Source: "contacts"},
	{Code: "new_persons", Kind: Count, NameFR: "Nouvelles personnes", NameNL: "Nieuwe personen",
		UnitFR: "personnes", UnitNL: "personen", Source: "contacts"},
	{Code: "syringes", Kind: Count, NameFR: "Seringues distribuées", NameNL: "Verdeelde spuiten",
		UnitFR: "seringues", UnitNL: "spuiten", Source: "contacts"},
	{Code: "naloxone", Kind: Count, NameFR: "Naloxone distribuée", NameNL: "Verdeelde naloxon",
		UnitFR: "doses", UnitNL: "dosissen", Source: "contacts"},
	{Code: "referrals", Kind: Count, NameFR: "Orientations", NameNL: "Doorverwijzingen",
		UnitFR: "orientations", UnitNL: "doorverwijzingen", Source: "contacts"},
	{Code: "contacts_per_10k", Kind: Rate, Per: 10000, NameFR: "Contacts " + perFR, NameNL: "Contacten " + perNL,
		UnitFR: perShortFR, UnitNL: perShortNL, Source: "contacts", Numerator: "contacts"},
	{Code: "treatment_demands", Kind: Count, NameFR: "Demandes de traitement (TDI)", NameNL: "Behandelingsaanvragen (TDI)",
		UnitFR: "demandes", UnitNL: "aanvragen", Source: "treatment_demands"},
	{Code: "treatment_demands_per_10k", Kind: Rate, Per: 10000, NameFR: "Demandes de traitement " + perFR, NameNL: "Behandelingsaanvragen " + perNL,
		UnitFR: perShortFR, UnitNL: perShortNL, Source: "treatment_demands", Numerator: "treatment_demands"},
	{Code: "services", Kind: Count, NameFR: "Services de l'offre d'aide et de soins", NameNL: "Diensten van het zorg- en hulpaanbod",
		UnitFR: "services", UnitNL: "diensten", Source: "services"},
	{Code: "services_per_10k", Kind: Rate, Per: 10000, NameFR: "Services " + perFR, NameNL: "Diensten " + perNL,
		UnitFR: perShortFR, UnitNL: perShortNL, Source: "services", Numerator: "services"},
	{Code: "federation_consultations", Kind: Count, NameFR: "Consultations déclarées par les fédérations", NameNL: "Consultaties gemeld door de federaties",
		UnitFR: "consultations", UnitNL: "consultaties", Source: "federation_activity"},
}

// Lookup returns the definition of an indicator.
func Lookup(code string) (Definition, bool) {
	for _, d := range Catalogue {
		if d.Code == code {
			return d, true
		}
	}
	return Definition{}, false
}

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
}

// Snapshot is the latest computed set of values with what is needed to show
// them: what dashboards and reports read.
type Snapshot struct {
	RunID      string
	ComputedAt time.Time
	Geography  *geography.Geography
	Values     []Value
	// MinCount is the smallest count published; smaller counts are suppressed.
	MinCount int

	index  map[key]int
	hidden map[key]bool // withheld by complementary suppression
}

type key struct {
	indicator, level, code string
	period                 time.Time
}

// NewSnapshot indexes values for lookups.
func NewSnapshot(runID string, computedAt time.Time, g *geography.Geography, minCount int, values []Value) *Snapshot {
	s := &Snapshot{RunID: runID, ComputedAt: computedAt, Geography: g, Values: values, MinCount: minCount,
		index: make(map[key]int, len(values))}
	for i, v := range values {
		s.index[key{v.Indicator, v.Level, v.Code, v.Period}] = i
	}
	s.hidden = s.complement()
	return s
}

// Get returns the value of an indicator for a geography and month.
func (s *Snapshot) Get(indicator, level, code string, period time.Time) (Value, bool) {
	i, ok := s.index[key{indicator, level, code, period}]
	if !ok {
		return Value{}, false
	}
	return s.Values[i], true
}

// Periods returns the months that have values, oldest first.
func (s *Snapshot) Periods() []time.Time {
	seen := map[time.Time]bool{}
	var out []time.Time
	for _, v := range s.Values {
		if !seen[v.Period] {
			seen[v.Period] = true
			out = append(out, v.Period)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// LastPeriod returns the month pages show: the latest complete month with
// values, one that ended before the computation (a month still running, or a
// date delivered in the future, is never shown); the zero time when there is
// none. Without a computation time, the latest month with values.
func (s *Snapshot) LastPeriod() time.Time {
	p := s.Periods()
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

// Suppressed reports whether a value must not be published: its numerator is
// a count above zero and below the snapshot's MinCount, or it is withheld so
// that such a count cannot be recomputed from a total (see suppression.go).
func (s *Snapshot) Suppressed(v Value) bool {
	return s.primary(v) || s.withheld(v)
}
