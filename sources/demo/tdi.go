package demo

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// demandsPerMonth is the number of treatment demands a month at scale 1.
const demandsPerMonth = 120.0

var tdiHeader = []string{"date_demande", "date_debut_traitement", "type_centre", "deja_traite", "sexe", "age",
	"code_postal", "source_orientation", "vit_avec", "vit_avec_enfants", "logement", "nationalite", "statut_emploi",
	"niveau_etudes", "produit_principal", "produits_secondaires", "voie", "frequence", "age_premiere_consommation",
	"age_premiere_injection", "injection", "tso", "id_personne"}

// Columns of tdiHeader the generator and its tests refer to.
const (
	tdiDate = iota
	tdiStart
	tdiCentre
	tdiTreated
	tdiSex
	tdiAge
	tdiPostcode
	tdiReferral
	tdiLivingWith
	tdiChildren
	tdiLivingWhere
	tdiNationality
	tdiLabour
	tdiEducation
	tdiPrimary
	tdiSecondary
	tdiRoute
	tdiFrequency
	tdiFirstUse
	tdiFirstInjection
	tdiInjecting
	tdiSubstitution
	tdiPersonID
)

// product is a primary drug with what goes with it in a demand.
type product struct {
	code   string
	weight float64
	trend  float64 // relative change of its share a year
	routes []option
	// Mean and spread of the age at the demand and at first use.
	age, ageSD, firstUse float64
	opioid, stimulant    bool
	habitual             bool // used daily by most of those who seek treatment
}

// Route lists shared by several products.
var (
	routesOral  = []option{{"eat_drink", 96}, {"other", 1}, {"unknown", 3}}
	routesSmoke = []option{{"smoke", 95}, {"eat_drink", 2}, {"unknown", 3}}
	routesSniff = []option{{"sniff", 75}, {"smoke", 8}, {"inject", 7}, {"eat_drink", 5}, {"unknown", 5}}
)

// products is the Brussels mix of primary drugs in treatment demands: alcohol
// (covered by the Belgian register), cocaine powder and crack, cannabis and
// heroin lead, with crack growing; pregabalin, growing too, is counted as
// other hypnotics and sedatives.
var products = []product{
	{"alcohol", 30, 0, routesOral, 45, 11, 17, false, false, true},
	{"cocaine_powder", 16, 0.03, []option{{"sniff", 68}, {"smoke", 18}, {"inject", 8}, {"other", 1}, {"unknown", 5}}, 35, 9, 21, false, true, false},
	{"crack", 8, 0.12, []option{{"smoke", 93}, {"inject", 4}, {"unknown", 3}}, 38, 9, 25, false, true, true},
	{"other_cocaine", 0.3, 0, []option{{"sniff", 50}, {"smoke", 30}, {"inject", 10}, {"unknown", 10}}, 36, 9, 22, false, true, false},
	{"cannabis", 18, -0.02, routesSmoke, 26, 8, 15, false, false, true},
	{"heroin", 13, -0.03, []option{{"smoke", 55}, {"inject", 30}, {"sniff", 10}, {"unknown", 5}}, 42, 8, 21, true, false, true},
	{"methadone", 2, 0, []option{{"eat_drink", 82}, {"inject", 12}, {"sniff", 2}, {"unknown", 4}}, 44, 8, 26, true, false, true},
	{"buprenorphine", 0.6, 0, []option{{"eat_drink", 55}, {"inject", 30}, {"sniff", 10}, {"unknown", 5}}, 40, 8, 25, true, false, true},
	{"fentanyl", 0.2, 0, []option{{"inject", 45}, {"smoke", 30}, {"eat_drink", 15}, {"unknown", 10}}, 38, 9, 26, true, false, true},
	{"other_opioids", 1, 0, []option{{"eat_drink", 80}, {"inject", 10}, {"unknown", 10}}, 41, 10, 27, true, false, true},
	{"amphetamines", 1.5, 0, []option{{"sniff", 50}, {"eat_drink", 30}, {"inject", 10}, {"smoke", 5}, {"unknown", 5}}, 31, 8, 19, false, true, false},
	{"methamphetamine", 0.5, 0.05, []option{{"smoke", 50}, {"inject", 30}, {"sniff", 15}, {"unknown", 5}}, 35, 8, 25, false, true, false},
	{"mdma", 0.5, 0, routesOral, 24, 5, 18, false, true, false},
	{"other_stimulants", 0.2, 0, []option{{"eat_drink", 50}, {"sniff", 35}, {"unknown", 15}}, 30, 8, 20, false, true, false},
	{"cathinones", 0.5, 0.05, []option{{"sniff", 50}, {"inject", 35}, {"eat_drink", 10}, {"unknown", 5}}, 35, 8, 27, false, true, false},
	{"benzodiazepines", 2.5, 0, routesOral, 40, 12, 24, false, false, true},
	{"ghb", 0.7, 0.03, routesOral, 28, 6, 21, false, false, false},
	{"other_hypnotics", 1.2, 0.1, routesOral, 27, 7, 19, false, false, true}, // pregabalin mostly
	{"barbiturates", 0.05, 0, routesOral, 45, 12, 25, false, false, true},
	{"lsd", 0.1, 0, routesOral, 24, 5, 17, false, false, false},
	{"ketamine", 0.7, 0.08, routesSniff, 25, 5, 19, false, false, false},
	{"other_hallucinogens", 0.1, 0, routesOral, 25, 6, 18, false, false, false},
	{"volatile_inhalants", 0.1, 0, []option{{"smoke", 85}, {"other", 10}, {"unknown", 5}}, 22, 6, 14, false, false, false},
	{"synthetic_cannabinoids", 0.2, 0, routesSmoke, 24, 6, 17, false, false, true},
	{"other", 1, 0, []option{{"eat_drink", 40}, {"smoke", 20}, {"sniff", 15}, {"other", 15}, {"unknown", 10}}, 33, 10, 20, false, false, false},
	{"unknown", 1, 0, []option{{"unknown", 100}}, 36, 11, 20, false, false, false},
}

