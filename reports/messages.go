package reports

// messages holds the sentences a report prints in one language. The
// templates only lay the document out; the words live here so that the French
// and Dutch versions can be read side by side. The words shared with the
// dashboards (the marks of the table, their notes, the warning on an old
// population) come from package locale.
type messages struct {
	// FileName is the file name of the monthly report; %s is YYYY-MM.
	FileName string

	Title          string // %s: month
	RunLine        string // %s: run id, %s: date and time, %s: time zone
	PopulationLine string // %s: population, %s: source, %s: date
	PopulationEst  string
	Unknown        string

	SummaryHeading string // %s: month
	SummaryIntro   string // %s: month, %s: previous month
	Indicator      string
	Region         string
	PopulationRow  string

	ChartsHeading string
	BarTitle      string // %s: indicator, %s: month
	LineTitle     string // %s: indicator, %s: span of months
	BarAlt        string // %s: indicator, %s: month, %s: values
	LineAlt       string // %s: indicator, %s: span of months, %s: bassins
	BarNote       string
	BarMissing    string
	LineNote      string
	NoChart       string

	NotesHeading    string
	EstimatedIntro  string // %s: split source
	EstimatedSplit  string // %s: areas
	EstimatedPop    string // %s: areas
	EstimatedBoth   string // %s: areas
	EstimatedValues string
	Unassigned      string // %s: areas, %s: population
	Suppression     string // %d: min count, %d: min count
	Change          string // %s: previous month
	PopulationOf    string // %s: population dates
	YearBefore      string
	Interval        string

	DefinitionsHeading string
	Unit               string
	Definition         string
	Source             string

	// Sources names the datasets indicators come from, by Definition.Source.
	Sources map[string]string
	// ListSep separates the parts of a note ("; " in Dutch, " ; " in French).
	ListSep string
	Colon   string
}

