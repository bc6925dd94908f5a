package locale

import (
	"strings"
	"time"
	"unicode/utf8"
)

// statuses translates the statuses of job runs and file loads.
var statuses = map[string][2]string{
	"running":   {"en cours", "bezig"},
	"ok":        {"réussi", "geslaagd"},
	"failed":    {"échec", "mislukt"},
	"loaded":    {"chargé", "geladen"},
	"rejected":  {"rejeté", "geweigerd"},
	"replaced":  {"remplacé", "vervangen"},
	"retracted": {"retiré", "ingetrokken"},
	// Job runs stopped through their context, and runs left running by a
	// process that died.
	"cancelled":   {"annulé", "geannuleerd"},
	"interrupted": {"interrompu", "onderbroken"},
}

// Status translates the status of a job run or a file load ("ok", "failed",
// "running", "cancelled", "interrupted", "loaded", ...); an unknown status is
// returned as given.
func (l Locale) Status(status string) string {
	if t, ok := statuses[status]; ok {
		return t[l.Index()]
	}
	return status
}

// Job names one of the product's scheduled jobs: "Tâche" / "Taak".
func (l Locale) Job() string { return l.Pick("Tâche", "Taak") }

// Jobs names the product's scheduled jobs: "Tâches" / "Taken".
func (l Locale) Jobs() string { return l.Pick("Tâches", "Taken") }

// NoJobs says that no job ran yet.
func (l Locale) NoJobs() string {
	return l.Pick("Aucune tâche enregistrée.", "Geen taken geregistreerd.")
}

// DataOf introduces figures by the instant they were computed: "Données du
// 12 mars 2024 à 14:05" / "Gegevens van 12 maart 2024 om 14:05".
func (l Locale) DataOf(t time.Time) string {
	return l.Pick("Données du ", "Gegevens van ") + l.DateTime(t)
}

// NoValueNote explains the NoValue sign: "« — » : pas de valeur pour ce
// mois." / "„—”: geen waarde voor deze maand.".
func (l Locale) NoValueNote() string {
	return l.Pick("« "+NoValue+" » : pas de valeur pour ce mois.", "„"+NoValue+"”: geen waarde voor deze maand.")
}

// Withheld is shown for a value withheld to protect a small one: "n.p."
// (non publié) / "n.g." (niet gepubliceerd).
func (l Locale) Withheld() string { return l.Pick("n.p.", "n.g.") }

// And joins the last two items of a list: "et" / "en".
func (l Locale) And() string { return l.Pick("et", "en") }

// List writes "a, b et c" / "a, b en c".
func (l Locale) List(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + l.And() + " " + items[len(items)-1]
}

// of returns "de word", or "d'word" before a vowel (French).
func of(word string) string {
	if r, _ := utf8.DecodeRuneInString(word); strings.ContainsRune("aeiouyàâéèêëîïôöûüAEIOUYÉÈ", r) {
		return "d'" + word
	}
	return "de " + word
}

// Interval writes a confidence interval with decimals: "5,2 – 6,4".
func (l Locale) Interval(lo, hi float64, decimals int) string {
	return l.Number(lo, decimals) + " – " + l.Number(hi, decimals)
}

// Incomplete marks a value whose period lacks deliveries or is not over:
// "incomplet" / "onvolledig".
func (l Locale) Incomplete() string { return l.Pick("incomplet", "onvolledig") }

// PopulationOf gives the reference date of a rate's population:
// "population au 1er janvier 2024" / "bevolking op 1 januari 2024".
func (l Locale) PopulationOf(d time.Time) string {
	return l.Pick("population au ", "bevolking op ") + l.Date(d)
}

// Spacing is the space French writes before a colon or a semicolon and
// inside guillemets in the sentences below: the dashboards' pages bind it
// with a no-break space, the reports write a plain one. Dutch writes none.
type Spacing string

// The two spacings of French punctuation.
const (
	NoBreak Spacing = "\u00a0"
	Plain   Spacing = " "
)

// OutdatedPopulation warns that rates of month rest on a population counted
// at date, more than two years before: "Attention : pour mars 2025, des
// taux reposent sur une population au 1er janvier 2022, …".
func (l Locale) OutdatedPopulation(month, date time.Time, sp Spacing) string {
	if l.Lang() == Dutch {
		return "Opgelet: voor " + l.Month(month) + " steunen cijfers op de bevolking op " + l.Date(date) +
			", meer dan twee jaar vóór die maand; de bevolking kan sindsdien veranderd zijn."
	}
	s := string(sp)
	return "Attention" + s + ": pour " + l.Month(month) + ", des taux reposent sur une population au " + l.Date(date) +
		", plus de deux ans avant ce mois" + s + "; la population a pu changer depuis."
}

// DiffersMark explains the ◆ mark beside a value: "L'intervalle du bassin
// exclut la valeur de la Région".
func (l Locale) DiffersMark() string {
	return l.Pick("L'intervalle du bassin exclut la valeur de la Région", "Het interval van de zorgzone sluit de waarde van het Gewest uit")
}

// DiffersNote explains the ◆ mark in a note: "◆ : l'intervalle de confiance
// à 95 % de la valeur du bassin exclut la valeur de la Région ; …".
func (l Locale) DiffersNote(sp Spacing) string {
	if l.Lang() == Dutch {
		return "◆: het 95%-betrouwbaarheidsinterval van de waarde van de zorgzone sluit de waarde van het Gewest uit; het verschil is waarschijnlijk niet louter toeval."
	}
	s := string(sp)
	return "◆" + s + ": l'intervalle de confiance à 95\u202f% de la valeur du bassin exclut la valeur de la Région" + s +
		"; l'écart ne s'explique probablement pas par le seul hasard."
}

// IncompleteNote explains the Incomplete mark: "« incomplet » : des
// livraisons manquent pour ce mois ; la valeur peut encore changer."
func (l Locale) IncompleteNote(sp Spacing) string {
	if l.Lang() == Dutch {
		return "„" + l.Incomplete() + "”: voor deze maand ontbreken leveringen; de waarde kan nog veranderen."
	}
	s := string(sp)
	return "«" + s + l.Incomplete() + s + "»" + s + ": des livraisons manquent pour ce mois" + s + "; la valeur peut encore changer."
}
