package reports

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/golang/freetype/truetype"
	chart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/locale"
)

const (
	// Charts are laid out for chartWidth × chartHeight CSS pixels and drawn
	// at chartScale times that size so that they stay sharp on paper.
	chartWidth  = 900
	chartHeight = 400
	chartScale  = 2
	// lineMonths is how many months the line chart covers.
	lineMonths = 24
)

// bassinColors are the Okabe–Ito colours, distinguishable with the common
// colour-vision deficiencies and in greyscale print; the i-th bassin of the
// geography always gets the i-th colour.
var bassinColors = []drawing.Color{
	drawing.ColorFromHex("0072B2"),
	drawing.ColorFromHex("E69F00"),
	drawing.ColorFromHex("009E73"),
	drawing.ColorFromHex("CC79A7"),
	drawing.ColorFromHex("D55E00"),
	drawing.ColorFromHex("56B4E9"),
	drawing.ColorFromHex("F0E442"),
}

func bassinColor(i int) drawing.Color { return bassinColors[i%len(bassinColors)] }

var (
	gridColor = drawing.ColorFromHex("DDDDDD")
	textColor = drawing.ColorFromHex("222222")
)

// barValue is one bar of a bassin bar chart.
type barValue struct {
	Label string
	Value float64
	// Display is the value as the summary table prints it: "123,4", "< 5"
	// for a suppressed value, "—" for a missing one.
	Display    string
	Suppressed bool
	Missing    bool
}

// bassinBarChart builds a bar chart comparing the bassins on one indicator.
// The value axis starts at zero (go-chart would otherwise start it at the
// smallest bar and exaggerate differences). Suppressed and missing values are
// drawn with zero height and labelled with their display text ("< 5", "—"),
// never with their number.
func bassinBarChart(bars []barValue, lc locale.Locale, font *truetype.Font) chart.BarChart {
	var top float64
	values := make([]chart.Value, len(bars))
	for i, b := range bars {
		v := b.Value
		if b.Suppressed || b.Missing || math.IsNaN(v) || v < 0 {
			v = 0
		}
		top = math.Max(top, v)
		values[i] = chart.Value{
			Label: chartText(b.Label + "\n" + b.Display),
			Value: v,
			Style: chart.Style{FillColor: bassinColor(i), StrokeColor: bassinColor(i), StrokeWidth: 1},
		}
	}
	axisMax, ticks := valueAxis(top, lc)
	return chart.BarChart{
		Font:       font,
		Width:      chartWidth * chartScale,
		Height:     chartHeight * chartScale,
		DPI:        chart.DefaultDPI * chartScale,
		BarWidth:   100 * chartScale,
		BarSpacing: 60 * chartScale,
		Background: chart.Style{Padding: chart.Box{Top: 20 * chartScale, Left: 20 * chartScale, Right: 10 * chartScale, Bottom: 40 * chartScale}},
		XAxis:      chart.Style{FontColor: textColor, FontSize: 10},
		YAxis: chart.YAxis{
			Style:          chart.Style{FontColor: textColor, FontSize: 9},
			Range:          &chart.ContinuousRange{Min: 0, Max: axisMax},
			Ticks:          ticks,
			GridMajorStyle: chart.Style{StrokeColor: gridColor, StrokeWidth: chartScale},
			GridMinorStyle: chart.Style{StrokeColor: gridColor, StrokeWidth: chartScale},
		},
		Bars: values,
	}
}

// bassinSeries is one bassin's line of the monthly line chart.
type bassinSeries struct {
	Name   string
	Values []float64
	// Shown is false for months whose value is missing or suppressed: they
	// are left out and the line breaks there.
	Shown []bool
}

