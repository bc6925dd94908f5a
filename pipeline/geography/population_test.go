package geography

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// statbelHeader is the header of a Statbel TF_SOC_POP_STRUCT file.
const statbelHeader = "CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_DSTR_REFNIS|TX_ADM_DSTR_DESCR_NL|TX_ADM_DSTR_DESCR_FR|" +
	"CD_PROV_REFNIS|TX_PROV_DESCR_NL|TX_PROV_DESCR_FR|CD_RGN_REFNIS|TX_RGN_DESCR_NL|TX_RGN_DESCR_FR|" +
	"CD_SEX|CD_NATLTY|TX_NATLTY_NL|TX_NATLTY_FR|CD_CIV_STS|TX_CIV_STS_NL|TX_CIV_STS_FR|CD_AGE|MS_POPULATION\n"

// statbelRow is one line of a Statbel file; the descriptive columns do not
// matter to the reader.
func statbelRow(nis, sex, nationality string, age, population int) string {
	return fmt.Sprintf("%s|Gemeente|Commune|21000|Arr. Brussel|Arr. de Bruxelles||||04000|Brussels Hoofdstedelijk Gewest|Région de Bruxelles-Capitale|"+
		"%s|%s|Nat|Nat|1|Ongehuwd|Célibataire|%d|%d\n", nis, sex, nationality, age, population)
}

// The communes of the fixture with a plain age structure: every other
// commune than Bruxelles-Ville, Schaerbeek and Anderlecht.
var plainCommunes = []string{"21002", "21003", "21005", "21006", "21007", "21008", "21009", "21010",
	"21011", "21012", "21013", "21014", "21016", "21017", "21018", "21019"}

// writeStatbel writes the fixture's file for 2023 or 2024 in dir.
//
// 2023: Bruxelles-Ville F10 1,000, M20 2,000 + 500 (two nationalities),
// F64 1,500, M65 800, F90 200 = 6,000, of whom 4,000 aged 15-64 (2,500 men,
// 1,500 women; 3,300 men in all). Schaerbeek M14 300, F15 700, M40 2,000,
// F70 1,000 = 4,000 (2,700 aged 15-64). Anderlecht M30 3,000, F5 1,000 =
// 4,000 (3,000). The 16 others M0 10, F40 100, M80 1 = 111 (100).
//
// 2024: Bruxelles-Ville F10 1,100, M20 2,600, F64 1,700, M65 900, F90 200 =
// 6,500 (4,300). Schaerbeek M14 300, F15 800, M40 2,100, F70 1,000 = 4,200
// (2,900). Anderlecht M30 3,300, F5 1,000 = 4,300 (3,300). The others M0 10,
// F40 110, M80 2 = 122 (110).
//
// Antwerp (11002) is in both files and must be ignored.
func writeStatbel(t *testing.T, dir string, year int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(statbelHeader)
	switch year {
	case 2023:
		b.WriteString(statbelRow("21004", "F", "BEL", 10, 1000))
		b.WriteString(statbelRow("21004", "M", "BEL", 20, 2000))
		b.WriteString(statbelRow("21004", "M", "ETR", 20, 500))
		b.WriteString(statbelRow("21004", "F", "BEL", 64, 1500))
		b.WriteString(statbelRow("21004", "M", "BEL", 65, 800))
		b.WriteString(statbelRow("21004", "F", "ETR", 90, 200))
		b.WriteString(statbelRow("21015", "M", "BEL", 14, 300))
		b.WriteString(statbelRow("21015", "F", "BEL", 15, 700))
		b.WriteString(statbelRow("21015", "M", "BEL", 40, 2000))
		b.WriteString(statbelRow("21015", "F", "BEL", 70, 1000))
		b.WriteString(statbelRow("21001", "M", "BEL", 30, 3000))
		b.WriteString(statbelRow("21001", "F", "BEL", 5, 1000))
		for _, nis := range plainCommunes {
			b.WriteString(statbelRow(nis, "M", "BEL", 0, 10))
			b.WriteString(statbelRow(nis, "F", "BEL", 40, 100))
			b.WriteString(statbelRow(nis, "M", "BEL", 80, 1))
		}
	case 2024:
		b.WriteString(statbelRow("21004", "F", "BEL", 10, 1100))
		b.WriteString(statbelRow("21004", "M", "BEL", 20, 2600))
		b.WriteString(statbelRow("21004", "F", "BEL", 64, 1700))
		b.WriteString(statbelRow("21004", "M", "BEL", 65, 900))
		b.WriteString(statbelRow("21004", "F", "BEL", 90, 200))
		b.WriteString(statbelRow("21015", "M", "BEL", 14, 300))
		b.WriteString(statbelRow("21015", "F", "BEL", 15, 800))
		b.WriteString(statbelRow("21015", "M", "BEL", 40, 2100))
		b.WriteString(statbelRow("21015", "F", "BEL", 70, 1000))
		b.WriteString(statbelRow("21001", "M", "BEL", 30, 3300))
		b.WriteString(statbelRow("21001", "F", "BEL", 5, 1000))
		for _, nis := range plainCommunes {
			b.WriteString(statbelRow(nis, "M", "BEL", 0, 10))
			b.WriteString(statbelRow(nis, "F", "BEL", 40, 110))
			b.WriteString(statbelRow(nis, "M", "BEL", 80, 2))
		}
	default:
		t.Fatalf("no fixture for %d", year)
	}
	b.WriteString(statbelRow("11002", "M", "BEL", 30, 99999))
	path := filepath.Join(dir, fmt.Sprintf("TF_SOC_POP_STRUCT_%d.txt", year))
	writeFile(t, path, b.String())
	return path
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeSplitPopulation writes Bruxelles-Ville's areas as official figures of
// 1 January 2024 summing to the commune's 6,500: 1000 50 %, 1020 20 %,
// 1120 10 %, 1130 10 %, 1050 5 %, 1040 5 %.
func writeSplitPopulation(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "population-bxl.csv")
	writeFile(t, path, "postcode,population,reference_date,status\n"+
		"1000,3250,2024-01-01,official: sectors\n1020,1300,2024-01-01,official: sectors\n"+
		"1120,650,2024-01-01,official: sectors\n1130,650,2024-01-01,official: sectors\n"+
		"1050,325,2024-01-01,official: sectors\n1040,325,2024-01-01,official: sectors\n")
	return path
}

