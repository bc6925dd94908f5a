package demo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// Place types, poles and referral destinations as the teams log them.
const (
	placeStreet   = "rue"
	placeShelter  = "centre d'hébergement"
	placeHotel    = "hôtel"
	placeHome     = "domicile"
	placeStation  = "gare"
	placeSquat    = "squat"
	placeElsewher = "autre"
)

const (
	poleMedical = 1 << iota
	polePsychological
	poleSocial
	poleHarmReduction
)

var poleNames = [4]string{"medical", "psychological", "social", "harm_reduction"}

// contactsPerMonth is the volume of all teams together at scale 1, and
// renfortShare the part of it done by RENFORT's home visits.
const (
	contactsPerMonth = 1500.0
	renfortShare     = 0.10
)

// teamSpec is one mobile team.
type teamSpec struct {
	name   string
	prefix string // of the raw person identifiers the team keeps
	share  float64
	// affinity boosts the postcodes around the team's base.
	affinity map[string]float64
}

// familySpec is a family of teams that delivers one file per month.
type familySpec struct {
	name   string // file name prefix
	stream uint64
	teams  []teamSpec
	// Persons known before the first month, and new persons a month, at scale 1.
	initialPersons, newPerMonth float64
	places                      []option
	usualPlace                  float64 // probability a contact is at the person's usual place type
	stayHome                    float64 // probability a contact is in the person's own area
	injecting                   float64 // share of persons who inject
	poles                       [4]float64
	referral                    float64
	destinations                []option
	hours                       [24]float64
	weekday                     [7]float64 // Sunday first, as time.Weekday
}

var comboFamily = familySpec{
	name:   "combo",
	stream: streamCombo,
	teams: []teamSpec{
		{"Projet Lama", "LAMA", 0.30, map[string]float64{"1070": 2, "1080": 2, "1050": 1.5}},
		{"MASS", "MASS", 0.25, map[string]float64{"1000": 1.8, "1060": 2}},
		{"Transit", "TRANSIT", 0.25, map[string]float64{"1030": 2, "1210": 2, "1000": 1.3}},
		{"SAMPAS", "SAMPAS", 0.20, map[string]float64{"1000": 1.5, "1210": 1.5, "1060": 1.3}},
	},
	initialPersons: 650,
	newPerMonth:    48,
	places: []option{
		{placeStreet, 34}, {placeShelter, 26}, {placeHotel, 11}, {placeStation, 10},
		{placeSquat, 8}, {placeHome, 3}, {placeElsewher, 8},
	},
	usualPlace: 0.7,
	stayHome:   0.85,
	injecting:  0.3,
	poles:      [4]float64{0.40, 0.18, 0.35, 0.50},
	referral:   0.17,
	destinations: []option{
		{"maison médicale", 22}, {"service de santé mentale", 10}, {"centre d'accueil de jour", 18},
		{"hôpital", 14}, {"CPAS", 16}, {"service en assuétudes", 12}, {"maison d'accueil", 8},
	},
	hours: [24]float64{0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3, 4, 4,
		3.5, 4, 4.5, 4.5, 4, 3.5, 3, 2.5, 2, 1.5, 1, 0.6},
	weekday: [7]float64{0.45, 1, 1, 1, 1, 1, 0.6},
}

var renfortFamily = familySpec{
	name:   "renfort",
	stream: streamRenfort,
	teams: []teamSpec{
		{"RENFORT", "RENFORT", 1, map[string]float64{"1000": 1.2, "1030": 1.2, "1080": 1.2, "1070": 1.2}},
	},
	initialPersons: 70,
	newPerMonth:    6,
	places: []option{
		{placeHome, 85}, {placeShelter, 5}, {placeHotel, 3}, {placeStreet, 2}, {placeElsewher, 5},
	},
	usualPlace: 0.9,
	stayHome:   0.97,
	injecting:  0.05,
	poles:      [4]float64{0.45, 0.70, 0.45, 0.04},
	referral:   0.28,
	destinations: []option{
		{"service de santé mentale", 35}, {"hôpital", 20}, {"maison médicale", 15}, {"CPAS", 15},
		{"service en assuétudes", 7}, {"centre d'accueil de jour", 5}, {"maison d'accueil", 3},
	},
	hours:   [24]float64{8: 0.3, 9: 1, 10: 1, 11: 1, 12: 0.6, 13: 1, 14: 1, 15: 1, 16: 1, 17: 0.4},
	weekday: [7]float64{0.02, 1, 1, 1, 1, 1, 0.05},
}