// monthlyLineChart builds the line chart of an indicator per bassin over
// months. Each run of consecutive shown months is its own series, so a left
// out month breaks the line instead of being bridged. ok is false when no
// month of any bassin can be shown.
func monthlyLineChart(months []time.Time, series []bassinSeries, lc locale.Locale, font *truetype.Font) (c chart.Chart, ok bool) {
	var top float64
	var lines []chart.Series
	for i, s := range series {
		style := chart.Style{
			StrokeColor: bassinColor(i), StrokeWidth: 2 * chartScale,
			DotColor: bassinColor(i), DotWidth: 2.5 * chartScale,
		}
		named := false
		var seg *chart.ContinuousSeries
		for m := range months {
			if m >= len(s.Values) || !s.Shown[m] {
				seg = nil
				continue
			}
			if seg == nil {
				seg = &chart.ContinuousSeries{Style: style}
				if !named {
					// Only the first piece is named: the legend lists each bassin once.
					seg.Name, named = chartText(s.Name), true
				}
				lines = append(lines, seg)
			}
			seg.XValues = append(seg.XValues, float64(m))
			seg.YValues = append(seg.YValues, s.Values[m])
			top = math.Max(top, s.Values[m])
		}
	}
	if len(lines) == 0 {
		return chart.Chart{}, false
	}
	axisMax, yTicks := valueAxis(top, lc)
	xTicks := make([]chart.Tick, len(months))
	for i, m := range months {
		xTicks[i] = chart.Tick{Value: float64(i)}
		// Every third month, counted back from the report's month, is named.
		if (len(months)-1-i)%3 == 0 {
			xTicks[i].Label = chartText(lc.ShortMonth(m))
		}
	}
	c = chart.Chart{
		Font:       font,
		Width:      chartWidth * chartScale,
		Height:     chartHeight * chartScale,
		DPI:        chart.DefaultDPI * chartScale,
		Background: chart.Style{Padding: chart.Box{Top: 45 * chartScale, Left: 20 * chartScale, Right: 10 * chartScale, Bottom: 10 * chartScale}},
		XAxis: chart.XAxis{
			Style: chart.Style{FontColor: textColor, FontSize: 9},
			Range: &chart.ContinuousRange{Min: 0, Max: float64(len(months) - 1)},
			Ticks: xTicks,
		},
		YAxis: chart.YAxis{
			Style:          chart.Style{FontColor: textColor, FontSize: 9},
			Range:          &chart.ContinuousRange{Min: 0, Max: axisMax},
			Ticks:          yTicks,
			GridMajorStyle: chart.Style{StrokeColor: gridColor, StrokeWidth: chartScale},
			GridMinorStyle: chart.Style{StrokeColor: gridColor, StrokeWidth: chartScale},
		},
		Series: lines,
	}
	c.Elements = []chart.Renderable{chart.LegendThin(&c, chart.Style{FontSize: 10, FontColor: textColor})}
	return c, true
}

// valueAxis returns the top of a value axis that starts at zero and its
// ticks: about five steps of 1, 2 or 5 times a power of ten, labelled the way
// the report's language writes numbers.
func valueAxis(max float64, lc locale.Locale) (top float64, ticks []chart.Tick) {
	if !(max > 0) || math.IsInf(max, 0) {
		max = 1
	}
	raw := max / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	decimals := 0
	if step < 1 {
		decimals = int(-math.Floor(math.Log10(step) + 1e-9))
	}
	n := int(math.Ceil(max/step - 1e-9))
	scale := math.Pow(10, float64(decimals))
	for i := 0; i <= n; i++ {
		v := math.Round(float64(i)*step*scale) / scale
		ticks = append(ticks, chart.Tick{Value: v, Label: chartText(lc.Number(v, decimals))})
	}
	return ticks[n].Value, ticks
}

// chartText adapts text for the chart font: Roboto has no narrow no-break
// space, the French thousands separator.
func chartText(s string) string {
	return strings.ReplaceAll(s, "\u202f", " ")
}

