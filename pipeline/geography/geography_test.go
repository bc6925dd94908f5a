package geography

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultGeography(t *testing.T) {
	g, err := Load(Files{})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Communes) != 19 || len(g.Bassins) != 5 {
		t.Fatalf("%d communes, %d bassins; want 19 and 5", len(g.Communes), len(g.Bassins))
	}
	// 18 whole communes plus the six postcode areas of Bruxelles-Ville.
	if len(g.Areas) != 24 {
		t.Errorf("%d areas, want 24", len(g.Areas))
	}
	tests := []struct {
		level, code string
		population  int
		estimated   bool
	}{
		// Sum of communes.csv's population_2020 column.
		{LevelRegion, RegionCode, 1218255, false},
		// Berchem 25,502 + Ganshoren 25,234 + Jette 52,728 + Koekelberg 21,959
		// + Laeken 55,000 + Neder-Over-Heembeek 20,000 + Haren 5,000 (estimated areas).
		{LevelBassin, "nord", 205423, true},
		// Schaerbeek 132,799 + Evere 42,656 + Saint-Josse 27,497: whole communes.
		{LevelBassin, "nord-est", 202952, false},
		{LevelCommune, "21004", 185103, false},
	}
	for _, tt := range tests {
		pop, est := g.Population(tt.level, tt.code)
		if pop != tt.population || est != tt.estimated {
			t.Errorf("Population(%s, %s) = %d, %v; want %d, %v", tt.level, tt.code, pop, est, tt.population, tt.estimated)
		}
	}
	if u := g.Unassigned(); len(u) != 1 || u[0].Key != "21004-1040" {
		t.Errorf("unassigned areas %v, want only Bruxelles-Ville 1040", u)
	}
	if !g.AssignmentEstimated("sud") || g.AssignmentEstimated("nord") {
		t.Errorf("Sud's 1050 area is assumed, Nord's areas are stated by the bassin")
	}
	for _, tt := range []struct{ nis, postcode, want string }{
		{"", "1020", "21004"}, {"", "1050", "21009"}, {"21004", "1050", "21004"}, {"", "1700", ""},
	} {
		if got, _ := g.ResolveNIS(tt.nis, tt.postcode); got != tt.want {
			t.Errorf("ResolveNIS(%q, %q) = %q, want %q", tt.nis, tt.postcode, got, tt.want)
		}
	}
	if g.Name(LevelBassin, "sud-est", "nl") != "Zuid-Oost" || g.Name(LevelCommune, "21015", "fr") != "Schaerbeek" {
		t.Errorf("names: %q %q", g.Name(LevelBassin, "sud-est", "nl"), g.Name(LevelCommune, "21015", "fr"))
	}
}

func TestOperatorFilesReplaceTheDefaults(t *testing.T) {
	dir := t.TempDir()
	// A Statbel file: one line per commune, sex and age; Bruxelles-Ville
	// doubles to 370,206, so its estimated areas double too.
	statbel := filepath.Join(dir, "TF_SOC_POP_STRUCT_2024.txt")
	var b strings.Builder
	b.WriteString("CD_REFNIS|TX_DESCR_NL|CD_SEX|CD_AGE|MS_POPULATION\n")
	b.WriteString("21004|Brussel|M|30|185103\n21004|Brussel|F|30|185103\n")
	b.WriteString("21015|Schaarbeek|M|30|70000\n21015|Schaarbeek|F|31|63000\n")
	// Every commune of the region must be in the file.
	for _, nis := range append([]string{"21001"}, plainCommunes...) {
		b.WriteString(nis + "|Gemeente|F|40|1000\n")
	}
	os.WriteFile(statbel, []byte(b.String()), 0o644)
	split := filepath.Join(dir, "split.csv")
	os.WriteFile(split, []byte("nis,postcode,area,bassin,status\n"+
		"21004,1000,Pentagone,centre-ouest,stated by Brusano\n21004,1020,Laeken,nord,stated\n21004,1120,NOH,nord,stated\n"+
		"21004,1130,Haren,nord,stated\n21004,1050,Louise,sud,stated\n21004,1040,Quartier européen,nord-est,stated\n"), 0o644)

	g, err := Load(Files{Population: PathList{statbel}, Split: split})
	if err != nil {
		t.Fatal(err)
	}
	if pop, _ := g.Population(LevelCommune, "21015"); pop != 133000 {
		t.Errorf("Schaerbeek = %d, want 70,000 + 63,000", pop)
	}
	if pop, _ := g.Population(LevelCommune, "21004"); pop != 370206 {
		t.Errorf("Bruxelles-Ville = %d, want 370,206", pop)
	}
	// Nord: Laeken, Neder-Over-Heembeek and Haren, 80,000 of the default
	// 185,103, doubled, + 4 communes × 1,000.
	if pop, est := g.Population(LevelBassin, "nord"); pop != 160000+4000 || !est {
		t.Errorf("Nord = %d, estimated %v; want 164,000, estimated", pop, est)
	}
	if len(g.Unassigned()) != 0 {
		t.Errorf("the operator's split assigns 1040: %v", g.Unassigned())
	}
	if g.SplitSource != split || g.PopulationSource != statbel || g.PopulationDate().Year() != 2024 {
		t.Errorf("sources %q, %q, date %v", g.SplitSource, g.PopulationSource, g.PopulationDate())
	}
}

func TestBadOperatorFileNamesFileAndLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "population.csv")
	os.WriteFile(bad, []byte("nis,population,reference_date\n21001,120887,2024-01-01\n21002,many,2024-01-01\n"), 0o644)
	_, err := Load(Files{Population: PathList{bad}})
	if err == nil || !strings.Contains(err.Error(), bad+": line 3: field population") {
		t.Fatalf("err = %v, want file, line 3 and field named", err)
	}
}
