package suppression

import "math/rand/v2"

// The product's geography, written out for the tests: the region, five
// bassins, 19 communes, the three parts of Bruxelles-Ville lying in three
// bassins, the people of no bassin, and the people of no commune.
const (
	geoRegion = iota
	geoNord
	geoSud
	geoCentreOuest
	geoNordEst
	geoSudEst
	geoCommune0 // 19 communes: 18 whole ones, then Bruxelles-Ville
)

const (
	geoBruxellesVille = geoCommune0 + 18
	geoPart1          = geoCommune0 + 19 // Bruxelles-Ville in Nord
	geoPart2          = geoPart1 + 1     // in Sud
	geoPart3          = geoPart1 + 2     // in Centre-Ouest
	geoUnassigned     = geoPart1 + 3     // region minus the bassins
	geoRemainder      = geoPart1 + 4     // region minus the communes
	geoCount          = geoPart1 + 5
)

// bassinCommunes lists the whole communes of each bassin (4+5+2+3+4 = 18)
// and its part of Bruxelles-Ville, if any.
var bassinCommunes = []struct {
	bassin, first, n, part int
}{
	{geoNord, geoCommune0, 4, geoPart1},
	{geoSud, geoCommune0 + 4, 5, geoPart2},
	{geoCentreOuest, geoCommune0 + 9, 2, geoPart3},
	{geoNordEst, geoCommune0 + 11, 3, -1},
	{geoSudEst, geoCommune0 + 14, 4, -1},
}

// leaf reports whether a geography is one whose counts are drawn: the others
// are sums of them.
func leafGeo(g int) bool {
	return (g >= geoCommune0 && g < geoBruxellesVille) || (g >= geoPart1 && g <= geoUnassigned)
}

// table is a problem shaped like the product's: geographies x categories x
// periods. With categories > 1 a last category is the total of the others;
// with months 3 or 12 the quarters (and with 12 the year) follow them.
type table struct {
	categories, months int
	p                  Problem
}

func (t *table) periods() int {
	switch t.months {
	case 12:
		return 12 + 4 + 1
	case 3:
		return 3 + 1
	}
	return t.months
}

func (t *table) cats() int {
	if t.categories > 1 {
		return t.categories + 1
	}
	return 1
}

func (t *table) at(g, c, period int) int {
	return (g*t.cats()+c)*t.periods() + period
}

// newTable draws the leaf counts with leaf, adds them up and writes the
// relations. months is 1, 3 or 12.
func newTable(categories, months int, leaf func() int64) *table {
	t := &table{categories: categories, months: months}
	n := geoCount * t.cats() * t.periods()
	t.p.Cells = make([]Cell, n)
	for g := 0; g < geoCount; g++ {
		for c := 0; c < t.cats(); c++ {
			for per := 0; per < t.periods(); per++ {
				t.p.Cells[t.at(g, c, per)].Publishable = g < geoPart1
			}
		}
	}
	v := func(g, c, per int) *int64 { return &t.p.Cells[t.at(g, c, per)].Value }
	base := max(categories, 1)
	quarters := 0
	if months == 3 || months == 12 {
		quarters = months / 3
	}
	// The counts: leaves, then their sums, in the order they depend on one
	// another.
	for c := 0; c < base; c++ {
		for m := 0; m < months; m++ {
			for g := 0; g < geoCount; g++ {
				if leafGeo(g) {
					*v(g, c, m) = leaf()
				}
			}
			// The people of no commune are the people of no bassin.
			*v(geoRemainder, c, m) = *v(geoUnassigned, c, m)
			*v(geoBruxellesVille, c, m) = *v(geoPart1, c, m) + *v(geoPart2, c, m) + *v(geoPart3, c, m)
			*v(geoRegion, c, m) = *v(geoUnassigned, c, m)
			for _, b := range bassinCommunes {
				var sum int64
				for k := 0; k < b.n; k++ {
					sum += *v(b.first+k, c, m)
				}
				if b.part >= 0 {
					sum += *v(b.part, c, m)
				}
				*v(b.bassin, c, m) = sum
				*v(geoRegion, c, m) += sum
			}
		}
	}
	if categories > 1 {
		for g := 0; g < geoCount; g++ {
			for m := 0; m < months; m++ {
				for c := 0; c < categories; c++ {
					*v(g, categories, m) += *v(g, c, m)
				}
			}
		}
	}
	for g := 0; g < geoCount; g++ {
		for c := 0; c < t.cats(); c++ {
			for q := 0; q < quarters; q++ {
				*v(g, c, months+q) = *v(g, c, 3*q) + *v(g, c, 3*q+1) + *v(g, c, 3*q+2)
				if quarters == 4 {
					*v(g, c, months+4) += *v(g, c, months+q)
				}
			}
		}
	}

	// The relations: every one holds in every category and period.
	rel := func(total int, parts ...int) {
		t.p.Relations = append(t.p.Relations, Relation{Total: total, Parts: parts})
	}
	for c := 0; c < t.cats(); c++ {
		for per := 0; per < t.periods(); per++ {
			var bassins, communes []int
			for _, b := range bassinCommunes {
				var parts []int
				for k := 0; k < b.n; k++ {
					parts = append(parts, t.at(b.first+k, c, per))
				}
				if b.part >= 0 {
					parts = append(parts, t.at(b.part, c, per))
				}
				rel(t.at(b.bassin, c, per), parts...)
				bassins = append(bassins, t.at(b.bassin, c, per))
			}
			rel(t.at(geoBruxellesVille, c, per), t.at(geoPart1, c, per), t.at(geoPart2, c, per), t.at(geoPart3, c, per))
			rel(t.at(geoRegion, c, per), append(bassins, t.at(geoUnassigned, c, per))...)
			for g := geoCommune0; g <= geoBruxellesVille; g++ {
				communes = append(communes, t.at(g, c, per))
			}
			rel(t.at(geoRegion, c, per), append(communes, t.at(geoRemainder, c, per))...)
		}
	}
	for g := 0; g < geoCount; g++ {
		for per := 0; per < t.periods() && categories > 1; per++ {
			var parts []int
			for c := 0; c < categories; c++ {
				parts = append(parts, t.at(g, c, per))
			}
			rel(t.at(g, categories, per), parts...)
		}
		for c := 0; c < t.cats(); c++ {
			var qs []int
			for q := 0; q < quarters; q++ {
				rel(t.at(g, c, months+q), t.at(g, c, 3*q), t.at(g, c, 3*q+1), t.at(g, c, 3*q+2))
				qs = append(qs, t.at(g, c, months+q))
			}
			if quarters == 4 {
				rel(t.at(g, c, months+4), qs...)
			}
		}
	}
	return t
}

// smallCounts draws many counts of 0 to 6, some larger.
func smallCounts(rng *rand.Rand) func() int64 {
	return func() int64 {
		if rng.IntN(4) == 0 {
			return 5 + rng.Int64N(30)
		}
		return rng.Int64N(7)
	}
}

// fewSmall draws counts of 5 to 80, and one in share a count of 0 to 6.
func fewSmall(rng *rand.Rand, share int) func() int64 {
	return func() int64 {
		if rng.IntN(share) == 0 {
			return rng.Int64N(7)
		}
		return 5 + rng.Int64N(76)
	}
}
