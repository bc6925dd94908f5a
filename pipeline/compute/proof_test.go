package compute_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
)

// The bassins as a reader knows them (domain.md), written by hand: each
// bassin's whole communes, and the bassins holding part of Bruxelles-Ville
// (21004), whose remaining part belongs to no bassin.
var (
	wholeCommunes = map[string][]string{
		"nord":         {"21003", "21008", "21010", "21011"},
		"nord-est":     {"21006", "21014", "21015"},
		"sud":          {"21007", "21009", "21013", "21016", "21017"},
		"sud-est":      {"21002", "21005", "21018", "21019"},
		"centre-ouest": {"21001", "21012"},
	}
	cityParts = []string{"nord", "sud", "centre-ouest", ""}
)

// randomContacts writes a year and a month of contacts spread unevenly over
// the Region, with many small counts: postcodes of every commune (those of
// Bruxelles-Ville's areas too) and people without a fixed address.
func randomContacts(seed uint64) []struct {
	name, body string
	latin1     bool
} {
	r := rand.New(rand.NewPCG(seed, 1))
	postcodes := []string{"1000", "1020", "1120", "1130", "1030", "1040", "1050", "1060", "1070", "1080", "1081",
		"1082", "1083", "1090", "1140", "1150", "1160", "1170", "1180", "1190", "1200", "1210", "SDF"}
	weights := make([]float64, len(postcodes))
	for i := range weights {
		weights[i] = 1 / float64(1+i%7) // a few busy places, many quiet ones
	}
	places := []string{"rue", "gare", "squat", "centre d'hébergement", "domicile"}
	destinations := []string{"CPAS", "hôpital", "maison médicale", "service de santé mentale"}
	poles := []string{"medical", "social", "psychological", "harm_reduction"}
	pick := func(w []float64) int {
		var total float64
		for _, x := range w {
			total += x
		}
		u := r.Float64() * total
		for i, x := range w {
			if u < x {
				return i
			}
			u -= x
		}
		return len(w) - 1
	}
	var files []struct {
		name, body string
		latin1     bool
	}
	for m := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC); m.Year() < 2026; m = m.AddDate(0, 1, 0) {
		var b strings.Builder
		n := 120 + r.IntN(80)
		for range n {
			rec := map[string]any{
				"date":       m.AddDate(0, 0, r.IntN(28)).Format(time.DateOnly),
				"time":       "10:00",
				"team":       []string{"t1", "t2"}[r.IntN(2)],
				"place_type": places[r.IntN(len(places))],
				"postcode":   postcodes[pick(weights)],
				"person":     fmt.Sprintf("P%d", r.IntN(250)),
				"poles":      []string{poles[r.IntN(len(poles))]},
				"referral":   false,
				"syringes":   r.IntN(3),
				"kits":       r.IntN(2),
				"naloxone":   0,
			}
			if r.IntN(6) == 0 {
				rec["referral"], rec["referral_destination"] = true, destinations[r.IntN(len(destinations))]
			}
			if r.IntN(12) == 0 {
				rec["naloxone"] = 1 + r.IntN(2)
			}
			line, _ := json.Marshal(rec)
			b.Write(line)
			b.WriteByte('\n')
		}
		files = append(files, struct {
			name, body string
			latin1     bool
		}{"mobile-teams/combo-" + m.Format("2006-01") + ".jsonl", b.String(), false})
	}
	return files
}