var translations = map[string]*messages{
	"fr": {
		FileName: "rapport-mensuel-%s.fr.html",

		Title:          "Rapport mensuel des bassins d'aide et de soins — %s",
		RunLine:        "Calcul %s, effectué le %s (%s).",
		PopulationLine: "Population de la Région de Bruxelles-Capitale : %s habitants (source : %s ; situation au %s).",
		PopulationEst:  "Une partie de ce chiffre est estimée (voir les notes).",
		Unknown:        "inconnu",

		SummaryHeading: "Tableau de synthèse — %s",
		SummaryIntro:   "Valeurs par bassin et pour la Région en %s, par thème. Sous chaque valeur : la variation par rapport à %s, la valeur un an avant et, pour les taux et les parts, l'intervalle de confiance à 95\u202f%%.",
		Indicator:      "Indicateur",
		Region:         "Région",
		PopulationRow:  "Population (habitants)",

		ChartsHeading: "Graphiques",
		BarTitle:      "%s, par bassin — %s",
		LineTitle:     "%s, par mois et par bassin, %s",
		BarAlt:        "Diagramme en barres : %s en %s, par bassin. %s.",
		LineAlt:       "Graphique en courbes : %s par mois, %s, une courbe par bassin (%s).",
		BarNote:       "L'axe des valeurs commence à zéro. Les valeurs non publiées (« < %d ») sont dessinées à hauteur zéro avec l'étiquette « < %d ».",
		BarMissing:    "Les bassins sans valeur pour ce mois portent la mention « — ».",
		LineNote:      "L'axe des valeurs commence à zéro. Les mois dont la valeur n'est pas publiée (« < %d ») ou manque sont laissés de côté : la courbe s'interrompt.",
		NoChart:       "Aucune valeur publiable : le graphique n'est pas dessiné.",

		NotesHeading:    "Notes",
		EstimatedIntro:  "Les chiffres des colonnes marquées * reposent en partie sur la répartition par défaut de Bruxelles-Ville entre bassins (source : %s) ou sur une population estimée :",
		EstimatedSplit:  "répartition par défaut pour %s",
		EstimatedPop:    "population estimée pour %s",
		EstimatedBoth:   "répartition par défaut et population estimée pour %s",
		EstimatedValues: "une partie des valeurs de ce mois repose sur une estimation",
		Unassigned:      "Les zones qu'aucune source disponible ne rattache à un bassin (%s ; %s habitants) sont comptées dans la Région uniquement : la somme des cinq bassins peut donc être inférieure au total régional.",
		Suppression:     "Pour protéger la vie privée, les nombres inférieurs à %d ne sont pas publiés, ni les taux calculés à partir de ces nombres : ils apparaissent comme « < %d ». Quand un seul bassin est masqué, un autre est aussi retenu (« n.p. », non publié) pour qu'il ne puisse être retrouvé par soustraction du total régional.",
		Change:          "La variation compare chaque valeur à celle du mois précédent (%s) ; elle n'est pas indiquée quand l'une des deux valeurs manque, vaut zéro ou n'est pas publiée.",
		PopulationOf:    "population au %s",
		YearBefore:      "un an avant : ",
		Interval:        "IC 95\u202f% : ",

		DefinitionsHeading: "Définitions des indicateurs",
		Unit:               "Unité",
		Definition:         "Définition",
		Source:             "Source des données",

		Sources: map[string]string{
			"contacts":            "journaux d'activité des équipes mobiles",
			"treatment_demands":   "registre TDI (demandes de traitement)",
			"services":            "inventaire de l'offre d'aide et de soins",
			"federation_activity": "exports d'activité des fédérations",
		},
		ListSep: " ; ",
		Colon:   " : ",
	},
	"nl": {
		FileName: "maandrapport-%s.nl.html",

		Title:          "Maandrapport van de zorgzones — %s",
		RunLine:        "Berekening %s, uitgevoerd op %s (%s).",
		PopulationLine: "Bevolking van het Brussels Hoofdstedelijk Gewest: %s inwoners (bron: %s; toestand op %s).",
		PopulationEst:  "Een deel van dit cijfer is geschat (zie de opmerkingen).",
		Unknown:        "onbekend",

		SummaryHeading: "Overzichtstabel — %s",
		SummaryIntro:   "Waarden per zorgzone en voor het Gewest in %s, per thema. Onder elke waarde: de verandering ten opzichte van %s, de waarde een jaar eerder en, voor cijfers per inwoners en aandelen, het 95%%-betrouwbaarheidsinterval.",
		Indicator:      "Indicator",
		Region:         "Gewest",
		PopulationRow:  "Bevolking (inwoners)",

		ChartsHeading: "Grafieken",
		BarTitle:      "%s, per zorgzone — %s",
		LineTitle:     "%s, per maand en per zorgzone, %s",
		BarAlt:        "Staafdiagram: %s in %s, per zorgzone. %s.",
		LineAlt:       "Lijngrafiek: %s per maand, %s, één lijn per zorgzone (%s).",
		BarNote:       "De waardeas begint bij nul. Niet-gepubliceerde waarden („< %d”) worden getekend met hoogte nul en het label „< %d”.",
		BarMissing:    "Zorgzones zonder waarde voor deze maand krijgen het teken „—”.",
		LineNote:      "De waardeas begint bij nul. Maanden waarvan de waarde niet gepubliceerd wordt („< %d”) of ontbreekt, worden weggelaten: de lijn wordt onderbroken.",
		NoChart:       "Geen publiceerbare waarde: de grafiek wordt niet getekend.",

		NotesHeading:    "Opmerkingen",
		EstimatedIntro:  "De cijfers van de met * gemarkeerde kolommen steunen deels op de standaardverdeling van Brussel-Stad over de zorgzones (bron: %s) of op een geschatte bevolking:",
		EstimatedSplit:  "standaardverdeling voor %s",
		EstimatedPop:    "geschatte bevolking voor %s",
		EstimatedBoth:   "standaardverdeling en geschatte bevolking voor %s",
		EstimatedValues: "een deel van de waarden van deze maand steunt op een schatting",
		Unassigned:      "Gebieden die volgens geen enkele beschikbare bron bij een zorgzone horen (%s; %s inwoners), tellen alleen mee voor het Gewest: de som van de vijf zorgzones kan dus lager zijn dan het gewestelijke totaal.",
		Suppression:     "Om de privacy te beschermen worden aantallen kleiner dan %d niet gepubliceerd, net zomin als de cijfers die erop berekend zijn: ze verschijnen als „< %d”. Wanneer slechts één zorgzone verborgen is, wordt ook een andere achtergehouden („n.g.”, niet gepubliceerd), zodat ze niet uit het gewestelijke totaal kan worden afgeleid.",
		Change:          "De verandering vergelijkt elke waarde met die van de vorige maand (%s); ze wordt niet vermeld wanneer een van beide waarden ontbreekt, nul is of niet gepubliceerd wordt.",
		PopulationOf:    "bevolking op %s",
		YearBefore:      "een jaar eerder: ",
		Interval:        "BI 95%: ",

		DefinitionsHeading: "Definities van de indicatoren",
		Unit:               "Eenheid",
		Definition:         "Definitie",
		Source:             "Gegevensbron",

		Sources: map[string]string{
			"contacts":            "activiteitsregistraties van de mobiele teams",
			"treatment_demands":   "TDI-register (behandelingsaanvragen)",
			"services":            "inventaris van het zorg- en hulpaanbod",
			"federation_activity": "activiteitsexports van de federaties",
		},
		ListSep: "; ",
		Colon:   ": ",
	},
}
