package compute_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
)

// The treatment demands of the fixture (TDI 3.0), counted by hand below.
// Postcodes: 1080 Molenbeek (Centre-Ouest), 1030 Schaerbeek and 1210
// Saint-Josse (Nord-Est).
//
//	#  date        centre      treated     sex age postcode referral      living       nationality drug            injecting       substitution person
//	1  10/01/2025  outpatient  never       M   30  1080     gp            stable       belgian     alcohol         never           never        P1
//	2  20/01/2025  inpatient   previously  F   22  1080     self          unstable     non_eu      cocaine_powder  last_30_days    never        P2
//	3  05/02/2025  outpatient  previously  M   45  1030     court_police  stable       other_eu    heroin          last_30_days    current      P3
//	4  15/02/2025  prison      never       M   35  1030     court_police  institution  belgian     crack           last_12_months  never        P4
//	5  01/03/2025  outpatient  previously  F   -   1210     gp            unknown      unknown     alcohol         unknown         never        P1
//	6  10/04/2025  outpatient  never       M   19  1080     family_friends unstable    belgian     ghb             never           never        P5
//	7  20/04/2025  inpatient   previously  M   50  1030     gp            stable       belgian     alcohol         never           never        P3
//	8  05/05/2025  outpatient  never       F   28  1210     hospital      unstable     non_eu      other_hypnotics never           never        P6
const tdi2025 = "date_demande;date_debut_traitement;type_centre;deja_traite;sexe;age;code_postal;source_orientation;vit_avec;vit_avec_enfants;logement;nationalite;statut_emploi;niveau_etudes;produit_principal;produits_secondaires;voie;frequence;age_premiere_consommation;age_premiere_injection;injection;tso;id_personne\n" +
	"10/01/2025;;outpatient;never;M;30;1080;gp;;;stable;belgian;;;alcohol;;;;;;never;never;P1\n" +
	"20/01/2025;;inpatient;previously;F;22;1080;self;;;unstable;non_eu;;;cocaine_powder;;;;;;last_30_days;never;P2\n" +
	"05/02/2025;;outpatient;previously;M;45;1030;court_police;;;stable;other_eu;;;heroin;;;;;;last_30_days;current;P3\n" +
	"15/02/2025;;prison;never;M;35;1030;court_police;;;institution;belgian;;;crack;;;;;;last_12_months;never;P4\n" +
	"01/03/2025;;outpatient;previously;F;;1210;gp;;;unknown;unknown;;;alcohol;;;;;;unknown;never;P1\n" +
	"10/04/2025;;outpatient;never;M;19;1080;family_friends;;;unstable;belgian;;;ghb;;;;;;never;never;P5\n" +
	"20/04/2025;;inpatient;previously;M;50;1030;gp;;;stable;belgian;;;alcohol;;;;;;never;never;P3\n" +
	"05/05/2025;;outpatient;never;F;28;1210;hospital;;;unstable;non_eu;;;other_hypnotics;;;;;;never;never;P6\n"

// communesNIS are the 19 communes of the Region.
var communesNIS = []string{"21001", "21002", "21003", "21004", "21005", "21006", "21007", "21008", "21009", "21010",
	"21011", "21012", "21013", "21014", "21015", "21016", "21017", "21018", "21019"}