func loadFixture(t *testing.T) *Geography {
	t.Helper()
	dir := t.TempDir()
	g, err := Load(Files{Population: PathList{writeStatbel(t, dir, 2023), writeStatbel(t, dir, 2024)},
		SplitPopulation: writeSplitPopulation(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func jan1(year int) time.Time { return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC) }

var ages1564 = Ages{15, 64}

func TestPopulationByAgeAndYear(t *testing.T) {
	g := loadFixture(t)
	if d := g.pop.dates; len(d) != 2 || !d[0].Equal(jan1(2023)) || !d[1].Equal(jan1(2024)) {
		t.Fatalf("reference dates %v, want 1 January 2023 and 2024", d)
	}
	in2023, in2024 := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		level, code string
		start       time.Time
		ages        Ages
		want        int
		estimated   bool
	}{
		// 6,000 + 4,000 + 4,000 + 16 × 111.
		{"region 2023", LevelRegion, RegionCode, in2023, AllAges, 15776, false},
		// 4,000 + 2,700 + 3,000 + 16 × 100.
		{"region 2023 15-64", LevelRegion, RegionCode, in2023, ages1564, 11300, false},
		// 6,500 + 4,200 + 4,300 + 16 × 122.
		{"region 2024", LevelRegion, RegionCode, in2024, Ages{}, 16952, false},
		// 4,300 + 2,900 + 3,300 + 16 × 110.
		{"region 2024 15-64", LevelRegion, RegionCode, in2024, ages1564, 12260, false},
		{"Bruxelles-Ville 2024", LevelCommune, "21004", in2024, AllAges, 6500, false},
		{"Bruxelles-Ville 2024 15-64", LevelCommune, "21004", in2024, ages1564, 4300, false},
		{"Bruxelles-Ville 2023 15-64", LevelCommune, "21004", in2023, ages1564, 4000, false},
		{"Bruxelles-Ville 2023 65+", LevelCommune, "21004", in2023, Ages{65, 200}, 1000, false},
		{"Schaerbeek 2023 0-14", LevelCommune, "21015", in2023, Ages{0, 14}, 300, false},
		// Nord 2024, all ages: the areas' own figures, of the same date and
		// summing to the commune's: 1,300 + 650 + 650 + 4 communes × 122.
		{"Nord 2024", LevelBassin, "nord", in2024, AllAges, 3088, false},
		// 15-64: 40 % of Bruxelles-Ville's 4,300 + 4 × 110, prorated.
		{"Nord 2024 15-64", LevelBassin, "nord", in2024, ages1564, 2160, true},
		// 2023: 40 % of 6,000 + 4 × 111, prorated to another date.
		{"Nord 2023", LevelBassin, "nord", in2023, AllAges, 2844, true},
		{"Nord 2023 15-64", LevelBassin, "nord", in2023, ages1564, 2000, true},
		// Schaerbeek, Evere, Saint-Josse: whole communes.
		{"Nord-Est 2024", LevelBassin, "nord-est", in2024, AllAges, 4444, false},
		{"Nord-Est 2023 15-64", LevelBassin, "nord-est", in2023, ages1564, 2900, false},
		// Anderlecht 3,300 + Molenbeek 110 + 50 % of 4,300.
		{"Centre-Ouest 2024 15-64", LevelBassin, "centre-ouest", in2024, ages1564, 5560, true},
		// 5 communes × 110 + 5 % of 4,300 (1050, whose bassin is assumed).
		{"Sud 2024 15-64", LevelBassin, "sud", in2024, ages1564, 765, true},
		{"Sud-Est 2024 15-64", LevelBassin, "sud-est", in2024, ages1564, 440, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := g.PopulationAt(tt.level, tt.code, tt.start, tt.ages)
			if !ok {
				t.Fatal("no figure")
			}
			if f.Count != tt.want || f.Estimated != tt.estimated {
				t.Errorf("PopulationAt = %d, estimated %v; want %d, %v", f.Count, f.Estimated, tt.want, tt.estimated)
			}
			if want := jan1(tt.start.Year()); !f.Date.Equal(want) {
				t.Errorf("reference date %v, want %v", f.Date, want)
			}
		})
	}

	// The bassins and the area that has none (1040, 5 % of 6,500 = 325)
	// make up the region.
	var sum int
	for _, b := range g.Bassins {
		f, _ := g.PopulationAt(LevelBassin, b.Code, in2024, AllAges)
		sum += f.Count
	}
	if sum+325 != 16952 {
		t.Errorf("bassins sum to %d, want 16,952 - 325 for the area without a bassin", sum)
	}

	// The latest figures remain what Population gives.
	if pop, est := g.Population(LevelBassin, "nord"); pop != 3088 || est {
		t.Errorf("Population(nord) = %d, %v; want the 2024 figure 3,088, not estimated", pop, est)
	}
	if pop, _ := g.Population(LevelRegion, RegionCode); pop != 16952 || !g.PopulationDate().Equal(jan1(2024)) {
		t.Errorf("Population(region) = %d of %v, want 16,952 of 1 January 2024", pop, g.PopulationDate())
	}

	if _, ok := g.PopulationAt(LevelBassin, "nowhere", in2024, AllAges); ok {
		t.Errorf("an unknown bassin has no population")
	}
	if _, ok := g.PopulationAt(LevelCommune, "11002", in2024, AllAges); ok {
		t.Errorf("Antwerp is outside the region")
	}
	if _, ok := g.PopulationAt(LevelCommune, "21004", in2024, Ages{30, 20}); ok {
		t.Errorf("an empty age range has no figure")
	}
}

func TestPopulationBySex(t *testing.T) {
	g := loadFixture(t)
	in2023 := time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		sex  string
		ages Ages
		want int
	}{
		{SexMale, AllAges, 3300},  // 2,000 + 500 + 800
		{SexMale, ages1564, 2500}, // 2,000 + 500
		{SexFemale, ages1564, 1500},
		{SexFemale, AllAges, 2700}, // 1,000 + 1,500 + 200
	} {
		f, ok := g.PopulationOfSexAt(LevelCommune, "21004", tt.sex, in2023, tt.ages)
		if !ok || f.Count != tt.want {
			t.Errorf("%s %v: %d (%v), want %d", tt.sex, tt.ages, f.Count, ok, tt.want)
		}
	}
	if _, ok := g.PopulationOfSexAt(LevelCommune, "21004", "X", in2023, AllAges); ok {
		t.Errorf("X is not a sex of the Statbel files")
	}
}