// Categorical items whose mix does not depend on the product.
var (
	centreTypes = []option{{"outpatient", 60}, {"inpatient", 12}, {"prison", 10}, {"gp", 3}, {"low_threshold", 12}, {"other", 3}}
	treated     = []option{{"previously", 55}, {"never", 38}, {"unknown", 7}}
	referrals   = []option{{"self", 31}, {"family_friends", 10}, {"court_police", 11}, {"other_drug_centre", 12},
		{"hospital", 9}, {"other_health", 6}, {"social_services", 6}, {"gp", 8}, {"education", 1}, {"other", 3}, {"unknown", 3}}
	livingWith = []option{{"alone", 42}, {"parents", 16}, {"partner", 12}, {"partner_children", 8}, {"alone_children", 5},
		{"friends_others", 9}, {"other", 3}, {"unknown", 5}}
	// Children of others (a partner's, relatives') for some who live
	// neither with a partner and children nor alone with children.
	childrenOther = []option{{"no", 88}, {"yes", 4}, {"unknown", 8}}
	// About one in six lives in unstable accommodation (street, squat,
	// shelter, hotel); prison entrants live in an institution.
	livingWhere   = []option{{"stable", 71}, {"unstable", 18}, {"institution", 7}, {"unknown", 4}}
	nationalities = []option{{"belgian", 62}, {"other_eu", 15}, {"non_eu", 19}, {"unknown", 4}}
	labourStatus  = []option{{"employed", 24}, {"student", 6}, {"unemployed", 42}, {"inactive", 18}, {"other", 5}, {"unknown", 5}}
	educations    = []option{{"none", 4}, {"primary", 14}, {"lower_secondary", 26}, {"upper_secondary", 32}, {"higher", 15},
		{"unknown", 9}}
	// secondaryDrugs is the mix of drugs used besides the primary one.
	secondaryDrugs = []option{{"alcohol", 30}, {"cannabis", 30}, {"cocaine_powder", 20}, {"crack", 6}, {"benzodiazepines", 8},
		{"heroin", 5}, {"other_hypnotics", 3}, {"mdma", 3}, {"amphetamines", 3}}
	frequencyHabitual   = []option{{"daily", 58}, {"4_6_days", 12}, {"2_3_days", 9}, {"weekly_or_less", 5}, {"not_used", 12}, {"unknown", 4}}
	frequencyOccasional = []option{{"daily", 24}, {"4_6_days", 15}, {"2_3_days", 25}, {"weekly_or_less", 22}, {"not_used", 10}, {"unknown", 4}}
	injectionCurrent    = []option{{"last_30_days", 76}, {"last_12_months", 14}, {"over_12_months", 3}, {"unknown", 7}}
	injectionAtRisk     = []option{{"never", 62}, {"over_12_months", 18}, {"last_12_months", 6}, {"last_30_days", 4}, {"unknown", 10}}
	injectionOther      = []option{{"never", 88}, {"over_12_months", 3}, {"unknown", 9}}
	substitutionOpioid  = []option{{"current", 38}, {"ever", 30}, {"never", 25}, {"unknown", 7}}
	substitutionOther   = []option{{"never", 82}, {"ever", 6}, {"current", 2}, {"unknown", 10}}
)

