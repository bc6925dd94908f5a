package dashboards

import (
	"strings"

	"github.com/brusano/bassins/pipeline/locale"
)

// labels holds every fixed text of the pages, French then Dutch. Templates
// read them as .L.key; the templates are parsed with missingkey=error so a
// key missing here fails the render, and a test checks both languages are
// filled.
var labels = map[string][2]string{
	"site":                {"Bassins d'aide et de soins — Région de Bruxelles-Capitale", "Zorgzones (bassins d'aide et de soins) — Brussels Hoofdstedelijk Gewest"},
	"site_short":          {"Bassins d'aide et de soins", "Zorgzones"},
	"nav_label":           {"Navigation principale", "Hoofdnavigatie"},
	"nav_overview":        {"Vue régionale", "Gewestelijk overzicht"},
	"nav_activity":        {"Activité", "Activiteit"},
	"download":            {"Télécharger les indicateurs publiés (CSV)", "Gepubliceerde indicatoren downloaden (CSV)"},
	"lang_label":          {"Langue", "Taal"},
	"skip":                {"Aller au contenu", "Naar de inhoud"},
	"computed_at":         {"Calcul du", "Berekening van"},
	"month_shown":         {"Mois affiché", "Getoonde maand"},
	"run":                 {"Calcul", "Berekening"},
	"overview_title":      {"Vue régionale", "Gewestelijk overzicht"},
	"overview_intro":      {"Les cinq bassins d'aide et de soins côte à côte, pour le dernier mois calculé. Chaque évolution compare au mois précédent.", "De vijf zorgzones naast elkaar, voor de laatst berekende maand. Elke evolutie vergelijkt met de vorige maand."},
	"region":              {"Région", "Gewest"},
	"bassins":             {"Bassins", "Zorgzones"},
	"bassin":              {"Bassin", "Zorgzone"},
	"inhabitants":         {"habitants", "inwoners"},
	"vs_prev":             {"par rapport au mois précédent", "tegenover de vorige maand"},
	"see_bassin":          {"Voir le bassin", "Zorgzone bekijken"},
	"chart_rate":          {"Contacts {per}, par bassin", "Contacten {per}, per zorgzone"},
	"chart_region":        {"Contacts des équipes mobiles dans la Région, 24 derniers mois", "Contacten van mobiele teams in het Gewest, laatste 24 maanden"},
	"charts":              {"Comparaison et évolution", "Vergelijking en evolutie"},
	"chart_data":          {"Données du graphique", "Gegevens van de grafiek"},
	"month":               {"Mois", "Maand"},
	"indicators":          {"Indicateurs", "Indicatoren"},
	"indicator":           {"Indicateur", "Indicator"},
	"unit":                {"Unité", "Eenheid"},
	"change":              {"Évolution", "Evolutie"},
	"year_before":         {"Un an avant", "Een jaar eerder"},
	"interval":            {"Intervalle de confiance à 95\u202f%", "95%-betrouwbaarheidsinterval"},
	"trend":               {"Évolution sur 24 mois", "Evolutie over 24 maanden"},
	"chart_trend":         {"Contacts, personnes rencontrées et nouvelles personnes, 24 derniers mois", "Contacten, bereikte personen en nieuwe personen, laatste 24 maanden"},
	"chart_tdi":           {"Demandes de traitement (TDI), 24 derniers mois", "Behandelingsaanvragen (TDI), laatste 24 maanden"},
	"communes":            {"Par commune", "Per gemeente"},
	"commune":             {"Commune", "Gemeente"},
	"population":          {"Population", "Bevolking"},
	"chart_communes":      {"Contacts des équipes mobiles par commune", "Contacten van mobiele teams per gemeente"},
	"population_title":    {"Population", "Bevolking"},
	"population_date":     {"Date de référence", "Referentiedatum"},
	"population_src":      {"Source de la population", "Bron van de bevolkingscijfers"},
	"estimated":           {"estimation", "schatting"},
	"estimated_mark":      {"Chiffre reposant sur un découpage par défaut ou une population estimée (voir les notes)", "Cijfer dat steunt op een standaardindeling of een geschatte bevolking (zie de opmerkingen)"},
	"notes":               {"Notes", "Opmerkingen"},
	"colon":               {"\u00a0: ", ": "},
	"shared_mark":         {"Commune partagée entre plusieurs bassins : voir la note sous le tableau", "Gemeente die over meerdere zorgzones verdeeld is: zie de opmerking onder de tabel"},
	"population_communes": {"La population de chaque commune figure dans le tableau par commune ; les taux {per} sont calculés sur ces populations.", "De bevolking van elke gemeente staat in de tabel per gemeente; de cijfers {per} worden op die bevolking berekend."},
	"split_source":        {"Source du découpage", "Bron van de indeling"},
	"no_value":            {"pas de valeur pour ce mois", "geen waarde voor deze maand"},
	"footer_estimated":    {"* : chiffre reposant sur un découpage par défaut de Bruxelles-Ville ou sur une population estimée.", "*: cijfer dat steunt op een standaardindeling van Brussel-Stad of op een geschatte bevolking."},
	"pending_title":       {"Données pas encore calculées", "Gegevens nog niet berekend"},
	"pending_body":        {"Les indicateurs n'ont pas encore été calculés. Ils apparaîtront ici après le premier calcul ; la page Activité montre ce que le produit a déjà fait.", "De indicatoren zijn nog niet berekend. Ze verschijnen hier na de eerste berekening; de pagina Activiteit toont wat het product al gedaan heeft."},
	"activity_title":      {"Activité du produit", "Activiteit van het product"},
	"activity_intro":      {"Ce que le produit a fait : les tâches programmées et les fichiers chargés, les plus récents d'abord ({zone}).", "Wat het product gedaan heeft: de geplande taken en de geladen bestanden, de recentste eerst ({zone})."},
	"loads":               {"Fichiers chargés", "Geladen bestanden"},
	"completeness":        {"Complétude des livraisons", "Volledigheid van de leveringen"},
	"completeness_intro":  {"Lignes chargées par source et par mois, sur les 12 derniers mois. « — » : aucune ligne pour un mois où la source aurait dû livrer.", "Geladen regels per bron en per maand, over de laatste 12 maanden. „—”: geen enkele regel voor een maand waarin de bron had moeten leveren."},
	"no_deliveries":       {"Aucune donnée mensuelle chargée pour l'instant.", "Nog geen maandelijkse gegevens geladen."},
	"start":               {"Début", "Begin"},
	"end":                 {"Fin", "Einde"},
	"status":              {"Statut", "Status"},
	"rows":                {"Lignes", "Rijen"},
	"error":               {"Erreur", "Fout"},
	"file":                {"Fichier", "Bestand"},
	"source":              {"Source", "Bron"},
	"dataset":             {"Jeu de données", "Dataset"},
	"loaded_at":           {"Chargé le", "Geladen op"},
	"rows_read":           {"Lignes lues", "Gelezen regels"},
	"rows_loaded":         {"Chargées", "Geladen"},
	"rows_quarantined":    {"En quarantaine", "In quarantaine"},
	"message":             {"Message", "Bericht"},
	"no_loads":            {"Aucun fichier chargé.", "Geen bestanden geladen."},
	"as_of":               {"date de référence", "peildatum"},
	"attempt":             {"tentative", "poging"},
	"scheduling":          {"Planification", "Planning"},
	"notfound_title":      {"Page introuvable", "Pagina niet gevonden"},
	"notfound_body":       {"Cette page n'existe pas. Choisissez la vue régionale, un bassin ou l'activité ci-dessus.", "Deze pagina bestaat niet. Kies hierboven het gewestelijk overzicht, een zorgzone of de activiteit."},
	"unavailable_title":   {"Données temporairement indisponibles", "Gegevens tijdelijk niet beschikbaar"},
	"unavailable_body":    {"Le service est temporairement indisponible : l'entrepôt de données ne répond pas pour le moment. Réessayez dans quelques minutes ; l'incident est enregistré dans le journal du serveur.", "De dienst is tijdelijk niet beschikbaar: het datawarehouse antwoordt momenteel niet. Probeer het over enkele minuten opnieuw; het incident is opgenomen in het serverlogboek."},
	"error_title":         {"Erreur interne", "Interne fout"},
	"error_body":          {"Cette page n'a pas pu être affichée à cause d'une erreur interne, enregistrée dans le journal du serveur.", "Deze pagina kon niet getoond worden door een interne fout, die in het serverlogboek is opgenomen."},
}

