package reports

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	chart "github.com/wcharczuk/go-chart/v2"

	"github.com/brusano/bassins/pipeline/locale"
)

func TestBassinBarChartStartsAtZero(t *testing.T) {
	w := newTestWriter(t, t.TempDir())
	tests := []struct {
		name    string
		bars    []barValue
		wantMax float64
	}{
		{"large values close together", []barValue{
			{Label: "Nord", Value: 950, Display: "950"},
			{Label: "Nord-Est", Value: 900, Display: "900"},
			{Label: "Sud", Value: 1000, Display: "1 000"},
			{Label: "Sud-Est", Value: 975, Display: "975"},
			{Label: "Centre-Ouest", Value: 925, Display: "925"},
		}, 1000},
		{"small rates", []barValue{
			{Label: "Nord", Value: 0.42, Display: "0,4"},
			{Label: "Sud", Value: 0.17, Display: "0,2"},
		}, 0.42},
		{"suppressed and missing", []barValue{
			{Label: "Nord", Value: 120, Display: "120"},
			{Label: "Nord-Est", Value: 3, Display: "< 5", Suppressed: true},
			{Label: "Sud", Display: "—", Missing: true},
		}, 120},
		{"everything suppressed", []barValue{
			{Label: "Nord", Value: 3, Display: "< 5", Suppressed: true},
			{Label: "Sud", Value: 4, Display: "< 5", Suppressed: true},
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := bassinBarChart(tt.bars, locale.New("fr", time.UTC), w.font)
			r, ok := c.YAxis.Range.(*chart.ContinuousRange)
			if !ok {
				t.Fatalf("value axis range is %T, want an explicit *chart.ContinuousRange", c.YAxis.Range)
			}
			if r.Min != 0 {
				t.Errorf("value axis starts at %v, want 0", r.Min)
			}
			if r.Max < tt.wantMax || r.Max <= 0 {
				t.Errorf("value axis ends at %v, below the largest bar %v", r.Max, tt.wantMax)
			}
			if first, last := c.YAxis.Ticks[0], c.YAxis.Ticks[len(c.YAxis.Ticks)-1]; first.Value != 0 || last.Value != r.Max {
				t.Errorf("ticks run from %v to %v, want 0 to %v", first.Value, last.Value, r.Max)
			}
			for i, b := range tt.bars {
				got := c.Bars[i]
				if (b.Suppressed || b.Missing) && got.Value != 0 {
					t.Errorf("bar %s drawn at %v: a suppressed or missing value must have zero height", b.Label, got.Value)
				}
				if !strings.HasSuffix(got.Label, "\n"+chartText(b.Display)) {
					t.Errorf("bar %s labelled %q, want its display text %q", b.Label, got.Label, b.Display)
				}
				if b.Suppressed && strings.Contains(got.Label, "3") {
					t.Errorf("suppressed bar %s shows its number: %q", b.Label, got.Label)
				}
			}
			var buf bytes.Buffer
			if err := c.Render(chart.PNG, &buf); err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(&buf); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestMonthlyLineChart(t *testing.T) {
	w := newTestWriter(t, t.TempDir())
	months := make([]time.Time, 6)
	for i := range months {
		months[i] = time.Date(2024, time.Month(i+1), 1, 0, 0, 0, 0, time.UTC)
	}
	series := []bassinSeries{
		// Month 2 is suppressed: the line breaks into two pieces.
		{Name: "Nord", Values: []float64{900, 950, 3, 980, 990, 1000}, Shown: []bool{true, true, false, true, true, true}},
		{Name: "Sud", Values: []float64{0, 0, 0, 0, 0, 0}, Shown: []bool{false, false, false, false, false, false}},
		{Name: "Sud-Est", Values: []float64{10, 0, 0, 0, 0, 12}, Shown: []bool{true, false, false, false, false, true}},
	}
	c, ok := monthlyLineChart(months, series, locale.New("fr", time.UTC), w.font)
	if !ok {
		t.Fatal("no chart for series with values")
	}
	if r := c.YAxis.Range.(*chart.ContinuousRange); r.Min != 0 || r.Max < 1000 {
		t.Errorf("value axis %v–%v, want 0 to at least 1000", r.Min, r.Max)
	}
	var names []string
	for _, s := range c.Series {
		cs := s.(*chart.ContinuousSeries)
		if cs.Name != "" {
			names = append(names, cs.Name)
		}
		for _, y := range cs.YValues {
			if y == 3 {
				t.Error("the suppressed month is drawn")
			}
		}
	}
	if len(c.Series) != 4 {
		t.Errorf("got %d line pieces, want 4 (Nord in two, Sud-Est in two)", len(c.Series))
	}
	if got := strings.Join(names, ","); got != "Nord,Sud-Est" {
		t.Errorf("legend names %q, want each drawn bassin once", got)
	}
	var buf bytes.Buffer
	if err := c.Render(chart.PNG, &buf); err != nil {
		t.Fatal(err)
	}

	none := []bassinSeries{{Name: "Nord", Values: make([]float64, 6), Shown: make([]bool, 6)}}
	if _, ok := monthlyLineChart(months, none, locale.New("fr", time.UTC), w.font); ok {
		t.Error("a chart was built without any value to show")
	}
}

func TestValueAxis(t *testing.T) {
	tests := []struct {
		max    float64
		lang   string
		top    float64
		labels string
	}{
		{1000, "fr", 1000, "0,200,400,600,800,1 000"},
		{1001, "nl", 1500, "0,500,1.000,1.500"},
		{0.42, "fr", 0.5, "0,0,0,1,0,2,0,3,0,4,0,5"},
		{0, "fr", 1, "0,0,0,2,0,4,0,6,0,8,1,0"},
		{7, "nl", 8, "0,2,4,6,8"},
		{45678, "fr", 50000, "0,10 000,20 000,30 000,40 000,50 000"},
	}
	for _, tt := range tests {
		top, ticks := valueAxis(tt.max, locale.New(tt.lang, time.UTC))
		var labels []string
		for _, tk := range ticks {
			labels = append(labels, tk.Label)
		}
		if top != tt.top || strings.Join(labels, ",") != tt.labels {
			t.Errorf("valueAxis(%v) = %v %q, want %v %q", tt.max, top, strings.Join(labels, ","), tt.top, tt.labels)
		}
	}
}
