package indicators

import (
	"github.com/brusano/bassins/sources"
	"slices"
	"sort"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
)

// Suppression rules for anything published:
//
//   - primary: a count above zero and below MinCount is not shown ("< 5");
//   - complementary: a published total must not give a suppressed count back
//     by subtraction. Within every group of values that add up to a published
//     total (the five bassins and the region; the 19 communes and the region;
//     the communes of a bassin made of whole communes and that bassin), a
//     lone withheld value gets company: the smallest other value of the group
//     is withheld too ("n.p."), until no group has exactly one;
//   - a rate, share or ratio is withheld whenever the count of the catalogue
//     with the same numerator is withheld at the same place: with the
//     denominator known, it would give that count back.

type cell struct {
	level, code string
}

// partitions lists the groups of geographies whose counts add up to a
// published total.
func partitions(g *geography.Geography, values []Value) [][]cell {
	var bassins, communes []cell
	seen := map[cell]bool{}
	for _, v := range values {
		c := cell{v.Level, v.Code}
		if seen[c] {
			continue
		}
		seen[c] = true
		switch v.Level {
		case geography.LevelBassin:
			bassins = append(bassins, c)
		case geography.LevelCommune:
			communes = append(communes, c)
		}
	}
	groups := [][]cell{bassins, communes}
	if g == nil {
		return groups
	}
	for _, b := range g.Bassins {
		var members []cell
		whole := true
		for _, a := range g.Areas {
			if a.Bassin == b.Code && a.BassinStatus != "commune" {
				whole = false // part of a split commune: its share is never published
			}
		}
		for _, nis := range g.CommunesOf(b.Code) {
			members = append(members, cell{geography.LevelCommune, nis})
		}
		if whole {
			groups = append(groups, members)
		}
	}
	return groups
}

// complement finds the values withheld to protect suppressed ones.
func (s *Snapshot) complement() map[Key]bool {
	type slice struct {
		indicator string
		period    time.Time
	}
	parts := map[slice]bool{}
	for _, v := range s.Values {
		if d, ok := s.Lookup(v.Indicator); ok && d.Additive() && v.PeriodType == "month" && v.Breakdown == "" {
			parts[slice{v.Indicator, v.Period}] = true
		}
	}
	groups := partitions(s.Geography, s.Values)
	// Smaller groups first: a value withheld inside a bassin often protects
	// the region-wide group as well, so fewer values are lost.
	sort.SliceStable(groups, func(i, j int) bool { return len(groups[i]) < len(groups[j]) })
	hidden := map[Key]bool{}
	for sl := range parts {
		for changed := true; changed; {
			changed = false
			for _, group := range groups {
				var members []Value
				var withheld int
				for _, c := range group {
					v, ok := s.Get(sl.indicator, c.level, c.code, sl.period)
					if !ok {
						continue
					}
					if s.primary(v) || hidden[v.Key()] {
						withheld++
					} else {
						members = append(members, v)
					}
				}
				if withheld != 1 || len(members) == 0 {
					continue // nothing to protect, or values protecting each other
				}
				sort.Slice(members, func(i, j int) bool {
					if members[i].Value != members[j].Value {
						return members[i].Value < members[j].Value
					}
					return members[i].Code < members[j].Code
				})
				m := members[0]
				hidden[m.Key()] = true
				changed = true
			}
		}
	}
	return hidden
}

func (s *Snapshot) primary(v Value) bool {
	if d, ok := s.Lookup(v.Indicator); ok {
		if ds, found := sources.LookupDataset(d.Numerator.Dataset); found && ds.Virtual {
			return false // deliveries counted by the product: no person behind them
		}
	}
	return v.Numerator > 0 && v.Numerator < float64(s.MinCount)
}

// withheld reports whether a value is withheld by complementary suppression.
func (s *Snapshot) withheld(v Value) bool {
	if s.hidden[v.Key()] {
		return true
	}
	if count, ok := s.numeratorCount[v.Indicator]; ok {
		k := v.Key()
		k.Indicator = count
		return s.hidden[k]
	}
	return false
}

// numeratorCounts maps every indicator with a denominator to the additive
// indicator that counts the same numerator, where there is one.
func numeratorCounts(cat *catalogue.Catalogue) map[string]string {
	out := map[string]string{}
	if cat == nil {
		return out
	}
	for _, ind := range cat.Indicators {
		if ind.Denominator == nil {
			continue
		}
		for _, count := range cat.Indicators {
			if count.Additive() && sameNumerator(ind.Numerator, count.Numerator) {
				out[ind.ID] = count.ID
				break
			}
		}
	}
	return out
}

// sameNumerator reports whether two numerators count the same rows.
func sameNumerator(a, b catalogue.Numerator) bool {
	if a.Dataset != b.Dataset || a.Aggregate != b.Aggregate || a.Field != b.Field ||
		a.LookbackMonths != b.LookbackMonths || len(a.Filters) != len(b.Filters) {
		return false
	}
	for i, f := range a.Filters {
		g := b.Filters[i]
		if f.Field != g.Field || f.Op != g.Op || f.Value != g.Value || !slices.Equal(f.In, g.In) {
			return false
		}
	}
	return true
}
