package compute_test

import (
	"encoding/csv"
	"os"
	"strconv"
	"testing"
)

const (
	bassins  = 5
	communes = 19
	geos     = 1 + bassins + communes
)

// readColumn reads a reference CSV into key -> population.
func readColumn(t *testing.T, file, key, value string) map[string]int {
	t.Helper()
	f, err := os.Open("../geography/reference/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.LazyQuotes = true
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	out := map[string]int{}
	for _, rec := range recs[1:] {
		n, err := strconv.Atoi(rec[idx[value]])
		if err != nil {
			t.Fatal(err)
		}
		out[rec[idx[key]]] = n
	}
	return out
}

// populations returns, from the reference CSVs, the populations of the
// region, of bassin nord and of bassin nord-est.
func populations(t *testing.T) (region, nord, nordEst int) {
	commune := readColumn(t, "communes.csv", "nis", "population_2020")
	bxl := readColumn(t, "bruxelles-ville-population.csv", "postcode", "population")
	if len(commune) != communes {
		t.Fatalf("communes.csv has %d communes", len(commune))
	}
	bxlTotal := 0
	for _, n := range bxl {
		bxlTotal += n
	}
	if bxlTotal != commune["21004"] {
		// Otherwise the loader rescales the areas and the sums below differ.
		t.Fatalf("Bruxelles-Ville areas sum to %d, the commune to %d", bxlTotal, commune["21004"])
	}
	for _, n := range commune {
		region += n
	}
	// Berchem-Sainte-Agathe, Ganshoren, Jette, Koekelberg + Laeken, Neder-Over-Heembeek, Haren.
	nord = commune["21003"] + commune["21008"] + commune["21010"] + commune["21011"] + bxl["1020"] + bxl["1120"] + bxl["1130"]
	// Schaerbeek, Evere, Saint-Josse-ten-Noode.
	nordEst = commune["21015"] + commune["21006"] + commune["21014"]
	return region, nord, nordEst
}