// TestPublishedValuesNeverDiscloseASmallCount proves suppression holds on
// a computed catalogue, from the published values alone: a reader who
// knows every published value and every relation between them (the Region
// and its bassins, the Region and its communes, a bassin and its whole
// communes with the part of Bruxelles-Ville it holds, the parts of
// Bruxelles-Ville, categories and their total, months and their quarter,
// quarters and their year) solves the equations; no value that can be
// derived this way, hidden or never published, is a count of 1 to 4.
func TestPublishedValuesNeverDiscloseASmallCount(t *testing.T) {
	values := computeFiles(t, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), geography.Files{}, randomContacts(42), 13)
	cat, err := catalogue.Load(catalogue.Default())
	if err != nil {
		t.Fatal(err)
	}
	var hidden, published int
	for _, v := range values {
		if v.Suppressed {
			hidden++
			continue
		}
		published++
		ind, _ := cat.Lookup(v.Indicator)
		if v.Numerator >= 1 && v.Numerator <= 4 && ind.Numerator.Dataset != "deliveries" {
			t.Errorf("published: %s %s %s %s %s/%s with a numerator of %v", v.Indicator, v.PeriodType,
				indicators.PeriodLabel(v.PeriodType, v.Period), v.Code, v.Breakdown, v.Category, v.Numerator)
		}
		// A rate, share or ratio gives its numerator back: the count with
		// the same numerator must be published too.
		if ind.Denominator == nil {
			continue
		}
		for _, other := range cat.Indicators {
			if other.Denominator == nil && reflect.DeepEqual(other.Numerator, ind.Numerator) {
				k := cellKey{other.ID, v.PeriodType, indicators.PeriodLabel(v.PeriodType, v.Period), v.Level, v.Code, v.Breakdown, v.Category}
				if c, ok := values[k]; ok && c.Suppressed {
					t.Errorf("%s %+v is published while its count %s is withheld", v.Indicator, k, other.ID)
				}
			}
		}
	}
	if hidden < 50 || published < 1000 {
		t.Fatalf("%d values withheld, %d published: the fixture must hold many small counts among large ones", hidden, published)
	}
	for _, ind := range cat.Indicators {
		if ind.Denominator != nil || ind.Numerator.Dataset != "contacts" ||
			(ind.Numerator.Aggregate != catalogue.Count && ind.Numerator.Aggregate != catalogue.Sum) {
			continue
		}
		for year := 2024; year <= 2025; year++ {
			checkDerivable(t, ind, year, values)
		}
	}
}

// unknown is a quantity the reader does not see: a withheld value, or a
// part of a geography never published.
type unknown struct {
	key  cellKey
	true float64
}