// volume is the number of contacts of each family in a month.
type volume struct{ combo, renfort int }

// seasonTrend is the expected volume of month mi of n relative to the mean: a
// winter peak (the winter plan opens extra shelters that the teams visit) and
// a mild upward trend.
func seasonTrend(m time.Time, mi, n int) float64 {
	season := 1 + 0.10*math.Cos(2*math.Pi*float64(m.Month()-1)/12)
	trend := 1 + 0.06*(float64(mi)-float64(n-1)/2)/12
	return season * trend
}

func contactVolumes(r *rand.Rand, months []time.Time, scale float64) []volume {
	out := make([]volume, len(months))
	for mi, m := range months {
		total := contactsPerMonth * scale * seasonTrend(m, mi, len(months)) * (1 + 0.03*r.NormFloat64())
		renfort := total * renfortShare * (1 + 0.08*r.NormFloat64())
		out[mi] = volume{combo: atLeastOne(total - renfort), renfort: atLeastOne(renfort)}
	}
	return out
}

// person is one person a family of teams knows.
type person struct {
	id      string
	team    int
	home    string // postcode of the area the person stays in
	place   string // usual place type
	injects bool
	weight  float64 // how often the person is met: heavy-tailed
	first   int     // first active month index (negative: known before)
	last    int     // last active month index
}

// contact is one logged contact.
type contact struct {
	day         int // 1-based day of the month
	minute      int // minute of the day
	team        string
	place       string
	postcode    string
	person      string
	poles       uint8
	referral    bool
	destination string
	syringes    int
	kits        int
	naloxone    int
}

// family generates the contacts of a family of teams month after month. Its
// persons recur across months: a few are met almost daily, most a few times,
// new ones appear every month and others drop out.
type family struct {
	spec       familySpec
	r          *rand.Rand
	months     int
	newRate    float64
	teams      choice
	postcodes  []choice // per team
	places     choice
	dests      choice
	hours      []float64
	persons    []person
	usedIDs    []map[int]bool // per team
	poleChoice choice

	// state of the current month
	monthIndex int
	perDay     []int
	newByDay   [][]int
	active     []int
	cumulative []float64
}

func newFamily(seed int64, spec familySpec, g *geo, scale float64, months int) *family {
	return newFamilyRand(newRand(seed, spec.stream), spec, g, scale, months)
}

func newFamilyRand(r *rand.Rand, spec familySpec, g *geo, scale float64, months int) *family {
	f := &family{spec: spec, r: r, months: months, newRate: spec.newPerMonth * scale,
		places: newChoice(spec.places), dests: newChoice(spec.destinations)}
	teams := make([]option, len(spec.teams))
	for i, t := range spec.teams {
		teams[i] = option{t.name, t.share}
		f.postcodes = append(f.postcodes, g.weighted(outreachNeed, t.affinity))
		f.usedIDs = append(f.usedIDs, map[int]bool{})
	}
	f.teams = newChoice(teams)
	poles := make([]option, 4)
	for i, p := range spec.poles {
		poles[i] = option{poleNames[i], p}
	}
	f.poleChoice = newChoice(poles)
	var sum float64
	for _, w := range spec.hours {
		sum += w
		f.hours = append(f.hours, sum)
	}
	initial := max(1, int(math.Round(spec.initialPersons*scale)))
	for range initial {
		f.addPerson(-1 - f.r.IntN(24))
	}
	return f
}