// pngDataURI renders a chart to PNG in memory and returns it as a data URI,
// so that the report needs no file next to it.
func pngDataURI(c interface {
	Render(chart.RendererProvider, io.Writer) error
}) (template.URL, error) {
	var buf bytes.Buffer
	if err := c.Render(chart.PNG, &buf); err != nil {
		return "", err
	}
	// The URI is built here from PNG bytes only, so it is safe to mark as a URL.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// charts builds the report's three charts: two bar charts comparing the
// bassins for the month, and the line chart of contacts over lineMonths months.
func (w *Writer) charts(snap *indicators.Snapshot, period time.Time, lc locale.Locale, msg *messages) ([]figure, error) {
	lang := lc.Lang()
	g := snap.Geography
	month := lc.Month(period)
	var figs []figure
	for _, code := range []string{"contacts_per_10k", "treatment_demands"} {
		def, _ := snap.Lookup(code)
		bars := make([]barValue, len(g.Bassins))
		alt := make([]string, len(g.Bassins))
		var shown, missing int
		for i, b := range g.Bassins {
			name := g.Name(geography.LevelBassin, b.Code, lang)
			bars[i] = barValue{Label: name, Display: locale.NoValue, Missing: true}
			if v, ok := snap.Get(code, geography.LevelBassin, b.Code, period); ok {
				bars[i] = barValue{Label: name, Value: v.Value, Display: snap.Display(v, lang), Suppressed: snap.Suppressed(v)}
				shown++
			} else {
				missing++
			}
			alt[i] = name + msg.Colon + bars[i].Display
		}
		fig := figure{
			Title:  fmt.Sprintf(msg.BarTitle, def.Name.Text(lang), month),
			Alt:    fmt.Sprintf(msg.BarAlt, lowerFirst(def.Name.Text(lang)), month, strings.Join(alt, msg.ListSep)),
			Note:   fmt.Sprintf(msg.BarNote, snap.MinCount, snap.MinCount),
			Width:  chartWidth,
			Height: chartHeight,
		}
		if missing > 0 {
			fig.Note += " " + msg.BarMissing
		}
		if shown == 0 {
			fig.Note = msg.NoChart
			figs = append(figs, fig)
			continue
		}
		src, err := pngDataURI(bassinBarChart(bars, lc, w.font))
		if err != nil {
			return nil, fmt.Errorf("reports: draw chart of %s: %w", code, err)
		}
		fig.Src = src
		figs = append(figs, fig)
	}

	const code = "contacts"
	def, _ := snap.Lookup(code)
	from := period.AddDate(0, -(lineMonths - 1), 0)
	var months []time.Time
	var series []bassinSeries
	names := make([]string, len(g.Bassins))
	for i, b := range g.Bassins {
		names[i] = g.Name(geography.LevelBassin, b.Code, lang)
		var values []indicators.Value
		var found []bool
		months, values, found = snap.Series(code, geography.LevelBassin, b.Code, from, period)
		s := bassinSeries{Name: names[i]}
		for m, v := range values {
			s.Values = append(s.Values, v.Value)
			s.Shown = append(s.Shown, found[m] && !snap.Suppressed(v))
		}
		series = append(series, s)
	}
	span := lc.MonthSpan(from, period)
	fig := figure{
		Title:  fmt.Sprintf(msg.LineTitle, def.Name.Text(lang), span),
		Alt:    fmt.Sprintf(msg.LineAlt, lowerFirst(def.Name.Text(lang)), span, lc.List(names)),
		Note:   fmt.Sprintf(msg.LineNote, snap.MinCount),
		Width:  chartWidth,
		Height: chartHeight,
	}
	c, ok := monthlyLineChart(months, series, lc, w.font)
	if !ok {
		fig.Note = msg.NoChart
		return append(figs, fig), nil
	}
	src, err := pngDataURI(c)
	if err != nil {
		return nil, fmt.Errorf("reports: draw chart of %s: %w", code, err)
	}
	fig.Src = src
	return append(figs, fig), nil
}