func TestPopulationYearSelection(t *testing.T) {
	g := loadFixture(t)
	for _, tt := range []struct {
		start time.Time
		want  time.Time
		count int
	}{
		{time.Date(2021, 7, 1, 0, 0, 0, 0, time.UTC), jan1(2023), 15776},  // before the first: the earliest
		{jan1(2023), jan1(2023), 15776},                                   // on a reference date
		{time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), jan1(2023), 15776}, // between: the one before
		{jan1(2024), jan1(2024), 16952},
		{time.Date(2031, 5, 1, 0, 0, 0, 0, time.UTC), jan1(2024), 16952}, // after the last: the latest
	} {
		f, ok := g.PopulationAt(LevelRegion, RegionCode, tt.start, AllAges)
		if !ok || !f.Date.Equal(tt.want) || f.Count != tt.count {
			t.Errorf("start %v: %d of %v (%v), want %d of %v", tt.start, f.Count, f.Date, ok, tt.count, tt.want)
		}
	}
}

func TestDefaultPopulationHasTotalsOnly(t *testing.T) {
	g, err := Load(Files{})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := g.PopulationAt(LevelRegion, RegionCode, jan1(2025), AllAges)
	if !ok || f.Count != 1218255 || !f.Date.Equal(jan1(2020)) {
		t.Errorf("default region population %d of %v (%v), want 1,218,255 of 1 January 2020", f.Count, f.Date, ok)
	}
	for _, level := range []struct{ level, code string }{{LevelRegion, RegionCode}, {LevelBassin, "nord"}, {LevelCommune, "21004"}} {
		if _, ok := g.PopulationAt(level.level, level.code, jan1(2025), ages1564); ok {
			t.Errorf("%s %s: 15-64 needs an age structure, which the default lacks", level.level, level.code)
		}
	}
	if _, ok := g.PopulationOfSexAt(LevelRegion, RegionCode, SexMale, jan1(2025), AllAges); ok {
		t.Errorf("the default has no population by sex")
	}
}