// addPerson creates a person first met in month first (negative: before the
// data) and returns its index.
func (f *family) addPerson(first int) int {
	r := f.r
	team := f.teams.index(r)
	id := r.IntN(1000000)
	for f.usedIDs[team][id] {
		id = r.IntN(1000000)
	}
	f.usedIDs[team][id] = true
	p := person{
		id:      fmt.Sprintf("%s-%06d", f.spec.teams[team].prefix, id),
		team:    team,
		home:    f.postcodes[team].pick(r),
		place:   f.places.pick(r),
		injects: r.Float64() < f.spec.injecting,
		// Pareto with a shape of 1.5, capped: most persons are met now and
		// then, a few several times a week.
		weight: math.Min(15, math.Pow(1-r.Float64(), -1/1.5)),
		first:  first,
	}
	switch u := r.Float64(); {
	case u < 0.30: // met once or within one month
		p.last = max(first, 0)
	case u < 0.92:
		p.last = max(first, 0) + int(r.ExpFloat64()*9)
	default: // long-term follow-up
		p.last = math.MaxInt32
	}
	if first < 0 {
		// Known before the data: the part of the follow-up still ahead.
		p.last = max(0, p.last+first/2)
	}
	f.persons = append(f.persons, p)
	return len(f.persons) - 1
}

// startMonth prepares month mi (first day m) with count contacts: new persons,
// the persons still followed and how many contacts fall on each day.
func (f *family) startMonth(mi int, m time.Time, count int) {
	r := f.r
	f.monthIndex = mi
	f.active = f.active[:0]
	for i, p := range f.persons {
		if p.first <= mi && mi <= p.last {
			f.active = append(f.active, i)
		}
	}
	newCount := min(count, poisson(r, f.newRate))
	if len(f.active) == 0 && newCount == 0 && count > 0 {
		newCount = 1
	}
	days := daysIn(m)
	dayWeights := make([]float64, days)
	var sum float64
	for d := range days {
		sum += f.spec.weekday[m.AddDate(0, 0, d).Weekday()]
		dayWeights[d] = sum
	}
	f.perDay = make([]int, days)
	f.newByDay = make([][]int, days)
	// Every new person is met at least once in their first month.
	for range newCount {
		i := f.addPerson(mi)
		d := cumulativePick(r, dayWeights)
		f.newByDay[d] = append(f.newByDay[d], i)
		f.perDay[d]++
		f.active = append(f.active, i)
	}
	f.cumulative = f.cumulative[:0]
	sum = 0
	for _, i := range f.active {
		sum += f.persons[i].weight
		f.cumulative = append(f.cumulative, sum)
	}
	for range count - newCount {
		f.perDay[cumulativePick(r, dayWeights)]++
	}
}

// day appends the contacts of day d (0-based) of the current month to out,
// in time order.
func (f *family) day(d int, out []contact) []contact {
	start := len(out)
	for _, i := range f.newByDay[d] {
		out = append(out, f.contact(i, d))
	}
	for range f.perDay[d] - len(f.newByDay[d]) {
		out = append(out, f.contact(f.active[cumulativePick(f.r, f.cumulative)], d))
	}
	slices.SortStableFunc(out[start:], func(a, b contact) int { return a.minute - b.minute })
	return out
}