// tdiPerson is a person entering treatment; a few come back in a later month.
type tdiPerson struct {
	id       string
	sex      string
	born     float64 // year, fractional
	product  int
	postcode string
	firstUse int // -1 unknown
	// firstInjection is the age at first injection: -1 unknown or never,
	// -2 not drawn yet.
	firstInjection         int
	ageKnown               bool
	nationality, education string
	lastMonth              int
}

// treatmentDemands generates the monthly TDI registers.
type treatmentDemands struct {
	r          *rand.Rand
	scale      float64
	months     []time.Time
	postcodes  choice
	persons    []tdiPerson
	nextID     int
	centre     choice
	treated    choice
	referral   choice
	freqHabit  choice
	freqOcc    choice
	injCurrent choice
	injRisk    choice
	injOther   choice
	tsoOpioid  choice
	tsoOther   choice
	sex        choice
	routes     []choice
	livingWith choice
	children   choice
	where      choice
	nationals  choice
	labour     choice
	education  choice
	secondary  choice
}

func newTreatmentDemands(seed int64, g *geo, scale float64, months []time.Time) *treatmentDemands {
	t := &treatmentDemands{r: newRand(seed, streamTDI), scale: scale, months: months,
		postcodes: g.weighted(softened(outreachNeed, 0.6)),
		centre:    newChoice(centreTypes), treated: newChoice(treated), referral: newChoice(referrals),
		freqHabit: newChoice(frequencyHabitual), freqOcc: newChoice(frequencyOccasional),
		injCurrent: newChoice(injectionCurrent), injRisk: newChoice(injectionAtRisk), injOther: newChoice(injectionOther),
		tsoOpioid: newChoice(substitutionOpioid), tsoOther: newChoice(substitutionOther),
		sex:        newChoice([]option{{"M", 79}, {"F", 20}, {"unknown", 1}}),
		livingWith: newChoice(livingWith), children: newChoice(childrenOther), where: newChoice(livingWhere),
		nationals: newChoice(nationalities), labour: newChoice(labourStatus), education: newChoice(educations),
		secondary: newChoice(secondaryDrugs),
		nextID:    registerOffset(seed)}
	for _, p := range products {
		t.routes = append(t.routes, newChoice(p.routes))
	}
	return t
}

// registerOffset starts the register numbers at a place that depends on the
// seed, so that two seeds do not share identifiers.
func registerOffset(seed int64) int { return 1000 + int(splitmix(uint64(seed))%500000) }

// demand is one row of the register.
type demand struct {
	date   time.Time
	fields []string
}

// writeMonth returns the body of the register for month mi.
func (t *treatmentDemands) writeMonth(mi int, m time.Time) fileBody {
	return func(w io.Writer) (int, error) {
		count := atLeastOne(float64(poisson(t.r, demandsPerMonth*t.scale*demandSeason(m, mi, len(t.months)))))
		cw := csv.NewWriter(w)
		cw.Comma = ';'
		if err := cw.Write(tdiHeader); err != nil {
			return 0, err
		}
		demands := t.month(mi, m, count)
		for _, d := range demands {
			if err := cw.Write(d.fields); err != nil {
				return 0, err
			}
		}
		cw.Flush()
		return len(demands), cw.Error()
	}
}

