package dashboards

import (
	"strings"
	"testing"

	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources"
)

func TestReasonsAreToldInFrenchAndDutchWithoutTheValue(t *testing.T) {
	tests := []struct {
		line   int
		reason warehouse.Reason
		fr, nl string
	}{
		{4, warehouse.Reason{Field: "contact_date", Column: "Date", Code: "date_invalid", Value: "31/02/2025"},
			"Ligne 4, champ contact_date (colonne « Date ») : cette date n'existe pas",
			"Regel 4, veld contact_date (kolom „Date”): deze datum bestaat niet"},
		{4, warehouse.Reason{Field: "contact_date", Column: "Date", Code: "date", Value: "mars", Detail: "dd/mm/yyyy"},
			"Ligne 4, champ contact_date (colonne « Date ») : pas une date au format dd/mm/yyyy",
			"Regel 4, veld contact_date (kolom „Date”): geen datum in het formaat dd/mm/yyyy"},
		{2, warehouse.Reason{Field: "person_key", Column: "id", Code: "required"},
			"Ligne 2, champ person_key (colonne « id ») : valeur obligatoire absente",
			"Regel 2, veld person_key (kolom „id”): verplichte waarde ontbreekt"},
		{1, warehouse.Reason{Column: "Code postal", Code: "column"},
			"Ligne 1, colonne « Code postal » : colonne absente de l'en-tête",
			"Regel 1, kolom „Code postal”: kolom ontbreekt in de kopregel"},
		{3, warehouse.Reason{Field: "nis", Code: "outside", Value: "23000"},
			"Ligne 3, champ nis : hors de la Région de Bruxelles-Capitale",
			"Regel 3, veld nis: buiten het Brussels Hoofdstedelijk Gewest"},
		{9, warehouse.Reason{Code: "cells", Detail: "3 cells, header 7"},
			"Ligne 9 : nombre de cellules différent de l'en-tête (3 cells, header 7)",
			"Regel 9: aantal cellen verschilt van de kopregel (3 cells, header 7)"},
		{5, warehouse.Reason{Field: "record_id", Column: "id", Code: "duplicate_id", Detail: "6"},
			"Ligne 5, champ record_id (colonne « id ») : même identifiant avec un autre contenu qu'à la ligne 6",
			"Regel 5, veld record_id (kolom „id”): zelfde id met andere inhoud dan op regel 6"},
	}
	for _, tt := range tests {
		if got := reasonText(tt.line, tt.reason, "fr"); got != tt.fr {
			t.Errorf("fr: %q\nwant %q", got, tt.fr)
		}
		if got := reasonText(tt.line, tt.reason, "nl"); got != tt.nl {
			t.Errorf("nl: %q\nwant %q", got, tt.nl)
		}
	}
}

func TestEveryReasonHasAText(t *testing.T) {
	codes := []string{sources.ProblemRequired, sources.ProblemDate, sources.ProblemDateInvalid, sources.ProblemDateFuture,
		sources.ProblemDateEarly, sources.ProblemTime, sources.ProblemInteger, sources.ProblemNegative, sources.ProblemRange,
		sources.ProblemAge, sources.ProblemNumber, sources.ProblemBoolean, sources.ProblemPostcode, sources.ProblemOutside,
		sources.ProblemNIS, sources.ProblemUnmapped, sources.ProblemValue, sources.ProblemList, sources.ProblemCells,
		sources.ProblemEncoding, sources.ProblemFieldTooLong, sources.ProblemLineTooLong, sources.ProblemDuplicateID,
		sources.ProblemColumn, sources.ProblemEmpty, sources.ProblemSyntax, sources.ProblemSheet}
	for _, c := range codes {
		for _, lang := range []string{"fr", "nl"} {
			if got := reasonText(1, warehouse.Reason{Code: c, Detail: "x"}, lang); strings.HasSuffix(got, ": "+c) || strings.HasSuffix(got, " : "+c) {
				t.Errorf("reason %s has no %s text: %q", c, lang, got)
			}
		}
	}
}