func (f *family) contact(pi, d int) contact {
	r, p, spec := f.r, &f.persons[pi], &f.spec
	c := contact{day: d + 1, team: spec.teams[p.team].name, person: p.id, postcode: p.home, place: p.place}
	c.minute = cumulativePick(r, f.hours)*60 + r.IntN(60)
	if r.Float64() >= spec.stayHome {
		c.postcode = f.postcodes[p.team].pick(r)
	}
	if r.Float64() >= spec.usualPlace {
		c.place = f.places.pick(r)
	}
	for i, prob := range spec.poles {
		if i == 3 && p.injects {
			prob = math.Min(0.95, prob+0.3)
		}
		if r.Float64() < prob {
			c.poles |= 1 << i
		}
	}
	if c.poles == 0 {
		c.poles = 1 << f.poleChoice.index(r)
	}
	if r.Float64() < spec.referral {
		c.referral = true
		c.destination = f.dests.pick(r)
	}
	// Naloxone is handed out more as the programme grows (action 3.21).
	naloxone := 0.02 + 0.02*float64(f.monthIndex)/float64(max(1, f.months))
	if c.poles&poleHarmReduction != 0 {
		if p.injects && r.Float64() < 0.75 {
			c.syringes = []int{5, 10, 10, 10, 20, 20, 30, 50}[r.IntN(8)]
			c.kits = r.IntN(4)
		} else if r.Float64() < 0.5 {
			c.kits = 1 + r.IntN(4) // smoking kits, for crack
		}
		if r.Float64() < naloxone {
			c.naloxone = 1 + r.IntN(2)
		}
	} else if r.Float64() < naloxone/10 {
		c.naloxone = 1
	}
	return c
}

// contactRecord is one line of the JSON Lines logs, keys in file order.
type contactRecord struct {
	Date                string   `json:"date"`
	Time                string   `json:"time"`
	Team                string   `json:"team"`
	PlaceType           string   `json:"place_type"`
	Postcode            string   `json:"postcode"`
	Person              string   `json:"person"`
	Poles               []string `json:"poles"`
	Referral            bool     `json:"referral"`
	ReferralDestination string   `json:"referral_destination"`
	Syringes            int      `json:"syringes"`
	Kits                int      `json:"kits"`
	Naloxone            int      `json:"naloxone"`
}

