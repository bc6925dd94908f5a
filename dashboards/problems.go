package dashboards

import (
	"fmt"

	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources"
)

// problemTexts words each problem of a rejected file in French and Dutch;
// %[1]s is the value read, %[2]s the detail (expected format, parser words).
var problemTexts = map[string][2]string{
	sources.ProblemRequired: {"valeur obligatoire absente", "verplichte waarde ontbreekt"},
	sources.ProblemDate:     {"« %[1]s » n'est pas une date au format %[2]s", "„%[1]s” is geen datum in het formaat %[2]s"},
	sources.ProblemTime:     {"« %[1]s » n'est pas une heure (HH:MM)", "„%[1]s” is geen tijdstip (UU:MM)"},
	sources.ProblemInteger:  {"« %[1]s » n'est pas un nombre entier positif ou nul", "„%[1]s” is geen geheel getal van 0 of meer"},
	sources.ProblemAge:      {"« %[1]s » n'est pas un âge en années", "„%[1]s” is geen leeftijd in jaren"},
	sources.ProblemNumber:   {"« %[1]s » n'est pas un nombre", "„%[1]s” is geen getal"},
	sources.ProblemBoolean:  {"« %[1]s » n'est ni oui ni non (1/0, oui/non)", "„%[1]s” is geen ja of nee (1/0, ja/nee)"},
	sources.ProblemPostcode: {"« %[1]s » n'est pas un code postal belge (4 chiffres)", "„%[1]s” is geen Belgische postcode (4 cijfers)"},
	sources.ProblemNIS:      {"« %[1]s » n'est pas un code INS (5 chiffres)", "„%[1]s” is geen NIS-code (5 cijfers)"},
	sources.ProblemCommune:  {"« %[1]s » n'est pas une commune de la Région", "„%[1]s” is geen gemeente van het Gewest"},
	sources.ProblemList:     {"une liste là où une seule valeur est attendue", "een lijst waar één waarde verwacht wordt"},
	sources.ProblemColumn:   {"colonne « %[1]s » absente de l'en-tête", "kolom „%[1]s” ontbreekt in de kopregel"},
	sources.ProblemEmpty:    {"fichier vide : une ligne d'en-tête est attendue", "leeg bestand: een kopregel wordt verwacht"},
	sources.ProblemSyntax:   {"erreur de syntaxe : %[2]s", "syntaxfout: %[2]s"},
}

// problemText says in the reader's language what rejected a file, naming the
// line, the field and its column; ok is false for a problem without a code
// (the stored message is shown then).
func problemText(p warehouse.Problem, lang string) (string, bool) {
	texts, ok := problemTexts[p.Code]
	if !ok {
		return "", false
	}
	i := langIndex(lang)
	what := texts[i]
	if p.Code != sources.ProblemRequired && p.Code != sources.ProblemList && p.Code != sources.ProblemEmpty {
		what = fmt.Sprintf(what, p.Value, p.Detail)
	}
	where := fmt.Sprintf(pick(lang, "Ligne %d", "Regel %d"), p.Line)
	switch {
	case p.Field != "" && p.Column != "" && p.Column != p.Field:
		where += fmt.Sprintf(pick(lang, ", champ %s (colonne « %s »)", ", veld %s (kolom „%s”)"), p.Field, p.Column)
	case p.Field != "":
		where += fmt.Sprintf(pick(lang, ", champ %s", ", veld %s"), p.Field)
	case p.Column != "" && p.Code != sources.ProblemColumn:
		where += fmt.Sprintf(pick(lang, ", colonne « %s »", ", kolom „%s”"), p.Column)
	}
	return where + pick(lang, " : ", ": ") + what, true
}