func TestAgesOfAnOlderFileServeWhenTheNewestHasTotalsOnly(t *testing.T) {
	dir := t.TempDir()
	statbel := writeStatbel(t, dir, 2023)
	// A 2025 CSV of totals: 1,000 per commune.
	var b strings.Builder
	b.WriteString("nis,population,reference_date\n")
	for _, c := range []string{"21001", "21004", "21015"} {
		fmt.Fprintf(&b, "%s,1000,2025-01-01\n", c)
	}
	for _, c := range plainCommunes {
		fmt.Fprintf(&b, "%s,1000,2025-01-01\n", c)
	}
	totals := filepath.Join(dir, "totals.csv")
	writeFile(t, totals, b.String())
	g, err := Load(Files{Population: PathList{statbel, totals}})
	if err != nil {
		t.Fatal(err)
	}
	start := jan1(2026)
	if f, ok := g.PopulationAt(LevelRegion, RegionCode, start, AllAges); !ok || f.Count != 19000 || !f.Date.Equal(jan1(2025)) {
		t.Errorf("all ages: %d of %v, want 19 × 1,000 of 2025", f.Count, f.Date)
	}
	if f, ok := g.PopulationAt(LevelRegion, RegionCode, start, ages1564); !ok || f.Count != 11300 || !f.Date.Equal(jan1(2023)) {
		t.Errorf("15-64: %d of %v, want 11,300 of 2023, the latest with ages", f.Count, f.Date)
	}
}