// demandSeason is the expected volume of month mi of n relative to the mean:
// fewer demands in the summer and over the holidays, and a slow rise.
func demandSeason(m time.Time, mi, n int) float64 {
	season := [12]float64{1.05, 1.05, 1.08, 1.0, 1.0, 1.0, 0.88, 0.78, 1.05, 1.08, 1.06, 0.87}[m.Month()-1]
	trend := 1 + 0.04*(float64(mi)-float64(n-1)/2)/12
	return season * trend
}

// month returns count demands of month mi (first day m), in date order.
func (t *treatmentDemands) month(mi int, m time.Time, count int) []demand {
	r := t.r
	years := float64(m.Year()-2020) + float64(m.Month()-1)/12
	productWeights := make([]float64, len(products))
	var sum float64
	for i, p := range products {
		sum += p.weight * math.Pow(1+p.trend, years)
		productWeights[i] = sum
	}
	dayWeights := make([]float64, daysIn(m))
	sum = 0
	for d := range dayWeights {
		switch m.AddDate(0, 0, d).Weekday() {
		case time.Saturday, time.Sunday:
			sum += 0.08
		default:
			sum += 1
		}
		dayWeights[d] = sum
	}
	demands := make([]demand, 0, count)
	for range count {
		date := m.AddDate(0, 0, cumulativePick(r, dayWeights))
		demands = append(demands, demand{date: date, fields: t.demand(r, mi, date, productWeights)})
	}
	slices.SortStableFunc(demands, func(a, b demand) int { return a.date.Compare(b.date) })
	return demands
}

