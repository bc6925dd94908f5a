package demo

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Service types of the care-offer inventory.
const (
	typeMedicalHouse  = "maison médicale"
	typeMentalHealth  = "service de santé mentale"
	typeAddiction     = "service en assuétudes"
	typeFamilyPlan    = "centre de planning familial"
	typeSocialService = "service social"
	typeHomeHelp      = "aide à domicile"
	typePalliative    = "soins palliatifs"
	typeShelter       = "maison d'accueil"
)

// serviceGroup is the services of one type in one federation.
type serviceGroup struct {
	prefix     string // of the service codes
	federation string // as the inventory names it
	kind       string
	count      int     // at scale 1, before openings
	need       float64 // how strongly location follows outreachNeed
}

// serviceGroups lists the ambulatory offer of the region. The first three are
// the federations that deliver monthly activity exports.
var serviceGroups = []serviceGroup{
	{"FEDITO", "FEDITO BXL", typeAddiction, 19, 0.8},
	{"LBSM", "LBSM", typeMentalHealth, 21, 0.4},
	{"FMM", "FMM", typeMedicalHouse, 23, 0.7},
	{"VWGC", "VWGC", typeMedicalHouse, 8, 0.5},
	{"IND", "Aucune", typeMedicalHouse, 12, 0.5},
	{"IND", "Aucune", typeMentalHealth, 5, 0.3},
	{"IND", "Aucune", typeAddiction, 4, 0.8},
	{"FLCPF", "FLCPF", typeFamilyPlan, 15, 0.3},
	{"FCPPF", "FCPPF", typeFamilyPlan, 10, 0.3},
	{"FCSS", "FCSS", typeSocialService, 42, 0.6},
	{"FASD", "FASD", typeHomeHelp, 32, 0.1},
	{"FBSP", "FBSP", typePalliative, 9, 0},
	{"AMA", "AMA", typeShelter, 34, 0.9},
}

// federationExport is a federation that delivers monthly activity files.
type federationExport struct {
	dir    string // folder and file name prefix
	prefix string // service code prefix of its members
	// Typical monthly activity of a member of average size.
	consultations, followedShare, hours float64
}

var exportingFederations = []federationExport{
	{"fedito", "FEDITO", 340, 0.45, 780},
	{"lbsm", "LBSM", 420, 0.6, 690},
	{"fmm", "FMM", 1450, 0.55, 1280},
}

// namePatterns gives the ways services of a type are named; %s is a quartier.
var namePatterns = map[string][]string{
	typeMedicalHouse:  {"Maison médicale %s", "Centre de santé %s", "Maison de santé %s"},
	typeMentalHealth:  {"Service de santé mentale %s", "Centre de guidance %s", "SSM %s"},
	typeAddiction:     {"Centre d'accueil %s", "Espace assuétudes %s", "Service d'accompagnement %s"},
	typeFamilyPlan:    {"Centre de planning familial %s", "Planning familial %s"},
	typeSocialService: {"Centre de service social %s", "Service social de quartier %s"},
	typeHomeHelp:      {"Aide à domicile %s", "Service d'aide aux familles %s"},
	typePalliative:    {"Soins palliatifs %s", "Équipe de soutien palliatif %s"},
	typeShelter:       {"Maison d'accueil %s", "Foyer %s", "Abri de nuit %s"},
}

// service is one service of the inventory.
type service struct {
	code, name, kind, federation string
	address, postcode, nis       string
	prefix                       string
	// The service is listed from 1 January of openYear (0: before the data)
	// until 31 December before closeYear (0: still open).
	openYear, closeYear int
	size                float64 // activity relative to a member of average size
}

func (s *service) openIn(year int) bool {
	return (s.openYear == 0 || year >= s.openYear) && (s.closeYear == 0 || year < s.closeYear)
}

// offer is the care offer over the covered years.
type offer struct {
	years    []int
	services []service // in code order within each group, groups in list order
}

func newOffer(seed int64, scale float64, g *geo, months []time.Time) *offer {
	o := &offer{}
	for _, m := range months {
		if len(o.years) == 0 || o.years[len(o.years)-1] != m.Year() {
			o.years = append(o.years, m.Year())
		}
	}
	r := newRand(seed, streamServices)
	changes := newRand(seed, streamOpenings)
	numbers := map[string]int{} // last code number per prefix
	names, addresses := map[string]bool{}, map[string]bool{}
	for _, grp := range serviceGroups {
		where := g.weighted(softened(outreachNeed, grp.need))
		n := max(2, int(math.Round(float64(grp.count)*scale)))
		// A few services open on 1 January of a later year; they take the
		// next codes, as a federation numbers its new members.
		openings := 0
		if len(o.years) > 1 {
			openings = int(math.Round(float64(n) * 0.07))
		}
		for i := range n + openings {
			numbers[grp.prefix]++
			s := service{prefix: grp.prefix, kind: grp.kind, federation: grp.federation,
				code: fmt.Sprintf("%s-%03d", grp.prefix, numbers[grp.prefix])}
			s.postcode = where.pick(r)
			s.nis = g.serviceNIS(r, s.postcode)
			s.name = serviceName(r, grp.kind, s.postcode, s.nis, names)
			s.address = address(r, s.postcode, s.nis, addresses)
			s.size = math.Exp(0.4 * r.NormFloat64())
			if i >= n {
				s.openYear = o.years[1+changes.IntN(len(o.years)-1)]
			} else if i >= 2 && len(o.years) > 1 && changes.Float64() < 0.04 {
				// Closed at the end of a year; the first two services of a
				// group always stay so that every export has members.
				s.closeYear = o.years[1+changes.IntN(len(o.years)-1)]
			}
			o.services = append(o.services, s)
		}
	}
	return o
}