func TestPopulationFilesByGlobAndDateColumn(t *testing.T) {
	dir := t.TempDir()
	writeStatbel(t, dir, 2023)
	writeStatbel(t, dir, 2024)
	g, err := Load(Files{Population: PathList{filepath.Join(dir, "TF_SOC_POP_STRUCT_*.txt")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.pop.dates) != 2 {
		t.Errorf("the glob gives dates %v, want 2023 and 2024", g.pop.dates)
	}
	if want := filepath.Join(dir, "TF_SOC_POP_STRUCT_2023.txt") + ", " + filepath.Join(dir, "TF_SOC_POP_STRUCT_2024.txt"); g.PopulationSource != want {
		t.Errorf("source %q, want %q", g.PopulationSource, want)
	}

	// A reference-date column wins over the name, which here has no year.
	data, err := os.ReadFile(filepath.Join(dir, "TF_SOC_POP_STRUCT_2023.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if i == 0 {
			b.WriteString(line + "|DT_REFDATE\n")
		} else {
			b.WriteString(line + "|01/01/2022\n")
		}
	}
	dated := filepath.Join(t.TempDir(), "statbel-export.txt")
	writeFile(t, dated, b.String())
	g, err = Load(Files{Population: PathList{dated}})
	if err != nil {
		t.Fatal(err)
	}
	if d := g.pop.dates; len(d) != 1 || !d[0].Equal(jan1(2022)) {
		t.Errorf("dates %v, want 1 January 2022 from DT_REFDATE", d)
	}
}

func TestPopulationFingerprintCoversAges(t *testing.T) {
	dir := t.TempDir()
	path := writeStatbel(t, dir, 2024)
	a, err := Load(Files{Population: PathList{path}})
	if err != nil {
		t.Fatal(err)
	}
	// Same totals, another age: Bruxelles-Ville's 1,700 women aged 64 become 66.
	data, _ := os.ReadFile(path)
	moved := strings.Replace(string(data), statbelRow("21004", "F", "BEL", 64, 1700), statbelRow("21004", "F", "BEL", 66, 1700), 1)
	if moved == string(data) {
		t.Fatal("fixture line not found")
	}
	other := filepath.Join(t.TempDir(), "TF_SOC_POP_STRUCT_2024.txt")
	writeFile(t, other, moved)
	b, err := Load(Files{Population: PathList{other}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Areas {
		if a.Areas[i].Population != b.Areas[i].Population {
			t.Fatalf("area %s: totals differ", a.Areas[i].Key)
		}
	}
	if a.PopulationFingerprint() == b.PopulationFingerprint() {
		t.Errorf("the fingerprint must change with the age structure")
	}
	again, _ := Load(Files{Population: PathList{path}})
	if a.PopulationFingerprint() != again.PopulationFingerprint() {
		t.Errorf("the same files must give the same fingerprint")
	}
}

func TestBadPopulationFiles(t *testing.T) {
	dir := t.TempDir()
	good2024 := writeStatbel(t, dir, 2024)
	write := func(name, content string) string {
		path := filepath.Join(t.TempDir(), name)
		writeFile(t, path, content)
		return path
	}
	noAge := write("TF_SOC_POP_STRUCT_2024.txt", "CD_REFNIS|CD_SEX|MS_POPULATION\n21004|M|100\n")
	notNumber := write("TF_SOC_POP_STRUCT_2024.txt", statbelHeader+statbelRow("21004", "M", "BEL", 20, 10)+statbelRow("21004", "F", "BEL", 20, 10)+
		strings.Replace(statbelRow("21004", "F", "BEL", 21, 0), "|21|0\n", "|21|douze\n", 1))
	badAge := write("TF_SOC_POP_STRUCT_2024.txt", statbelHeader+strings.Replace(statbelRow("21004", "F", "BEL", 21, 5), "|21|5\n", "|vingt|5\n", 1))
	badSex := write("TF_SOC_POP_STRUCT_2024.txt", statbelHeader+statbelRow("21004", "Z", "BEL", 21, 5))
	noYear := write("population.txt", statbelHeader+statbelRow("21004", "F", "BEL", 21, 5))
	missing := write("TF_SOC_POP_STRUCT_2024.txt", statbelHeader+statbelRow("21004", "F", "BEL", 21, 5))

	for _, tt := range []struct {
		name  string
		files PathList
		want  string
	}{
		{"missing column", PathList{noAge}, noAge + `: line 1: missing column "CD_AGE"`},
		{"not a number", PathList{notNumber}, notNumber + ": line 4: field MS_POPULATION: not a whole number"},
		{"bad age", PathList{badAge}, badAge + ": line 2: field CD_AGE"},
		{"bad sex", PathList{badSex}, badSex + ": line 2: field CD_SEX"},
		{"no year", PathList{noYear}, noYear + ": the Statbel file has no DT_REFDATE or CD_YEAR column and its name carries no year"},
		{"commune missing", PathList{missing}, missing + ": no population for commune 21001 (Anderlecht) on 2024-01-01"},
		{"same year twice", PathList{good2024, writeStatbel(t, t.TempDir(), 2024)}, "on 2024-01-01 is given by TF_SOC_POP_STRUCT_2024.txt too"},
		{"glob matching nothing", PathList{filepath.Join(dir, "TF_SOC_POP_STRUCT_19*.txt")}, "TF_SOC_POP_STRUCT_19*.txt: no file matches"},
		{"no such file", PathList{filepath.Join(dir, "absent.txt")}, "absent.txt: no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Files{Population: tt.files})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			for _, raw := range []string{"douze", "vingt", `"Z"`} {
				if strings.Contains(err.Error(), raw) {
					t.Errorf("the error repeats the raw value %s", raw)
				}
			}
		})
	}
}

func TestFilesEqual(t *testing.T) {
	a := Files{Split: "split.csv", Population: PathList{"2023.txt", "2024.txt"}}
	if !a.Equal(Files{Split: "split.csv", Population: PathList{"2023.txt", "2024.txt"}}) {
		t.Errorf("the same files must be equal")
	}
	if a.Equal(Files{Split: "split.csv", Population: PathList{"2023.txt"}}) || a.Equal(Files{Population: a.Population}) {
		t.Errorf("other files must differ")
	}
}
