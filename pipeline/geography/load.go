package geography

import (
	"bufio"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed reference/*.csv
var reference embed.FS

// Files names operator files that replace the embedded defaults. An empty
// path keeps the default.
type Files struct {
	Bassins  string `yaml:"bassins"`
	Communes string `yaml:"communes"`
	// Split is the table of Bruxelles-Ville areas and their bassin, with the
	// columns nis, postcode, area, bassin, status.
	Split string `yaml:"bruxelles_ville_split"`
	// SplitPopulation gives the population of each Bruxelles-Ville area:
	// postcode, population, reference_date, status.
	SplitPopulation string `yaml:"bruxelles_ville_population"`
	// Population names the population files: Statbel
	// TF_SOC_POP_STRUCT_<YEAR> files ("|"-separated, with the columns
	// CD_REFNIS, CD_AGE, MS_POPULATION and, when present, CD_SEX) or CSV
	// files nis,population,reference_date. In YAML, one path, a list, or
	// glob patterns; each file may hold another reference date.
	Population PathList `yaml:"population"`
	Postcodes  string   `yaml:"postcodes"`
}

// Equal reports whether two sets of files name the same files, in the same
// order.
func (f Files) Equal(o Files) bool {
	return f.Bassins == o.Bassins && f.Communes == o.Communes && f.Split == o.Split &&
		f.SplitPopulation == o.SplitPopulation && f.Postcodes == o.Postcodes && slices.Equal(f.Population, o.Population)
}

// PathList names one or more files. An entry may be a glob pattern
// (path/filepath.Match syntax, e.g. /data/statbel/TF_SOC_POP_STRUCT_*.txt).
// In YAML it is a single string (empty: none) or a list of strings.
type PathList []string

// UnmarshalYAML accepts a string or a list of strings.
func (p *PathList) UnmarshalYAML(unmarshal func(any) error) error {
	var one string
	if err := unmarshal(&one); err == nil {
		*p = nil
		if one != "" {
			*p = PathList{one}
		}
		return nil
	}
	var many []string
	if err := unmarshal(&many); err != nil {
		return err
	}
	*p = nil
	for _, path := range many {
		if path != "" {
			*p = append(*p, path)
		}
	}
	return nil
}

// IsPattern reports whether a path is a glob pattern rather than a file name.
func IsPattern(path string) bool {
	return strings.ContainsAny(path, "*?[")
}

// Files returns the files named: each plain path as it is and the matches of
// each pattern in name order, without duplicates. A pattern that matches no
// file is an error; a plain path is checked when the file is opened.
func (p PathList) Files() ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, path := range p {
		matches := []string{path}
		if IsPattern(path) {
			var err error
			matches, err = filepath.Glob(path)
			if err != nil {
				return nil, fmt.Errorf("geography: %s: %w", path, err)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("geography: %s: no file matches", path)
			}
			sort.Strings(matches)
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// Load reads the reference geography, each table from the operator's file when
// one is named and from the embedded default otherwise.
func Load(files Files) (*Geography, error) {
	g := &Geography{Postcodes: map[string]string{},
		SplitSource:      "reference/bruxelles-ville-split.csv",
		PopulationSource: "reference/communes.csv (Statbel, 2020)"}
	open := func(path, name string) (io.ReadCloser, string, error) {
		if path == "" {
			f, err := reference.Open("reference/" + name)
			return f, "reference/" + name, err
		}
		f, err := os.Open(path)
		return f, path, err
	}
	table := func(path, name string, columns []string, row func(rec map[string]string) error) error {
		r, src, err := open(path, name)
		if err != nil {
			return fmt.Errorf("geography: %w", err)
		}
		defer r.Close()
		return readTable(r, src, ',', columns, row)
	}

	if err := table(files.Bassins, "bassins.csv", []string{"code", "name_fr", "name_nl"}, func(rec map[string]string) error {
		g.Bassins = append(g.Bassins, Bassin{Code: rec["code"], NameFR: rec["name_fr"], NameNL: rec["name_nl"]})
		return nil
	}); err != nil {
		return nil, err
	}
	totals2020 := map[string]int{}
	if err := table(files.Communes, "communes.csv", []string{"nis", "name_fr", "name_nl", "main_postcode", "bassin", "population_2020"}, func(rec map[string]string) error {
		n, err := strconv.Atoi(rec["population_2020"])
		if err != nil {
			return fmt.Errorf("field population_2020: %q is not a whole number", rec["population_2020"])
		}
		totals2020[rec["nis"]] = n
		g.Communes = append(g.Communes, Commune{NIS: rec["nis"], NameFR: rec["name_fr"], NameNL: rec["name_nl"],
			MainPostcode: rec["main_postcode"], Bassin: rec["bassin"]})
		return nil
	}); err != nil {
		return nil, err
	}
	if err := table(files.Postcodes, "postcodes.csv", []string{"postcode", "nis"}, func(rec map[string]string) error {
		g.Postcodes[rec["postcode"]] = rec["nis"]
		return nil
	}); err != nil {
		return nil, err
	}
	// The population: the operator's files replace the totals of
	// communes.csv altogether.
	g.pop = populations{communes: map[string]map[time.Time]*counts{}, shares: map[string]share{}}
	if len(files.Population) == 0 {
		date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		for nis, n := range totals2020 {
			g.pop.communes[nis] = map[time.Time]*counts{date: {total: n, source: "compilation of Statbel data"}}
		}
		g.pop.dates = []time.Time{date}
	} else {
		paths, err := files.Population.Files()
		if err != nil {
			return nil, err
		}
		if err := g.readPopulations(paths); err != nil {
			return nil, err
		}
		g.PopulationSource = strings.Join(paths, ", ")
	}

	type splitPop struct {
		population int
		date       time.Time
		status     string
	}
	splitPops := map[string]splitPop{}
	if err := table(files.SplitPopulation, "bruxelles-ville-population.csv", []string{"postcode", "population", "reference_date", "status"}, func(rec map[string]string) error {
		n, err := strconv.Atoi(rec["population"])
		if err != nil {
			return fmt.Errorf("field population: %q is not a whole number", rec["population"])
		}
		d, err := time.Parse(time.DateOnly, rec["reference_date"])
		if err != nil {
			return fmt.Errorf("field reference_date: %q is not a date (YYYY-MM-DD)", rec["reference_date"])
		}
		splitPops[rec["postcode"]] = splitPop{n, d, rec["status"]}
		return nil
	}); err != nil {
		return nil, err
	}
	if files.Split != "" {
		g.SplitSource = files.Split
	}
	var splitAreas []Area
	if err := table(files.Split, "bruxelles-ville-split.csv", []string{"nis", "postcode", "area", "bassin", "status"}, func(rec map[string]string) error {
		sp, ok := splitPops[rec["postcode"]]
		if !ok {
			return fmt.Errorf("field postcode: no population for Bruxelles-Ville area %s", rec["postcode"])
		}
		splitAreas = append(splitAreas, Area{Key: AreaKey(rec["nis"], rec["postcode"]), NIS: rec["nis"], Postcode: rec["postcode"],
			Label: rec["area"], Bassin: rec["bassin"], BassinStatus: rec["status"],
			Population: sp.population, PopulationDate: sp.date, PopulationStatus: sp.status})
		return nil
	}); err != nil {
		return nil, err
	}

	latest := g.PopulationDate()
	for _, c := range g.Communes {
		figure := g.pop.communes[c.NIS][latest]
		if c.Bassin != "split" {
			status := figure.source
			if len(files.Population) > 0 {
				status = "official: " + figure.source
			}
			g.Areas = append(g.Areas, Area{Key: c.NIS, NIS: c.NIS, Label: c.NameFR, Bassin: c.Bassin, BassinStatus: "commune",
				Population: figure.total, PopulationDate: latest, PopulationStatus: status})
			continue
		}
		// Each area has its share of the commune by the area table; a
		// commune figure of another date or total rescales it.
		var sum int
		for _, a := range splitAreas {
			if a.NIS == c.NIS {
				sum += a.Population
			}
		}
		for _, a := range splitAreas {
			if a.NIS != c.NIS {
				continue
			}
			g.pop.shares[a.Key] = share{population: a.Population, sum: sum, date: a.PopulationDate}
			if part, exact := g.areaPart(a, latest, figure.total, AllAges, ""); !exact {
				a.Population, a.PopulationDate = int(math.Round(part)), latest
			}
			g.Areas = append(g.Areas, a)
		}
	}
	if err := g.validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// readTable reads a delimited file with a header, checks the named columns are
// present and calls row for each record with their values and those of the
// optional columns the file has. Errors name the source and line.
func readTable(r io.Reader, src string, sep rune, columns []string, row func(map[string]string) error, optional ...string) error {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true // status notes quote the bassins' own words
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("geography: %s: reading header: %w", src, err)
	}
	index := map[string]int{}
	for i, h := range header {
		index[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, c := range columns {
		if _, ok := index[c]; !ok {
			return fmt.Errorf("geography: %s: line 1: missing column %q", src, c)
		}
	}
	for _, c := range optional {
		if _, ok := index[c]; ok {
			columns = append(columns[:len(columns):len(columns)], c)
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return fmt.Errorf("geography: %s: %w", src, err)
		}
		values := map[string]string{}
		for _, c := range columns {
			if i := index[c]; i < len(rec) {
				values[c] = strings.TrimSpace(rec[i])
			}
		}
		if err := row(values); err != nil {
			return fmt.Errorf("geography: %s: line %d: %w", src, line, err)
		}
	}
}

var statbelYear = regexp.MustCompile(`(\d{4})`)

// readPopulations reads the population files into g.pop, keeping the
// communes of the region. Every reference date must give every commune, and
// no commune and date may come from two files.
func (g *Geography) readPopulations(paths []string) error {
	keep := map[string]bool{}
	for _, c := range g.Communes {
		keep[c.NIS] = true
	}
	sources := map[time.Time][]string{}
	for _, path := range paths {
		byDate, err := readPopulation(path, keep)
		if err != nil {
			return err
		}
		for date, communes := range byDate {
			for nis, c := range communes {
				if g.pop.communes[nis] == nil {
					g.pop.communes[nis] = map[time.Time]*counts{}
				}
				if prev := g.pop.communes[nis][date]; prev != nil {
					return fmt.Errorf("geography: %s: commune %s on %s is given by %s too", path, nis, date.Format(time.DateOnly), prev.source)
				}
				g.pop.communes[nis][date] = c
			}
			if !slices.Contains(sources[date], path) {
				sources[date] = append(sources[date], path)
			}
		}
	}
	for date := range sources {
		g.pop.dates = append(g.pop.dates, date)
	}
	if len(g.pop.dates) == 0 {
		return fmt.Errorf("geography: %s: no population of a commune of the region", strings.Join(paths, ", "))
	}
	slices.SortFunc(g.pop.dates, time.Time.Compare)
	for _, date := range g.pop.dates {
		for _, c := range g.Communes {
			if g.pop.communes[c.NIS][date] == nil {
				return fmt.Errorf("geography: %s: no population for commune %s (%s) on %s; every commune of the region needs one on every reference date",
					strings.Join(sources[date], ", "), c.NIS, c.NameFR, date.Format(time.DateOnly))
			}
		}
	}
	return nil
}

// readPopulation reads one population file, a Statbel file or a plain CSV,
// and returns the counts of the communes in keep by reference date.
func readPopulation(path string, keep map[string]bool) (map[time.Time]map[string]*counts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geography: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	first, _ := br.Peek(4096)
	header, _, _ := strings.Cut(string(first), "\n")
	out := map[time.Time]map[string]*counts{}
	at := func(date time.Time, nis string) *counts {
		if out[date] == nil {
			out[date] = map[string]*counts{}
		}
		c := out[date][nis]
		if c == nil {
			c = &counts{source: filepath.Base(path)}
			out[date][nis] = c
		}
		return c
	}
	if strings.Contains(header, "CD_REFNIS") {
		err = readStatbel(br, path, header, keep, at)
	} else {
		err = readTable(br, path, ',', []string{"nis", "population", "reference_date"}, func(rec map[string]string) error {
			n, err := strconv.Atoi(rec["population"])
			if err != nil || n < 0 {
				return fmt.Errorf("field population: not a whole number")
			}
			d, err := time.Parse(time.DateOnly, rec["reference_date"])
			if err != nil {
				return fmt.Errorf("field reference_date: not a date (YYYY-MM-DD)")
			}
			d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC) // a map key: one representation
			if !keep[rec["nis"]] {
				return nil
			}
			if c := out[d][rec["nis"]]; c != nil {
				return fmt.Errorf("field nis: commune %s is given twice for %s", rec["nis"], d.Format(time.DateOnly))
			}
			at(d, rec["nis"]).total = n
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readStatbel reads a Statbel TF_SOC_POP_STRUCT file: one line per commune,
// sex, age and other characteristics, whose MS_POPULATION add up. The
// reference date is the DT_REFDATE or CD_YEAR column when the file has one,
// otherwise 1 January of the year in the file name.
func readStatbel(r io.Reader, path, header string, keep map[string]bool, at func(time.Time, string) *counts) error {
	var fromName time.Time
	if m := statbelYear.FindStringSubmatch(filepath.Base(path)); m != nil {
		year, _ := strconv.Atoi(m[1])
		fromName = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if fromName.IsZero() && !strings.Contains(header, "DT_REFDATE") && !strings.Contains(header, "CD_YEAR") {
		return fmt.Errorf("geography: %s: the Statbel file has no DT_REFDATE or CD_YEAR column and its name carries no year (TF_SOC_POP_STRUCT_<YEAR>)", path)
	}
	return readTable(r, path, '|', []string{"CD_REFNIS", "CD_AGE", "MS_POPULATION"}, func(rec map[string]string) error {
		n, err := strconv.Atoi(rec["MS_POPULATION"])
		if err != nil || n < 0 {
			return fmt.Errorf("field MS_POPULATION: not a whole number")
		}
		age, err := strconv.Atoi(rec["CD_AGE"])
		if err != nil || age < 0 || age > maxAge {
			return fmt.Errorf("field CD_AGE: not an age from 0 to %d", maxAge)
		}
		sex, hasSex := rec["CD_SEX"]
		if hasSex && sex != SexMale && sex != SexFemale {
			return fmt.Errorf("field CD_SEX: neither %s nor %s", SexMale, SexFemale)
		}
		date := fromName
		if v := rec["DT_REFDATE"]; v != "" {
			if date, err = parseRefDate(v); err != nil {
				return fmt.Errorf("field DT_REFDATE: not a date (YYYY-MM-DD or DD/MM/YYYY)")
			}
		} else if v := rec["CD_YEAR"]; v != "" {
			year, err := strconv.Atoi(v)
			if err != nil || year < 1800 || year > 9999 {
				return fmt.Errorf("field CD_YEAR: not a year")
			}
			date = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if date.IsZero() {
			return fmt.Errorf("field DT_REFDATE: empty, and the file name carries no year")
		}
		if keep[rec["CD_REFNIS"]] {
			at(date, rec["CD_REFNIS"]).add(age, sex, n)
		}
		return nil
	}, "CD_SEX", "DT_REFDATE", "CD_YEAR")
}

func parseRefDate(v string) (time.Time, error) {
	var err error
	for _, layout := range []string{time.DateOnly, "02/01/2006", time.DateTime, "2006-01-02T15:04:05"} {
		var d time.Time
		if d, err = time.Parse(layout, v); err == nil {
			return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, err
}