func serviceName(r *rand.Rand, kind, postcode, nis string, taken map[string]bool) string {
	places := quartiers[postcode+"/"+nis]
	if places == nil {
		places = quartiers[postcode]
	}
	patterns := namePatterns[kind]
	var name string
	for range 20 {
		name = fmt.Sprintf(patterns[r.IntN(len(patterns))], places[r.IntN(len(places))])
		if !taken[name] {
			break
		}
	}
	base := name
	for i := 2; taken[name]; i++ {
		name = base + " " + strconv.Itoa(i)
	}
	taken[name] = true
	return name
}

func address(r *rand.Rand, postcode, nis string, taken map[string]bool) string {
	list := streets[postcode+"/"+nis]
	if list == nil {
		list = streets[postcode]
	}
	for {
		a := list[r.IntN(len(list))] + " " + strconv.Itoa(1+int(r.ExpFloat64()*60))
		if !taken[a] {
			taken[a] = true
			return a
		}
	}
}

// excelCSV returns a CSV writer with Belgian Excel's conventions: ';' and CRLF.
func excelCSV(w io.Writer) *csv.Writer {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	return cw
}

var inventoryHeader = []string{"Code service", "Nom", "Type", "Fédération", "Adresse", "Code postal", "Commune (NIS)", "Date de référence"}

// writeInventory returns the body of the inventory on 1 January of year.
func (o *offer) writeInventory(year int) fileBody {
	return func(w io.Writer) (int, error) {
		cw := excelCSV(w)
		if err := cw.Write(inventoryHeader); err != nil {
			return 0, err
		}
		ref := fmt.Sprintf("01/01/%d", year)
		rows := 0
		for i := range o.services {
			s := &o.services[i]
			if !s.openIn(year) {
				continue
			}
			if err := cw.Write([]string{s.code, s.name, s.kind, s.federation, s.address, s.postcode, s.nis, ref}); err != nil {
				return rows, err
			}
			rows++
		}
		cw.Flush()
		return rows, cw.Error()
	}
}

var activityHeader = []string{"Période", "Code service", "Nom du service", "Code postal", "Consultations", "Personnes suivies", "Heures prestées"}

// activitySeason is the activity of a calendar month relative to the year's
// mean: the summer holidays and the end-of-year break are quieter.
var activitySeason = [12]float64{1.02, 1.04, 1.06, 1.0, 1.0, 1.03, 0.86, 0.74, 1.04, 1.06, 1.05, 0.9}

// writeActivity returns the body of a federation's export for month m.
func (o *offer) writeActivity(seed int64, fi int, fed federationExport, m time.Time) fileBody {
	return func(w io.Writer) (int, error) {
		r := newRand(seed, streamActivity, fi, m.Year()*12+int(m.Month()))
		cw := excelCSV(w)
		if err := cw.Write(activityHeader); err != nil {
			return 0, err
		}
		period := m.Format("02/01/2006")
		// A mild trend of about 3% a year, counted from a fixed year so that
		// a month's figures do not depend on the window.
		trend := 1 + 0.03*(float64(m.Year()-2020)+float64(m.Month()-1)/12)
		rows := 0
		for i := range o.services {
			s := &o.services[i]
			if s.prefix != fed.prefix || !s.openIn(m.Year()) {
				continue
			}
			level := s.size * activitySeason[m.Month()-1] * trend
			consultations := max(1, int(math.Round(fed.consultations*level*(1+0.07*r.NormFloat64()))))
			followed := max(1, min(consultations, int(math.Round(float64(consultations)*fed.followedShare*(1+0.05*r.NormFloat64())))))
			hours := math.Max(7.5, math.Round(fed.hours*level*(1+0.04*r.NormFloat64())*2)/2)
			rec := []string{period, s.code, s.name, s.postcode, strconv.Itoa(consultations), strconv.Itoa(followed), formatDecimal(hours)}
			if err := cw.Write(rec); err != nil {
				return rows, err
			}
			rows++
		}
		cw.Flush()
		return rows, cw.Error()
	}
}