// labelsFor returns the fixed texts in one language. In them, {per} is the
// base of the rates ("pour 10 000 habitants") and {zone} the time zone of the
// dates shown; the words shared with the reports come from package locale.
func labelsFor(lc locale.Locale) map[string]string {
	i := lc.Index()
	r := strings.NewReplacer("{per}", lc.PerInhabitants(10000), "{zone}", lc.Zone())
	out := make(map[string]string, len(labels)+10)
	for k, v := range labels {
		out[k] = r.Replace(v[i])
	}
	out["time_zone"] = lc.Zone()
	out["footer_dash"] = lc.NoValueNote()
	out["runs"] = lc.Jobs()
	out["job"] = lc.Job()
	out["no_runs"] = lc.NoJobs()
	out["running"] = lc.Status("running")
	out["incomplete"] = lc.Incomplete()
	out["incomplete_note"] = lc.IncompleteNote(locale.NoBreak)
	out["differs_mark"] = lc.DiffersMark()
	out["differs_note"] = lc.DiffersNote(locale.NoBreak) + lc.Pick(" Les intervalles ne sont donnés que pour les taux et les parts.",
		" Intervallen worden alleen voor cijfers per inwoners en aandelen gegeven.")
	return out
}

// pick returns the French or the Dutch text.
func pick(lang, fr, nl string) string { return locale.New(lang, nil).Pick(fr, nl) }

// bassinStatusText explains, for readers, how sure an area's bassin is. The
// statuses come from the split table, in English; known prefixes are
// translated and anything else is shown as written.
func bassinStatusText(status, lang string) string {
	word, _, _ := strings.Cut(status, " ")
	word = strings.TrimSuffix(word, ":")
	switch word {
	case "commune":
		return pick(lang, "commune entière", "volledige gemeente")
	case "stated":
		return pick(lang, "rattachement indiqué par le bassin", "indeling vermeld door de zorgzone")
	case "inferred":
		return pick(lang, "rattachement déduit des quartiers cités par le bassin", "indeling afgeleid uit de wijken die de zorgzone noemt")
	case "assumed":
		return pick(lang, "rattachement supposé, aucune source ne le précise", "indeling verondersteld, geen bron vermeldt ze")
	case "unknown":
		return pick(lang, "rattachement inconnu, aucune source trouvée", "indeling onbekend, geen bron gevonden")
	}
	return status
}

// populationStatusText says where an area's population comes from.
func populationStatusText(status, lang string) string {
	switch {
	case strings.HasPrefix(status, "estimated"):
		return pick(lang, "population estimée", "geschatte bevolking")
	case strings.HasPrefix(status, "official"):
		return pick(lang, "population officielle", "officiële bevolking")
	}
	return status
}
