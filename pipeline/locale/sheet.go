package locale

// sheetLabels are the words of an indicator's definition sheet (bassins
// indicators describe), French then Dutch.
var sheetLabels = map[string][2]string{
	"theme":        {"Thème", "Thema"},
	"definition":   {"Définition", "Definitie"},
	"unit":         {"Unité", "Eenheid"},
	"decimals":     {"décimales", "decimalen"},
	"numerator":    {"Numérateur", "Teller"},
	"denominator":  {"Dénominateur", "Noemer"},
	"periods":      {"Périodes", "Periodes"},
	"breakdowns":   {"Ventilations", "Uitsplitsingen"},
	"no_total":     {"sans total : les catégories ne s'additionnent pas", "zonder totaal: de categorieën worden niet opgeteld"},
	"direction":    {"Sens", "Richting"},
	"higher":       {"une valeur plus élevée est favorable", "een hogere waarde is gunstig"},
	"neutral":      {"pas de sens favorable fixé", "geen gunstige richting vastgelegd"},
	"interval":     {"Intervalle de confiance à 95 %", "Betrouwbaarheidsinterval van 95 %"},
	"poisson":      {"Poisson exact (Garwood) sur le numérateur", "exacte Poisson (Garwood) op de teller"},
	"wilson":       {"Wilson, pour une proportion", "Wilson, voor een proportie"},
	"none":         {"aucun", "geen"},
	"plan":         {"Actions du plan", "Acties van het plan"},
	"file":         {"Fichier", "Bestand"},
	"population":   {"population", "bevolking"},
	"all_ages":     {"tous âges", "alle leeftijden"},
	"ages":         {"de %d à %d ans", "van %d tot %d jaar"},
	"factor":       {"facteur", "factor"},
	"filters":      {"filtres", "filters"},
	"rows":         {"nombre de lignes", "aantal rijen"},
	"distinct":     {"nombre de valeurs distinctes de", "aantal verschillende waarden van"},
	"sum":          {"somme de", "som van"},
	"median":       {"médiane de", "mediaan van"},
	"new":          {"valeurs distinctes de %s absentes des %d mois précédents :", "verschillende waarden van %s die in de %d voorgaande maanden ontbraken:"},
	"of_dataset":   {"des données", "van de gegevens"},
	"month":        {"mois", "maand"},
	"quarter":      {"trimestre", "kwartaal"},
	"year":         {"année", "jaar"},
	"other_indic":  {"l'indicateur", "de indicator"},
	"kind_count":   {"compte", "telling"},
	"kind_median":  {"médiane", "mediaan"},
	"kind_rate":    {"taux", "cijfer"},
	"kind_share":   {"part", "aandeel"},
	"kind_ratio":   {"rapport", "verhouding"},
	"kind":         {"Nature", "Soort"},
	"none_filters": {"aucun filtre", "geen filter"},
}

// SheetLabel returns a word of an indicator's definition sheet; an unknown
// key is returned as given.
func (l Locale) SheetLabel(key string) string {
	if t, ok := sheetLabels[key]; ok {
		return t[l.Index()]
	}
	return key
}
