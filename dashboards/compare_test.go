package dashboards

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
)

// TestBassinComparisons renders a bassin from a snapshot written by hand:
// the year before, the Region, the interval and its marker, the incomplete
// marker, the population date and the warning on an old population.
func TestBassinComparisons(t *testing.T) {
	feb := time.Date(2025, time.February, 1, 0, 0, 0, 0, time.UTC)
	jan2024 := time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)
	jan2022 := time.Date(2022, time.January, 1, 0, 0, 0, 0, time.UTC)
	v := func(ind, level, code string, period time.Time, num, den, value float64) indicators.Value {
		return indicators.Value{Indicator: ind, PeriodType: "month", Level: level, Code: code, Period: period,
			Value: value, Numerator: num, Denominator: den}
	}
	region := geography.RegionCode
	rate := v("contacts_per_10k", "bassin", "nord", feb, 400, 200000, 20)
	rate.PopulationDate = jan2024
	contacts := v("contacts", "bassin", "nord", feb, 400, 0, 400)
	contacts.Incomplete = true
	services := v("services_per_10k", "bassin", "nord", feb, 30, 200000, 1.5)
	services.PopulationDate = jan2022
	hours := v("federation_hours", "bassin", "nord", feb, 120, 0, 120)
	hours.Breakdown, hours.Category = "federation", "fedito"
	values := []indicators.Value{
		rate,
		v("contacts_per_10k", "bassin", "nord", feb.AddDate(0, -1, 0), 380, 200000, 19),
		v("contacts_per_10k", "bassin", "nord", feb.AddDate(-1, 0, 0), 300, 200000, 15),
		v("contacts_per_10k", "region", region, feb, 1000, 1000000, 10),
		contacts,
		v("referrals", "bassin", "nord", feb, 50, 0, 50),
		v("referral_share", "bassin", "nord", feb, 50, 100, 50),
		v("referral_share", "region", region, feb, 5000, 10000, 50),
		services, hours,
	}
	snap := indicators.NewSnapshot("run", time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), testGeography(t), nil, 5, values)
	interval := regexp.MustCompile(`<td class="num">(\d+),(\d) – (\d+),(\d)</td>`)
	bounds := func(row string) (lo, hi float64, ok bool) {
		m := interval.FindStringSubmatch(row)
		if m == nil {
			return 0, 0, false
		}
		lo, _ = strconv.ParseFloat(m[1]+"."+m[2], 64)
		hi, _ = strconv.ParseFloat(m[3]+"."+m[4], 64)
		return lo, hi, true
	}
	tests := []struct {
		lang                                      string
		rateName, shareName, contactsName, hours  string
		themes                                    []string
		popDate, warning, incomplete, differsNote string
	}{
		{"fr", "Densité d'activité\u00a0: contacts pour 10\u202f000 habitants", "Part des contacts avec orientation", "Contacts des équipes mobiles",
			"Heures prestées déclarées par fédération — fedito",
			[]string{"Travail de rue / équipes mobiles", "Demandes de traitement (TDI)", "Offre d'aide et de soins", "Activité des fédérations"},
			"population au 1er janvier 2024", "pour février 2025, des taux reposent sur une population au 1er janvier 2022, plus de deux ans avant ce mois",
			"incomplet", "◆\u00a0: l'intervalle de confiance à 95\u202f% de la valeur du bassin exclut la valeur de la Région"},
		{"nl", "Activiteitsdichtheid: contacten per 10.000 inwoners", "Aandeel contacten met doorverwijzing", "Contacten van de mobiele teams",
			"Gepresteerde uren gemeld per federatie — fedito",
			[]string{"Outreach / mobiele teams", "Behandelingsaanvragen (TDI)", "Zorg- en hulpaanbod", "Activiteit van de federaties"},
			"bevolking op 1 januari 2024", "voor februari 2025 steunen cijfers op de bevolking op 1 januari 2022, meer dan twee jaar vóór die maand",
			"onvolledig", "◆: het 95%-betrouwbaarheidsinterval van de waarde van de zorgzone sluit de waarde van het Gewest uit"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			page := text(renderPage(t, func(b *bytes.Buffer) error { return RenderBassin(b, snap, "nord", tt.lang, brussels()) }))
			at := -1
			for _, th := range tt.themes {
				i := strings.Index(page, `<th scope="colgroup" colspan="8">`+th+`</th>`)
				if i <= at {
					t.Errorf("theme %q missing or out of order", th)
				}
				at = i
			}
			row := rowOf(t, page, tt.rateName)
			for _, w := range []string{">20,0", ">19,0<", ">15,0<", ">10,0<", "◆", tt.popDate} {
				if !strings.Contains(row, w) {
					t.Errorf("rate row %q lacks %q", row, w)
				}
			}
			// 400 contacts: the interval spans about ±2 per 10,000 around 20.
			if lo, hi, ok := bounds(row); !ok || lo < 17.5 || lo > 19 || hi < 21 || hi > 22.5 {
				t.Errorf("rate row %q: interval %v–%v, want about 18–22", row, lo, hi)
			}
			share := rowOf(t, page, tt.shareName)
			if lo, hi, ok := bounds(share); !ok || lo > 50 || hi < 50 || strings.Contains(share, "◆") {
				t.Errorf("share row %q: want an interval around 50 %% and no marker: the Region is 50 %% too", share)
			}
			c := rowOf(t, page, tt.contactsName)
			if !strings.Contains(c, tt.incomplete) || strings.Contains(c, "◆") || interval.MatchString(c) {
				t.Errorf("contacts row %q: want %q, no interval, no marker", c, tt.incomplete)
			}
			if h := rowOf(t, page, tt.hours); !strings.Contains(h, ">120<") {
				t.Errorf("federation row %q lacks its 120 hours", h)
			}
			for _, w := range []string{tt.warning, tt.differsNote} {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
	// With recent populations, no warning.
	values[len(values)-2].PopulationDate = jan2024
	recent := indicators.NewSnapshot("run", time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), testGeography(t), nil, 5, values)
	page := text(renderPage(t, func(b *bytes.Buffer) error { return RenderBassin(b, recent, "nord", "fr", brussels()) }))
	if strings.Contains(page, "plus de deux ans") || strings.Contains(page, `class="warning"`) {
		t.Error("a warning on the population with populations of 2024")
	}
}
