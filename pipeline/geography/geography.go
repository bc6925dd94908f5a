// Package geography holds the reference geography of the Brussels-Capital
// Region: the 19 communes, the five bassins d'aide et de soins, which commune
// (or, for Bruxelles-Ville, which postcode area) belongs to which bassin, and
// the population used as denominator.
//
// The defaults are embedded data files (see reference/SOURCES.md); each can
// be replaced by an operator's own file.
package geography

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Levels of geography at which indicators are computed.
const (
	LevelRegion  = "region"
	LevelBassin  = "bassin"
	LevelCommune = "commune"
)

// RegionCode is the NIS code of the Brussels-Capital Region.
const RegionCode = "04000"

// RegionOnlyKey is the area key of records placed in the Region but in no
// commune (no fixed address, residence unknown): they count at Region level
// only.
const RegionOnlyKey = RegionCode

// SplitNIS is the commune split between several bassins: Bruxelles-Ville.
const SplitNIS = "21004"

// Bassin is one bassin d'aide et de soins.
type Bassin struct {
	Code   string
	NameFR string
	NameNL string
}

// Commune is one of the 19 communes.
type Commune struct {
	NIS          string
	NameFR       string
	NameNL       string
	MainPostcode string
	// Bassin is the bassin code, or "split" when the commune is shared.
	Bassin string
}

// Area is the smallest unit that belongs to exactly one bassin: a whole
// commune, or a postcode area of Bruxelles-Ville.
type Area struct {
	// Key is the NIS code for a whole commune, "21004-<postcode>" otherwise.
	Key      string
	NIS      string
	Postcode string // set for the areas of a split commune only
	Label    string
	// Bassin is the bassin code; empty when no source says which bassin.
	Bassin string
	// BassinStatus says how sure the bassin assignment is: "commune" for a
	// whole commune, otherwise the status text of the split table.
	BassinStatus string
	// Population is the area's latest population, all ages, of
	// PopulationDate; for an area of a split commune, the commune's
	// prorated by the area's share. PopulationAt gives the other dates and
	// age ranges.
	Population       int
	PopulationDate   time.Time
	PopulationStatus string
}

// Estimated reports whether the area's bassin or population rests on a default
// that no official source confirms.
func (a Area) Estimated() bool {
	return a.AssignmentEstimated() || strings.HasPrefix(a.PopulationStatus, "estimated")
}

// AssignmentEstimated reports whether the area's bassin is inferred, assumed
// or unknown rather than stated by a source.
func (a Area) AssignmentEstimated() bool {
	return a.BassinStatus != "commune" && !strings.HasPrefix(a.BassinStatus, "stated")
}

// AssignmentEstimated reports whether a bassin's boundary rests on a default
// assignment: its counts then depend on that default.
func (g *Geography) AssignmentEstimated(bassin string) bool {
	for _, a := range g.Areas {
		if a.Bassin == bassin && a.AssignmentEstimated() {
			return true
		}
	}
	return false
}

// Geography is the whole reference geography.
type Geography struct {
	Bassins  []Bassin
	Communes []Commune
	Areas    []Area
	// Postcodes maps each postcode of the region to its default commune.
	Postcodes map[string]string
	// SplitSource and PopulationSource name where the split and the
	// population come from, to be shown next to figures that rest on them.
	SplitSource      string
	PopulationSource string

	pop populations
}

// Bassin returns the bassin with the given code.
func (g *Geography) Bassin(code string) (Bassin, bool) {
	for _, b := range g.Bassins {
		if b.Code == code {
			return b, true
		}
	}
	return Bassin{}, false
}

// Commune returns the commune with the given NIS code.
func (g *Geography) Commune(nis string) (Commune, bool) {
	for _, c := range g.Communes {
		if c.NIS == nis {
			return c, true
		}
	}
	return Commune{}, false
}

// ResolveNIS returns the commune of a record from its NIS code when given,
// otherwise from its postcode. ok is false when neither is in the region.
func (g *Geography) ResolveNIS(nis, postcode string) (string, bool) {
	if nis != "" {
		_, ok := g.Commune(nis)
		return nis, ok
	}
	n, ok := g.Postcodes[postcode]
	return n, ok
}

// AreaKey returns the area key of a commune and postcode, as stored with
// every record and used to join records to bassins.
func AreaKey(nis, postcode string) string {
	if nis == SplitNIS {
		return nis + "-" + postcode
	}
	return nis
}

// CommunesOf returns the NIS codes of the communes with at least one area in
// the bassin, in NIS order.
func (g *Geography) CommunesOf(bassin string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range g.Areas {
		if a.Bassin == bassin && !seen[a.NIS] {
			seen[a.NIS] = true
			out = append(out, a.NIS)
		}
	}
	sort.Strings(out)
	return out
}

// Population returns the latest population of a geography, all ages, and
// whether it is estimated: a bassin's is when it includes an estimated area;
// a commune's and the region's are sums of official totals. Areas without a
// bassin count for their commune and the region. It is PopulationAt for a
// period after every reference date; the count is 0 for an unknown
// geography.
func (g *Geography) Population(level, code string) (population int, estimated bool) {
	f, _ := g.PopulationAt(level, code, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), AllAges)
	return f.Count, f.Estimated
}

// PopulationDate returns the latest reference date of the population figures.
func (g *Geography) PopulationDate() time.Time {
	if len(g.pop.dates) == 0 {
		return time.Time{}
	}
	return g.pop.dates[len(g.pop.dates)-1]
}

// Name returns the display name of a geography in "fr" or "nl".
func (g *Geography) Name(level, code, lang string) string {
	pick := func(fr, nl string) string {
		if lang == "nl" {
			return nl
		}
		return fr
	}
	switch level {
	case LevelRegion:
		return pick("Région de Bruxelles-Capitale", "Brussels Hoofdstedelijk Gewest")
	case LevelBassin:
		if b, ok := g.Bassin(code); ok {
			return pick(b.NameFR, b.NameNL)
		}
	case LevelCommune:
		if c, ok := g.Commune(code); ok {
			return pick(c.NameFR, c.NameNL)
		}
	}
	return code
}

// Unassigned returns the areas that belong to no bassin.
func (g *Geography) Unassigned() []Area {
	var out []Area
	for _, a := range g.Areas {
		if a.Bassin == "" {
			out = append(out, a)
		}
	}
	return out
}

func (g *Geography) validate() error {
	if len(g.Bassins) == 0 || len(g.Communes) == 0 {
		return fmt.Errorf("geography: no bassins or no communes")
	}
	for _, c := range g.Communes {
		if c.Bassin == "split" {
			continue
		}
		if _, ok := g.Bassin(c.Bassin); !ok {
			return fmt.Errorf("geography: commune %s names unknown bassin %q", c.NIS, c.Bassin)
		}
	}
	for _, a := range g.Areas {
		if a.Bassin != "" {
			if _, ok := g.Bassin(a.Bassin); !ok {
				return fmt.Errorf("geography: area %s names unknown bassin %q", a.Key, a.Bassin)
			}
		}
	}
	return nil
}
