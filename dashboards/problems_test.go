package dashboards

import (
	"testing"

	"github.com/brusano/bassins/pipeline/warehouse"
)

func TestProblemsAreToldInFrenchAndDutch(t *testing.T) {
	tests := []struct {
		problem warehouse.Problem
		fr, nl  string
	}{
		{warehouse.Problem{Line: 4, Field: "contact_date", Column: "Date", Code: "date", Value: "31/02/2025", Detail: "dd/mm/yyyy"},
			"Ligne 4, champ contact_date (colonne « Date ») : « 31/02/2025 » n'est pas une date au format dd/mm/yyyy",
			"Regel 4, veld contact_date (kolom „Date”): „31/02/2025” is geen datum in het formaat dd/mm/yyyy"},
		{warehouse.Problem{Line: 2, Field: "person_key", Column: "id", Code: "required"},
			"Ligne 2, champ person_key (colonne « id ») : valeur obligatoire absente",
			"Regel 2, veld person_key (kolom „id”): verplichte waarde ontbreekt"},
		{warehouse.Problem{Line: 1, Column: "Code postal", Code: "column", Value: "Code postal", Detail: "a;b"},
			"Ligne 1 : colonne « Code postal » absente de l'en-tête",
			"Regel 1: kolom „Code postal” ontbreekt in de kopregel"},
		{warehouse.Problem{Line: 3, Field: "nis", Code: "commune", Value: "23000"},
			"Ligne 3, champ nis : « 23000 » n'est pas une commune de la Région",
			"Regel 3, veld nis: „23000” is geen gemeente van het Gewest"},
		{warehouse.Problem{Line: 3, Column: "poles", Code: "syntax", Detail: "list item 1 is not a string"},
			"Ligne 3, colonne « poles » : erreur de syntaxe : list item 1 is not a string",
			"Regel 3, kolom „poles”: syntaxfout: list item 1 is not a string"},
	}
	for _, tt := range tests {
		if got, ok := problemText(tt.problem, "fr"); !ok || got != tt.fr {
			t.Errorf("fr: %q\nwant %q", got, tt.fr)
		}
		if got, ok := problemText(tt.problem, "nl"); !ok || got != tt.nl {
			t.Errorf("nl: %q\nwant %q", got, tt.nl)
		}
	}
	if _, ok := problemText(warehouse.Problem{}, "fr"); ok {
		t.Error("a load without a problem code has no problem text")
	}
}