// checkDerivable builds the reader's equations for one additive indicator
// and year, and fails for every unknown they determine that is a count of
// 1 to 4.
func checkDerivable(t *testing.T, ind catalogue.Indicator, year int, values map[cellKey]indicators.Value) {
	t.Helper()
	var periods []cellKey // ptype and period only
	for _, pt := range ind.Periods {
		start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		for p := start; p.Year() == year; {
			periods = append(periods, cellKey{ptype: pt, period: indicators.PeriodLabel(pt, p)})
			switch pt {
			case "month":
				p = p.AddDate(0, 1, 0)
			case "quarter":
				p = p.AddDate(0, 3, 0)
			default:
				p = p.AddDate(1, 0, 0)
			}
		}
	}
	type cat struct{ breakdown, category string }
	cats := []cat{{"", ""}}
	categories := map[string]map[string]bool{}
	for k := range values {
		if k.indicator == ind.ID && k.breakdown != "" {
			if categories[k.breakdown] == nil {
				categories[k.breakdown] = map[string]bool{}
			}
			categories[k.breakdown][k.category] = true
		}
	}
	var bds []string
	for b := range categories {
		bds = append(bds, b)
	}
	sort.Strings(bds)
	for _, b := range bds {
		for c := range categories[b] {
			cats = append(cats, cat{b, c})
		}
	}

	// Terms of the equations: a published value is a constant, anything
	// else an unknown with its true value.
	index := map[cellKey]int{}
	var unknowns []unknown
	trueValue := func(k cellKey) float64 {
		if v, ok := values[k]; ok {
			return v.Numerator
		}
		return 0
	}
	term := func(k cellKey) (known float64, u int) {
		if v, ok := values[k]; ok && !v.Suppressed {
			return v.Numerator, -1
		}
		if i, ok := index[k]; ok {
			return 0, i
		}
		index[k] = len(unknowns)
		unknowns = append(unknowns, unknown{key: k})
		return 0, index[k]
	}
	type equation struct {
		coef map[int]float64
		rhs  float64
	}
	var eqs []equation
	// total = sum(parts), with virtual parts given by their true values.
	relation := func(total cellKey, parts []cellKey, virtual map[string]float64) {
		e := equation{coef: map[int]float64{}}
		known, u := term(total)
		if u >= 0 {
			e.coef[u]--
		} else {
			e.rhs -= known
		}
		for _, p := range parts {
			if tv, ok := virtual[p.code]; ok && p.level == "virtual" {
				i, seen := index[p]
				if !seen {
					i = len(unknowns)
					index[p] = i
					unknowns = append(unknowns, unknown{key: p, true: tv})
				}
				e.coef[i]++
				continue
			}
			known, u := term(p)
			if u >= 0 {
				e.coef[u]++
			} else {
				e.rhs -= known
			}
		}
		eqs = append(eqs, e)
	}
	for _, p := range periods {
		for _, c := range cats {
			at := func(level, code string) cellKey {
				return cellKey{ind.ID, p.ptype, p.period, level, code, c.breakdown, c.category}
			}
			if c.breakdown == "" && !ind.HasTotal() {
				continue
			}
			region := at(R, geography.RegionCode)
			var bassins, communes []cellKey
			var sumB, sumC float64
			for b := range wholeCommunes {
				bassins = append(bassins, at(B, b))
				sumB += trueValue(at(B, b))
			}
			for _, nis := range communesNIS {
				communes = append(communes, at(C, nis))
				sumC += trueValue(at(C, nis))
			}
			virt := func(name string) cellKey {
				return cellKey{ind.ID, p.ptype, p.period, "virtual", name, c.breakdown, c.category}
			}
			relation(region, append(bassins, virt("outside bassins")), map[string]float64{"outside bassins": trueValue(region) - sumB})
			relation(region, append(communes, virt("outside communes")), map[string]float64{"outside communes": trueValue(region) - sumC})
			var cityTotal float64
			var city []cellKey
			partValues := map[string]float64{}
			for _, b := range cityParts {
				var whole float64
				parts := []cellKey{}
				for _, nis := range wholeCommunes[b] {
					whole += trueValue(at(C, nis))
					parts = append(parts, at(C, nis))
				}
				name := "Bruxelles-Ville in " + b
				if b == "" {
					continue
				}
				partValues[name] = trueValue(at(B, b)) - whole
				cityTotal += partValues[name]
				relation(at(B, b), append(parts, virt(name)), partValues)
				city = append(city, virt(name))
			}
			partValues["Bruxelles-Ville outside bassins"] = trueValue(at(C, "21004")) - cityTotal
			relation(at(C, "21004"), append(city, virt("Bruxelles-Ville outside bassins")), partValues)
			for b, nisList := range wholeCommunes {
				if b == "nord" || b == "sud" || b == "centre-ouest" {
					continue
				}
				var parts []cellKey
				for _, nis := range nisList {
					parts = append(parts, at(C, nis))
				}
				relation(at(B, b), parts, nil)
			}
		}
		// Categories and their total, but for a list (poles).
		if ind.HasTotal() {
			for _, b := range bds {
				if b == "poles" {
					continue
				}
				for _, g := range append(append([]string{geography.RegionCode}, communesNIS...), "nord", "nord-est", "sud", "sud-est", "centre-ouest") {
					level := C
					switch {
					case g == geography.RegionCode:
						level = R
					case !strings.HasPrefix(g, "21"):
						level = B
					}
					var parts []cellKey
					for c := range categories[b] {
						parts = append(parts, cellKey{ind.ID, p.ptype, p.period, level, g, b, c})
					}
					relation(cellKey{ind.ID, p.ptype, p.period, level, g, "", ""}, parts, nil)
				}
			}
		}
	}
	// Months add up to their quarter, quarters to their year.
	for _, c := range cats {
		for _, g := range append(append([]string{geography.RegionCode}, communesNIS...), "nord", "nord-est", "sud", "sud-est", "centre-ouest") {
			level := C
			switch {
			case g == geography.RegionCode:
				level = R
			case !strings.HasPrefix(g, "21"):
				level = B
			}
			at := func(pt, period string) cellKey { return cellKey{ind.ID, pt, period, level, g, c.breakdown, c.category} }
			for q := 1; q <= 4; q++ {
				var months []cellKey
				for m := 3*q - 2; m <= 3*q; m++ {
					months = append(months, at("month", fmt.Sprintf("%d-%02d", year, m)))
				}
				relation(at("quarter", fmt.Sprintf("%d-Q%d", year, q)), months, nil)
			}
			var quarters []cellKey
			for q := 1; q <= 4; q++ {
				quarters = append(quarters, at("quarter", fmt.Sprintf("%d-Q%d", year, q)))
			}
			relation(at("year", fmt.Sprint(year)), quarters, nil)
		}
	}
	for i := range unknowns {
		if unknowns[i].key.level != "virtual" {
			unknowns[i].true = trueValue(unknowns[i].key)
		}
	}
	coefs := make([]map[int]float64, len(eqs))
	for i, e := range eqs {
		coefs[i] = e.coef
	}
	for _, i := range determined(len(unknowns), coefs) {
		u := unknowns[i]
		if n := math.Round(u.true); n >= 1 && n <= 4 {
			t.Errorf("%s %d: %+v can be derived from the published values: it is %v", ind.ID, year, u.key, u.true)
		}
	}
}