// statbel2025 writes a Statbel population file of 1 January 2025 where
// every commune has 300 inhabitants aged 10, 1,000 aged 20 and 500 aged 70:
// 1,000 of 15 to 64 years each, 19,000 in the Region, 3,000 in Nord-Est
// (Evere, Saint-Josse, Schaerbeek).
func statbel2025(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("CD_REFNIS|CD_SEX|CD_AGE|MS_POPULATION\n")
	for _, nis := range communesNIS {
		b.WriteString(nis + "|M|10|300\n" + nis + "|F|20|1000\n" + nis + "|M|70|500\n")
	}
	path := filepath.Join(t.TempDir(), "TF_SOC_POP_STRUCT_2025.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTreatmentDemandIndicatorsOnAHandCountedFixture(t *testing.T) {
	files := []struct {
		name, body string
		latin1     bool
	}{{"tdi/tdi-2025.csv", tdi2025, false}}
	got := computeFiles(t, time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC), geography.Files{Population: geography.PathList{statbel2025(t)}}, files, 1)
	rc := geography.RegionCode
	tests := []want{
		{k: cellKey{"treatment_demands", "quarter", "2025-Q1", R, rc, "", ""}, value: 5, num: 5},
		{k: cellKey{"treatment_demands", "quarter", "2025-Q2", R, rc, "", ""}, value: 3, num: 3, incomplete: true},
		{k: cellKey{"treatment_demands", "quarter", "2025-Q1", B, "nord-est", "", ""}, value: 3, num: 3},
		{k: cellKey{"treatment_demands", "quarter", "2025-Q1", B, "centre-ouest", "", ""}, value: 2, num: 2},
		{k: cellKey{"treatment_demands", "quarter", "2025-Q1", R, rc, "referral_source", "court_police"}, value: 2, num: 2},
		{k: cellKey{"treatment_demands", "quarter", "2025-Q1", R, rc, "referral_source", "hospital"}, value: 0, num: 0},
		// One per person and year: P1 and P3 have two demands each.
		{k: cellKey{"treatment_entrants", "year", "2025", R, rc, "", ""}, value: 6, num: 6, incomplete: true},
		{k: cellKey{"treatment_entrants", "year", "2025", B, "nord-est", "", ""}, value: 4, num: 4, incomplete: true},
		{k: cellKey{"treatment_entrants", "year", "2025", B, "centre-ouest", "", ""}, value: 3, num: 3, incomplete: true},
		{k: cellKey{"treatment_entrants", "year", "2025", R, rc, "primary_drug", "alcohol"}, value: 2, num: 2, incomplete: true},
		{k: cellKey{"first_treatments", "quarter", "2025-Q1", R, rc, "", ""}, value: 2, num: 2},
		{k: cellKey{"first_treatments", "quarter", "2025-Q2", R, rc, "", ""}, value: 2, num: 2, incomplete: true},
		{k: cellKey{"primary_drug_share", "quarter", "2025-Q1", R, rc, "primary_drug", "alcohol"}, value: 40, num: 2, den: 5},
		{k: cellKey{"primary_drug_share", "quarter", "2025-Q1", R, rc, "primary_drug", "crack"}, value: 20, num: 1, den: 5},
		{k: cellKey{"primary_drug_share", "quarter", "2025-Q1", R, rc, "", ""}, absent: true},
		{k: cellKey{"demands_injecting_known", "quarter", "2025-Q1", R, rc, "", ""}, value: 4, num: 4},
		{k: cellKey{"injecting_share", "quarter", "2025-Q1", R, rc, "", ""}, value: 50, num: 2, den: 4},
		// The median of 22, 30, 35, 45 (row 5 has no age); of 19, 28, 50;
		// of the seven ages of the year.
		{k: cellKey{"median_age", "quarter", "2025-Q1", R, rc, "", ""}, value: 32.5, num: 4},
		{k: cellKey{"median_age", "quarter", "2025-Q2", R, rc, "", ""}, value: 28, num: 3, incomplete: true},
		{k: cellKey{"median_age", "year", "2025", R, rc, "", ""}, value: 30, num: 7, incomplete: true},
		{k: cellKey{"median_age", "quarter", "2025-Q1", B, "nord-est", "", ""}, value: 40, num: 2},
		{k: cellKey{"median_age", "quarter", "2025-Q1", B, "nord", "", ""}, absent: true},
		{k: cellKey{"demands_under_25", "year", "2025", R, rc, "", ""}, value: 2, num: 2, incomplete: true},
		{k: cellKey{"demands_new_products", "year", "2025", R, rc, "", ""}, value: 2, num: 2, incomplete: true},
		{k: cellKey{"alcohol_demands", "quarter", "2025-Q1", R, rc, "centre_type", "outpatient"}, value: 2, num: 2},
		{k: cellKey{"alcohol_demands", "month", "2025-04", B, "nord-est", "", ""}, value: 1, num: 1},
		{k: cellKey{"prison_demands", "quarter", "2025-Q1", R, rc, "", ""}, value: 1, num: 1},
		{k: cellKey{"justice_referrals", "quarter", "2025-Q1", B, "nord-est", "", ""}, value: 2, num: 2},
		{k: cellKey{"gp_referrals", "quarter", "2025-Q1", R, rc, "", ""}, value: 2, num: 2},
		{k: cellKey{"opioid_substitution_current", "quarter", "2025-Q1", R, rc, "", ""}, value: 1, num: 1},
		{k: cellKey{"no_fixed_address_share", "quarter", "2025-Q1", R, rc, "", ""}, value: 25, num: 1, den: 4},
		{k: cellKey{"non_belgian_share", "year", "2025", R, rc, "", ""}, value: 300.0 / 7, num: 3, den: 7, incomplete: true},
		// Rates per 10,000 inhabitants of 15 to 64: the numerator adds up
		// over quarters, the population of the year does not.
		{k: cellKey{"demands_per_10k_15_64", "quarter", "2025-Q1", B, "nord-est", "", ""}, value: 10, num: 3, den: 3000},
		{k: cellKey{"demands_per_10k_15_64", "quarter", "2025-Q2", B, "nord-est", "", ""}, value: 2.0 / 3000 * 10000, num: 2, den: 3000, incomplete: true},
		{k: cellKey{"demands_per_10k_15_64", "year", "2025", B, "nord-est", "", ""}, value: 5.0 / 3000 * 10000, num: 5, den: 3000, incomplete: true},
		{k: cellKey{"demands_per_10k_15_64", "quarter", "2025-Q1", R, rc, "", ""}, value: 5.0 / 19000 * 10000, num: 5, den: 19000},
		{k: cellKey{"demands_per_10k_15_64", "quarter", "2025-Q1", C, "21015", "", ""}, value: 20, num: 2, den: 1000},
		{k: cellKey{"entrants_per_10k_15_64", "year", "2025", R, rc, "", ""}, value: 6.0 / 19000 * 10000, num: 6, den: 19000, incomplete: true},
	}
	checkValues(t, got, tests)
	pop := got[cellKey{"demands_per_10k_15_64", "quarter", "2025-Q1", B, "nord-est", "", ""}]
	if want := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); !pop.PopulationDate.Equal(want) {
		t.Errorf("population date %v, want %v", pop.PopulationDate, want)
	}

	// Intervals, against values written by hand: Garwood's exact Poisson
	// bounds for 3 events are 0.6187 and 8.7673 (per 3,000 inhabitants,
	// ×10,000); Wilson's interval for 2 of 4 is 15.00 % to 85.00 %.
	cat, err := catalogue.Load(catalogue.Default())
	if err != nil {
		t.Fatal(err)
	}
	interval := func(id string, v indicators.Value) (float64, float64) {
		ind, _ := cat.Lookup(id)
		lo, hi, ok := indicators.Interval(ind, v)
		if !ok {
			t.Fatalf("%s has no interval", id)
		}
		return lo, hi
	}
	if lo, hi := interval("demands_per_10k_15_64", pop); math.Abs(lo-0.6187*10000/3000) > 0.002 || math.Abs(hi-8.7673*10000/3000) > 0.002 {
		t.Errorf("rate interval [%v, %v], want [2.062, 29.224]", lo, hi)
	}
	share := got[cellKey{"injecting_share", "quarter", "2025-Q1", R, rc, "", ""}]
	if lo, hi := interval("injecting_share", share); math.Abs(lo-15.00) > 0.01 || math.Abs(hi-85.00) > 0.01 {
		t.Errorf("share interval [%v, %v], want [15.00, 85.00]", lo, hi)
	}
}
