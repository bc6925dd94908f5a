package geography

import (
	"bufio"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
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
	// Population is a Statbel TF_SOC_POP_STRUCT_<YEAR> file ("|"-separated,
	// CD_REFNIS and MS_POPULATION columns) or a CSV nis,population,reference_date.
	Population string `yaml:"population"`
	Postcodes  string `yaml:"postcodes"`
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
	populations := map[string]int{}
	if err := table(files.Communes, "communes.csv", []string{"nis", "name_fr", "name_nl", "main_postcode", "bassin", "population_2020"}, func(rec map[string]string) error {
		n, err := strconv.Atoi(rec["population_2020"])
		if err != nil {
			return fmt.Errorf("field population_2020: %q is not a whole number", rec["population_2020"])
		}
		populations[rec["nis"]] = n
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
	popDate := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	popStatus := map[string]string{}
	if files.Population != "" {
		var err error
		populations, popDate, err = readPopulation(files.Population)
		if err != nil {
			return nil, err
		}
		g.PopulationSource = files.Population
		for nis := range populations {
			popStatus[nis] = "official: " + filepath.Base(files.Population)
		}
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

	for _, c := range g.Communes {
		if c.Bassin != "split" {
			status := popStatus[c.NIS]
			if status == "" {
				status = "compilation of Statbel data"
			}
			g.Areas = append(g.Areas, Area{Key: c.NIS, NIS: c.NIS, Label: c.NameFR, Bassin: c.Bassin, BassinStatus: "commune",
				Population: populations[c.NIS], PopulationDate: popDate, PopulationStatus: status})
			continue
		}
		// A newer commune total rescales the estimated shares of its areas.
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
			if total, ok := populations[c.NIS]; ok && sum > 0 && total != sum {
				a.Population = int(float64(a.Population) * float64(total) / float64(sum))
				a.PopulationDate = popDate
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
// present and calls row for each record. Errors name the source and line.
func readTable(r io.Reader, src string, sep rune, columns []string, row func(map[string]string) error) error {
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

// readPopulation reads a Statbel population file, summing MS_POPULATION by
// CD_REFNIS, or a plain CSV nis,population,reference_date.
func readPopulation(path string) (map[string]int, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("geography: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	first, _ := br.Peek(512)
	pops := map[string]int{}
	var date time.Time
	if strings.Contains(string(first), "CD_REFNIS") {
		m := statbelYear.FindStringSubmatch(filepath.Base(path))
		if m == nil {
			return nil, date, fmt.Errorf("geography: %s: the Statbel file name carries no year (TF_SOC_POP_STRUCT_<YEAR>)", path)
		}
		year, _ := strconv.Atoi(m[1])
		date = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		err = readTable(br, path, '|', []string{"CD_REFNIS", "MS_POPULATION"}, func(rec map[string]string) error {
			n, err := strconv.Atoi(rec["MS_POPULATION"])
			if err != nil {
				return fmt.Errorf("field MS_POPULATION: %q is not a whole number", rec["MS_POPULATION"])
			}
			pops[rec["CD_REFNIS"]] += n
			return nil
		})
	} else {
		err = readTable(br, path, ',', []string{"nis", "population", "reference_date"}, func(rec map[string]string) error {
			n, err := strconv.Atoi(rec["population"])
			if err != nil {
				return fmt.Errorf("field population: %q is not a whole number", rec["population"])
			}
			d, err := time.Parse(time.DateOnly, rec["reference_date"])
			if err != nil {
				return fmt.Errorf("field reference_date: %q is not a date (YYYY-MM-DD)", rec["reference_date"])
			}
			pops[rec["nis"]] = n
			if d.After(date) {
				date = d
			}
			return nil
		})
	}
	if err != nil {
		return nil, date, err
	}
	return pops, date, nil
}