func polesList(mask uint8) []string {
	out := make([]string, 0, 4)
	for i, name := range poleNames {
		if mask&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// writeJSONL returns the body of the family's log for month mi.
func (f *family) writeJSONL(mi int, m time.Time, count int) fileBody {
	return func(w io.Writer) (int, error) {
		f.startMonth(mi, m, count)
		enc := json.NewEncoder(w)
		var buf []contact
		rows := 0
		for d := range len(f.perDay) {
			buf = f.day(d, buf[:0])
			date := m.AddDate(0, 0, d).Format(time.DateOnly)
			for _, c := range buf {
				rec := contactRecord{Date: date, Time: clock(c.minute), Team: c.team, PlaceType: c.place,
					Postcode: c.postcode, Person: c.person, Poles: polesList(c.poles), Referral: c.referral,
					ReferralDestination: c.destination, Syringes: c.syringes, Kits: c.kits, Naloxone: c.naloxone}
				if err := enc.Encode(rec); err != nil {
					return rows, err
				}
				rows++
			}
		}
		return rows, nil
	}
}

func clock(minute int) string {
	return fmt.Sprintf("%02d:%02d", minute/60, minute%60)
}

// ContactsCSVHeader is the header line of WriteContactsCSV.
const ContactsCSVHeader = "date;time;team;place_type;postcode;person;poles;referral;referral_destination;syringes;kits;naloxone"

// WriteContactsCSV writes n contact rows, header first, as a ';'-separated
// UTF-8 file with LF line ends: date as YYYY-MM-DD, poles joined with '|',
// referral as 1/0. The rows are spread over the 36 months ending with the
// month of until, both team families mixed, in time order. It streams: only
// the persons and one day of contacts are held in memory, so it is fit to
// make millions of rows for a benchmark. A seed of 0 means 1.
func WriteContactsCSV(w io.Writer, n int, seed int64, until time.Time) error {
	return WriteContactsCSVMonths(w, n, 36, seed, until)
}

// WriteContactsCSVMonths is WriteContactsCSV over monthCount months ending
// with the month of until.
func WriteContactsCSVMonths(w io.Writer, n, monthCount int, seed int64, until time.Time) error {
	seed, g, months, err := benchRun(n, monthCount, seed, until)
	if err != nil {
		return err
	}
	r := newRand(seed, streamBenchmark)
	// Persons grow with the volume, up to a pool the 6-digit identifiers hold.
	personScale := math.Min(100, float64(n)/(contactsPerMonth*float64(monthCount)))
	combo := newFamilyRand(r, comboFamily, g, personScale, monthCount)
	renfort := newFamilyRand(r, renfortFamily, g, personScale, monthCount)

	counts := monthCounts(n, months, seasonTrend)

	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteString(ContactsCSVHeader + "\n")
	var buf []contact
	line := make([]byte, 0, 256)
	for mi, m := range months {
		ren := int(math.Round(float64(counts[mi]) * renfortShare))
		combo.startMonth(mi, m, counts[mi]-ren)
		renfort.startMonth(mi, m, ren)
		prefix := m.Format("2006-01-")
		for d := range daysIn(m) {
			buf = combo.day(d, buf[:0])
			buf = renfort.day(d, buf)
			slices.SortStableFunc(buf, func(a, b contact) int { return a.minute - b.minute })
			for _, c := range buf {
				line = appendContactCSV(line[:0], prefix, c)
				if _, err := bw.Write(line); err != nil {
					return fmt.Errorf("demo: write contacts: %w", err)
				}
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("demo: write contacts: %w", err)
	}
	return nil
}

// monthCounts splits n over months, each weighing weight(m, mi,
// len(months)): exact monthly counts summing to n, the largest remainders
// of the expected shares.
func monthCounts(n int, months []time.Time, weight func(m time.Time, mi, n int) float64) []int {
	weights := make([]float64, len(months))
	var total float64
	for mi, m := range months {
		weights[mi] = weight(m, mi, len(months))
		total += weights[mi]
	}
	return apportion(n, weights, total)
}

// apportion splits n into parts proportional to weights, summing exactly to n.
func apportion(n int, weights []float64, total float64) []int {
	counts := make([]int, len(weights))
	rest := make([]float64, len(weights))
	left := n
	for i, w := range weights {
		exact := float64(n) * w / total
		counts[i] = int(exact)
		rest[i] = exact - float64(counts[i])
		left -= counts[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rest[a] > rest[b]:
			return -1
		case rest[a] < rest[b]:
			return 1
		}
		return 0
	})
	for i := 0; left > 0; i++ {
		counts[order[i%len(order)]]++
		left--
	}
	return counts
}

func appendContactCSV(b []byte, monthPrefix string, c contact) []byte {
	b = append(b, monthPrefix...)
	b = appendTwoDigits(b, c.day)
	b = append(b, ';')
	b = appendTwoDigits(b, c.minute/60)
	b = append(b, ':')
	b = appendTwoDigits(b, c.minute%60)
	b = append(b, ';')
	b = appendCSVField(b, c.team)
	b = append(b, ';')
	b = appendCSVField(b, c.place)
	b = append(b, ';')
	b = appendCSVField(b, c.postcode)
	b = append(b, ';')
	b = appendCSVField(b, c.person)
	b = append(b, ';')
	first := true
	for i, name := range poleNames {
		if c.poles&(1<<i) != 0 {
			if !first {
				b = append(b, '|')
			}
			b = append(b, name...)
			first = false
		}
	}
	b = append(b, ';')
	if c.referral {
		b = append(b, '1')
	} else {
		b = append(b, '0')
	}
	b = append(b, ';')
	b = appendCSVField(b, c.destination)
	b = append(b, ';')
	b = strconv.AppendInt(b, int64(c.syringes), 10)
	b = append(b, ';')
	b = strconv.AppendInt(b, int64(c.kits), 10)
	b = append(b, ';')
	b = strconv.AppendInt(b, int64(c.naloxone), 10)
	return append(b, '\n')
}

func appendTwoDigits(b []byte, x int) []byte {
	return append(b, byte('0'+x/10), byte('0'+x%10))
}

// appendCSVField quotes a field only when CSV rules require it.
func appendCSVField(b []byte, s string) []byte {
	needs := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ';', '"', '\n', '\r':
			needs = true
		}
	}
	if !needs {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
