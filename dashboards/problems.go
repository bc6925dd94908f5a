package dashboards

import (
	"fmt"
	"strings"

	"github.com/brusano/bassins/pipeline/locale"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources"
)

// reasonTexts word each reason a row is quarantined in French and Dutch; %[1]s
// is the detail (expected format, limit, byte offset, other lines). They never
// quote the delivered value: raw values stay in the quarantine.
var reasonTexts = map[string][2]string{
	sources.ProblemRequired:     {"valeur obligatoire absente", "verplichte waarde ontbreekt"},
	sources.ProblemDate:         {"pas une date au format %[1]s", "geen datum in het formaat %[1]s"},
	sources.ProblemDateInvalid:  {"cette date n'existe pas", "deze datum bestaat niet"},
	sources.ProblemDateFuture:   {"date postérieure au jour de livraison (%[1]s)", "datum na de leveringsdag (%[1]s)"},
	sources.ProblemDateEarly:    {"date antérieure au début de la source (%[1]s)", "datum vóór het begin van de bron (%[1]s)"},
	sources.ProblemTime:         {"pas une heure (HH:MM)", "geen tijdstip (UU:MM)"},
	sources.ProblemInteger:      {"pas un nombre entier", "geen geheel getal"},
	sources.ProblemNegative:     {"nombre négatif là où un compte est attendu", "negatief getal waar een telling verwacht wordt"},
	sources.ProblemRange:        {"hors de l'intervalle admis (%[1]s)", "buiten het toegelaten bereik (%[1]s)"},
	sources.ProblemAge:          {"pas un âge en années", "geen leeftijd in jaren"},
	sources.ProblemNumber:       {"pas un nombre", "geen getal"},
	sources.ProblemBoolean:      {"ni oui ni non (1/0, oui/non)", "geen ja of nee (1/0, ja/nee)"},
	sources.ProblemPostcode:     {"pas un code postal belge (4 chiffres)", "geen Belgische postcode (4 cijfers)"},
	sources.ProblemOutside:      {"hors de la Région de Bruxelles-Capitale", "buiten het Brussels Hoofdstedelijk Gewest"},
	sources.ProblemNIS:          {"pas un code INS (5 chiffres)", "geen NIS-code (5 cijfers)"},
	sources.ProblemUnmapped:     {"valeur absente de la table de correspondance", "waarde ontbreekt in de conversietabel"},
	sources.ProblemValue:        {"valeur non admise (%[1]s)", "waarde niet toegelaten (%[1]s)"},
	sources.ProblemList:         {"une liste là où une seule valeur est attendue", "een lijst waar één waarde verwacht wordt"},
	sources.ProblemCells:        {"nombre de cellules différent de l'en-tête (%[1]s)", "aantal cellen verschilt van de kopregel (%[1]s)"},
	sources.ProblemEncoding:     {"texte invalide dans l'encodage déclaré (octet %[1]s)", "ongeldige tekst in de opgegeven codering (byte %[1]s)"},
	sources.ProblemFieldTooLong: {"valeur de plus de %[1]s octets", "waarde langer dan %[1]s bytes"},
	sources.ProblemLineTooLong:  {"ligne de plus de %[1]s octets", "regel langer dan %[1]s bytes"},
	sources.ProblemDuplicateID:  {"même identifiant avec un autre contenu qu'à la ligne %[1]s", "zelfde id met andere inhoud dan op regel %[1]s"},
	sources.ProblemColumn:       {"colonne absente de l'en-tête", "kolom ontbreekt in de kopregel"},
	sources.ProblemEmpty:        {"fichier vide : une ligne d'en-tête est attendue", "leeg bestand: een kopregel wordt verwacht"},
	sources.ProblemSyntax:       {"erreur de syntaxe", "syntaxfout"},
	sources.ProblemSheet:        {"classeur ou feuille illisible tel que déclaré", "werkmap of werkblad onleesbaar zoals opgegeven"},
}

// reasonText says in the reader's language why a row was set aside, naming
// the line, the field and its column, never the value.
func reasonText(line int, r warehouse.Reason, lang string) string {
	what := r.Code
	if texts, ok := reasonTexts[r.Code]; ok {
		what = texts[locale.New(lang, nil).Index()]
		if strings.Contains(what, "%[1]s") {
			what = fmt.Sprintf(what, r.Detail)
		}
	}
	where := fmt.Sprintf(pick(lang, "Ligne %d", "Regel %d"), line)
	switch {
	case r.Field != "" && r.Column != "" && r.Column != r.Field:
		where += fmt.Sprintf(pick(lang, ", champ %s (colonne « %s »)", ", veld %s (kolom „%s”)"), r.Field, r.Column)
	case r.Field != "":
		where += fmt.Sprintf(pick(lang, ", champ %s", ", veld %s"), r.Field)
	case r.Column != "":
		where += fmt.Sprintf(pick(lang, ", colonne « %s »", ", kolom „%s”"), r.Column)
	}
	return where + pick(lang, " : ", ": ") + what
}