// WriteTreatmentDemandsCSV writes n treatment demands, header first, as the
// monthly TDI registers hold them (';'-separated, dates as dd/mm/yyyy), but
// in one file spread over monthCount months ending with the month of until,
// in date order: for a benchmark. A seed of 0 means 1.
func WriteTreatmentDemandsCSV(w io.Writer, n, monthCount int, seed int64, until time.Time) error {
	seed, g, months, err := benchRun(n, monthCount, seed, until)
	if err != nil {
		return err
	}
	t := newTreatmentDemands(seed, g, float64(n)/(demandsPerMonth*float64(monthCount)), months)
	counts := monthCounts(n, months, demandSeason)
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if err := cw.Write(tdiHeader); err != nil {
		return fmt.Errorf("demo: write demands: %w", err)
	}
	for mi, m := range months {
		for _, d := range t.month(mi, m, counts[mi]) {
			if err := cw.Write(d.fields); err != nil {
				return fmt.Errorf("demo: write demands: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("demo: write demands: %w", err)
	}
	return nil
}

func (t *treatmentDemands) demand(r *rand.Rand, mi int, date time.Time, productWeights []float64) []string {
	year := float64(date.Year()) + float64(date.YearDay())/365
	var p *tdiPerson
	// About one demand in eight is a person back in treatment after an
	// earlier demand in the register.
	if len(t.persons) > 0 && r.Float64() < 0.12 {
		cand := &t.persons[r.IntN(len(t.persons))]
		if cand.lastMonth < mi {
			p = cand
		}
	}
	returning := p != nil
	if p == nil {
		pi := cumulativePick(r, productWeights)
		prod := &products[pi]
		age := math.Max(15, math.Min(75, prod.age+prod.ageSD*r.NormFloat64()))
		sex := t.sex.pick(r)
		if prod.code == "alcohol" && sex == "M" && r.Float64() < 0.1 {
			sex = "F"
		}
		firstUse := -1
		if r.Float64() >= 0.07 {
			firstUse = int(math.Max(8, math.Min(age, prod.firstUse+3.5*r.NormFloat64())))
		}
		t.nextID++
		t.persons = append(t.persons, tdiPerson{
			id: fmt.Sprintf("TDI-%07d", t.nextID), sex: sex, born: year - age - r.Float64(),
			product: pi, postcode: t.postcodes.pick(r), firstUse: firstUse, ageKnown: r.Float64() >= 0.03,
			firstInjection: -2, nationality: t.nationals.pick(r), education: t.education.pick(r),
		})
		p = &t.persons[len(t.persons)-1]
	}
	p.lastMonth = mi
	prod := &products[p.product]

	centre := t.centre.pick(r)
	referral := t.referral.pick(r)
	if centre == "prison" && r.Float64() < 0.6 {
		referral = "court_police"
	}
	already := t.treated.pick(r)
	if returning {
		already = "previously"
	}
	start := ""
	if r.Float64() < 0.75 { // most start within days; for the others it is not known yet
		d := date.AddDate(0, 0, r.IntN(15))
		if d.Month() != date.Month() {
			d = time.Date(date.Year(), date.Month()+1, 0, 0, 0, 0, 0, date.Location()) // the month's last day
		}
		start = d.Format("02/01/2006")
	}
	with := t.livingWith.pick(r)
	children := t.children.pick(r)
	switch with {
	case "partner_children", "alone_children":
		children = "yes"
	case "unknown":
		children = "unknown"
	}
	where := t.where.pick(r)
	if centre == "prison" && r.Float64() < 0.7 {
		where = "institution"
	}
	labour := t.labour.pick(r)
	if year-p.born < 23 && labour == "unemployed" && r.Float64() < 0.4 {
		labour = "student"
	}
	var secondary []string
	for n := cumulativePick(r, []float64{45, 80, 100}); len(secondary) < n; {
		d := t.secondary.pick(r)
		if d != prod.code && !slices.Contains(secondary, d) {
			secondary = append(secondary, d)
		}
	}
	age := ""
	if p.ageKnown {
		age = strconv.Itoa(int(math.Max(15, math.Min(75, year-p.born))))
	}
	firstUse := ""
	if p.firstUse >= 0 {
		firstUse = strconv.Itoa(p.firstUse)
	}
	route := t.routes[p.product].pick(r)
	frequency := t.freqOcc.pick(r)
	if prod.habitual {
		frequency = t.freqHabit.pick(r)
	}
	if centre == "prison" && r.Float64() < 0.4 {
		frequency = "not_used"
	}
	var injection string
	switch {
	case route == "inject":
		injection = t.injCurrent.pick(r)
	case prod.opioid || prod.stimulant:
		injection = t.injRisk.pick(r)
	default:
		injection = t.injOther.pick(r)
	}
	firstInjection := ""
	if injection != "never" && injection != "unknown" {
		if p.firstInjection == -2 {
			p.firstInjection = -1
			if p.firstUse >= 0 && p.ageKnown && r.Float64() >= 0.1 {
				p.firstInjection = min(int(year-p.born), p.firstUse+r.IntN(6))
			}
		}
		if p.firstInjection >= 0 {
			firstInjection = strconv.Itoa(p.firstInjection)
		}
	}
	substitution := t.tsoOther.pick(r)
	if prod.opioid {
		substitution = t.tsoOpioid.pick(r)
	}
	postcode := p.postcode
	if r.Float64() < 0.1 { // moved since the last demand, or a new address
		postcode = t.postcodes.pick(r)
	}
	row := make([]string, len(tdiHeader))
	row[tdiDate], row[tdiStart], row[tdiCentre], row[tdiTreated] = date.Format("02/01/2006"), start, centre, already
	row[tdiSex], row[tdiAge], row[tdiPostcode], row[tdiReferral] = p.sex, age, postcode, referral
	row[tdiLivingWith], row[tdiChildren], row[tdiLivingWhere], row[tdiNationality] = with, children, where, p.nationality
	row[tdiLabour], row[tdiEducation], row[tdiPrimary], row[tdiSecondary] = labour, p.education, prod.code, strings.Join(secondary, "|")
	row[tdiRoute], row[tdiFrequency], row[tdiFirstUse], row[tdiFirstInjection] = route, frequency, firstUse, firstInjection
	row[tdiInjecting], row[tdiSubstitution], row[tdiPersonID] = injection, substitution, p.id
	return row
}
