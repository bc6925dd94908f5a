package geography

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"time"
)

// Ages is an inclusive range of ages in completed years. The zero value, like
// AllAges, means every age (so newborns alone cannot be asked for: Ages{0, 0}
// is every age).
type Ages struct{ Min, Max int }

// AllAges is every age.
var AllAges = Ages{0, maxAge}

// maxAge is the oldest age a population file may give.
const maxAge = 200

// All reports whether the range covers every age.
func (a Ages) All() bool {
	return a == Ages{} || (a.Min <= 0 && a.Max >= maxAge)
}

// Figure is a population used as a denominator.
type Figure struct {
	Count int
	// Date is the reference date of the figure: 1 January of a year for
	// Statbel files.
	Date time.Time
	// Estimated is true when the figure rests on an estimate: a bassin with
	// an area whose bassin or population is a default (see Area.Estimated),
	// or with a part of a split commune whose count is prorated from the
	// commune's by the area's share.
	Estimated bool
}

// Sexes as Statbel codes them (CD_SEX).
const (
	SexMale   = "M"
	SexFemale = "F"
)

// counts is the population of one commune on one reference date.
type counts struct {
	total int
	// byAge is indexed by age; nil when the source gives totals only.
	byAge []int
	// bySex maps SexMale and SexFemale to counts by age; nil when the
	// source gives no sex.
	bySex map[string][]int
	// source names the file the counts come from.
	source string
}

// count returns the population aged ages, of one sex or of both (sex ""),
// and false when the counts do not say.
func (c *counts) count(ages Ages, sex string) (int, bool) {
	if sex == "" {
		if ages.All() {
			return c.total, true
		}
		if c.byAge == nil {
			return 0, false
		}
		return sumAges(c.byAge, ages), true
	}
	if c.bySex == nil {
		return 0, false
	}
	return sumAges(c.bySex[sex], ages), true
}

func sumAges(byAge []int, ages Ages) int {
	lo, hi := 0, len(byAge)-1
	if !ages.All() {
		lo, hi = max(ages.Min, 0), min(ages.Max, hi)
	}
	var n int
	for age := lo; age <= hi; age++ {
		n += byAge[age]
	}
	return n
}

func (c *counts) add(age int, sex string, n int) {
	c.total += n
	c.byAge = addAt(c.byAge, age, n)
	if sex != "" {
		if c.bySex == nil {
			c.bySex = map[string][]int{}
		}
		c.bySex[sex] = addAt(c.bySex[sex], age, n)
	}
}

func addAt(s []int, i, n int) []int {
	if i >= len(s) {
		s = append(s, make([]int, i+1-len(s))...)
	}
	s[i] += n
	return s
}

// share is the part of a split commune's population living in one area, from
// the area population table.
type share struct {
	population int
	// sum is the total of the commune's areas in that table.
	sum  int
	date time.Time
}

// populations holds every population figure loaded.
type populations struct {
	dates    []time.Time // ascending
	communes map[string]map[time.Time]*counts
	shares   map[string]share // by area key, for the areas of split communes
}

// PopulationAt returns the population of a geography (LevelRegion,
// LevelBassin or LevelCommune and its code) aged ages, to divide a count of
// the period starting at start: the figure of the latest reference date on or
// before start, or else the earliest one after it. ok is false when no
// reference date has a figure for these ages, e.g. 15-64 when only totals
// are loaded, or when the geography is unknown.
//
// The region's and a commune's figures are sums of commune figures. A
// bassin's adds its whole communes and, for the areas of a split commune, the
// commune's figure prorated by the area's share of the commune total.
func (g *Geography) PopulationAt(level, code string, start time.Time, ages Ages) (Figure, bool) {
	return g.populationAt(level, code, "", start, ages)
}