// determined returns the unknowns whose value every solution of the
// equations shares, by Gauss-Jordan elimination over the unknowns each
// connected group of equations involves.
func determined(n int, eqs []map[int]float64) []int {
	// Group the equations by connected unknowns.
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, e := range eqs {
		first := -1
		for u := range e {
			if first < 0 {
				first = u
			} else {
				parent[find(u)] = find(first)
			}
		}
	}
	groups := map[int]bool{}
	for _, e := range eqs {
		for u := range e {
			groups[find(u)] = true
			break
		}
	}
	var out []int
	for root := range groups {
		var cols []int
		col := map[int]int{}
		for u := range n {
			if find(u) == root {
				col[u] = len(cols)
				cols = append(cols, u)
			}
		}
		var rows [][]float64
		for _, e := range eqs {
			coef := e
			var in bool
			for u := range coef {
				in = find(u) == root
				break
			}
			if !in {
				continue
			}
			row := make([]float64, len(cols))
			for u, c := range coef {
				row[col[u]] = c
			}
			rows = append(rows, row)
		}
		// Reduced row echelon form.
		pivots := map[int]int{} // column -> row
		r := 0
		for c := 0; c < len(cols) && r < len(rows); c++ {
			best := -1
			for i := r; i < len(rows); i++ {
				if math.Abs(rows[i][c]) > 1e-9 && (best < 0 || math.Abs(rows[i][c]) > math.Abs(rows[best][c])) {
					best = i
				}
			}
			if best < 0 {
				continue
			}
			rows[r], rows[best] = rows[best], rows[r]
			pv := rows[r][c]
			for j := range rows[r] {
				rows[r][j] /= pv
			}
			for i := range rows {
				if i != r && math.Abs(rows[i][c]) > 1e-12 {
					f := rows[i][c]
					for j := range rows[i] {
						rows[i][j] -= f * rows[r][j]
					}
				}
			}
			pivots[c] = r
			r++
		}
		// An unknown is fixed when its row has no free unknown.
		for c, row := range pivots {
			free := false
			for j, x := range rows[row] {
				if j != c && math.Abs(x) > 1e-9 {
					free = true
					break
				}
			}
			if !free {
				out = append(out, cols[c])
			}
		}
	}
	return out
}
