package indicators

import (
	"sort"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
)

// Suppression rules for anything published:
//
//   - primary: a count above zero and below MinCount is not shown ("< 5");
//   - complementary: when a single bassin (or a single commune) of a month is
//     suppressed for a count, the published region total would give it back
//     by subtraction, so the smallest other bassin (or commune) is withheld
//     too ("n.p.");
//   - a rate is withheld whenever its numerator count is.

type group struct {
	indicator, level string
	period           time.Time
}

// complement finds the values withheld to protect a lone suppressed one.
func (s *Snapshot) complement() map[key]bool {
	groups := map[group][]Value{}
	for _, v := range s.Values {
		d, ok := Lookup(v.Indicator)
		if !ok || d.Kind != Count || (v.Level != geography.LevelBassin && v.Level != geography.LevelCommune) {
			continue
		}
		g := group{v.Indicator, v.Level, v.Period}
		groups[g] = append(groups[g], v)
	}
	hidden := map[key]bool{}
	for _, values := range groups {
		var primary int
		for _, v := range values {
			if s.primary(v) {
				primary++
			}
		}
		if primary != 1 {
			continue // none to protect, or several protecting each other
		}
		sort.Slice(values, func(i, j int) bool {
			if values[i].Value != values[j].Value {
				return values[i].Value < values[j].Value
			}
			return values[i].Code < values[j].Code
		})
		for _, v := range values {
			if !s.primary(v) {
				hidden[key{v.Indicator, v.Level, v.Code, v.Period}] = true
				break
			}
		}
	}
	return hidden
}

func (s *Snapshot) primary(v Value) bool {
	return v.Numerator > 0 && v.Numerator < float64(s.MinCount)
}

// withheld reports whether a value is withheld by complementary suppression.
func (s *Snapshot) withheld(v Value) bool {
	indicator := v.Indicator
	if d, ok := Lookup(v.Indicator); ok && d.Kind == Rate {
		indicator = d.Numerator
	}
	return s.hidden[key{indicator, v.Level, v.Code, v.Period}]
}