// PopulationOfSexAt is PopulationAt for one sex, SexMale or SexFemale; ok is
// false when the population files give no sex.
func (g *Geography) PopulationOfSexAt(level, code, sex string, start time.Time, ages Ages) (Figure, bool) {
	if sex != SexMale && sex != SexFemale {
		return Figure{}, false
	}
	return g.populationAt(level, code, sex, start, ages)
}

func (g *Geography) populationAt(level, code, sex string, start time.Time, ages Ages) (Figure, bool) {
	if !ages.All() && ages.Min > ages.Max {
		return Figure{}, false
	}
	var best Figure
	var found bool
	for _, d := range g.pop.dates { // ascending
		f, ok := g.figureOn(level, code, sex, d, ages)
		if !ok {
			continue
		}
		if !found || !d.After(start) {
			best, found = f, true
		}
		if d.After(start) {
			break
		}
	}
	return best, found
}

// figureOn returns a geography's figure on one reference date.
func (g *Geography) figureOn(level, code, sex string, date time.Time, ages Ages) (Figure, bool) {
	f := Figure{Date: date}
	commune := func(nis string) (int, bool) {
		c := g.pop.communes[nis][date]
		if c == nil {
			return 0, false
		}
		return c.count(ages, sex)
	}
	switch level {
	case LevelRegion:
		if code != RegionCode {
			return f, false
		}
		for _, c := range g.Communes {
			n, ok := commune(c.NIS)
			if !ok {
				return f, false
			}
			f.Count += n
		}
		return f, true
	case LevelCommune:
		if _, known := g.Commune(code); !known {
			return f, false
		}
		n, ok := commune(code)
		f.Count = n
		return f, ok
	case LevelBassin:
		var sum float64
		var inBassin bool
		for _, a := range g.Areas {
			if a.Bassin != code {
				continue
			}
			inBassin = true
			n, ok := commune(a.NIS)
			if !ok {
				return f, false
			}
			f.Estimated = f.Estimated || a.Estimated()
			if a.Postcode == "" {
				sum += float64(n)
				continue
			}
			part, exact := g.areaPart(a, date, n, ages, sex)
			sum += part
			f.Estimated = f.Estimated || !exact
		}
		f.Count = int(math.Round(sum))
		return f, inBassin
	}
	return f, false
}

// areaPart returns the population of an area of a split commune whose
// commune counts n on date: the area's own figure when the area table gives
// the total on that very date and agrees with the commune, otherwise n
// prorated by the area's share (exact is then false).
func (g *Geography) areaPart(a Area, date time.Time, n int, ages Ages, sex string) (part float64, exact bool) {
	sh := g.pop.shares[a.Key]
	if sh.sum == 0 {
		return 0, false
	}
	if c := g.pop.communes[a.NIS][date]; sex == "" && ages.All() && sh.date.Equal(date) && c != nil && c.total == sh.sum {
		return float64(sh.population), true
	}
	return float64(n) * float64(sh.population) / float64(sh.sum), false
}

// PopulationFingerprint returns a digest of every population figure loaded,
// by date, commune, sex and age, and of the shares of the split areas: two
// geographies with the same fingerprint divide by the same populations.
func (g *Geography) PopulationFingerprint() string {
	h := sha256.New()
	nis := make([]string, 0, len(g.pop.communes))
	for n := range g.pop.communes {
		nis = append(nis, n)
	}
	sort.Strings(nis)
	for _, d := range g.pop.dates {
		for _, n := range nis {
			c := g.pop.communes[n][d]
			if c == nil {
				continue
			}
			fmt.Fprintf(h, "%s|%s|%d|%v|%v|%v\n", d.Format(time.DateOnly), n, c.total, c.byAge, c.bySex[SexMale], c.bySex[SexFemale])
		}
	}
	keys := make([]string, 0, len(g.pop.shares))
	for k := range g.pop.shares {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sh := g.pop.shares[k]
		fmt.Fprintf(h, "share|%s|%d|%d|%s\n", k, sh.population, sh.sum, sh.date.Format(time.DateOnly))
	}
	return hex.EncodeToString(h.Sum(nil))
}
