package dashboards

import (
	"html/template"
	"math"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"

	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/locale"
)

// assetsPath is where the server serves the ECharts script. go-echarts'
// default host is a public web site; pages must load nothing from outside
// the server.
const assetsPath = "/assets/"

// gap is how ECharts is told a point has no value: the line breaks there and
// no bar is drawn. Suppressed values are written as gaps so that their number
// never reaches the page.
const gap = "-"

// chartPoint is one value of a chart: its label and what the chart may show.
type chartPoint struct {
	label string
	value any // a number, or gap
	shown string
}

// pointOf turns a stored value into a chart point: a gap when the value is
// missing or suppressed, the value rounded as displayed otherwise.
func pointOf(snap *indicators.Snapshot, v indicators.Value, found bool, label, lang string) chartPoint {
	if !found {
		return chartPoint{label: label, value: gap, shown: locale.NoValue}
	}
	shown := snap.Display(v, lang)
	if snap.Suppressed(v) {
		return chartPoint{label: label, value: gap, shown: shown}
	}
	d, _ := snap.Lookup(v.Indicator)
	scale := math.Pow10(max(d.Decimals, 0))
	return chartPoint{label: label, value: math.Round(v.Value*scale) / scale, shown: shown}
}

// chartSeries is one named series of a chart.
type chartSeries struct {
	name   string
	points []chartPoint
}

// chartView is a rendered chart with its data as a table, for readers who
// cannot see the chart and for copying the figures.
type chartView struct {
	ID    string
	Title string
	HTML  template.HTML
	Table tableView
}

// tableView is a simple table: the first cell of each row is its header.
type tableView struct {
	Head []string
	Rows [][]string
}

// numberFormatter formats tooltip and axis numbers the Belgian way.
func numberFormatter(lang string) string {
	return `function (v) { return (typeof v === 'number') ? new Intl.NumberFormat('` + locale.New(lang, nil).Tag() + `').format(v) : '` + locale.NoValue + `'; }`
}

// commonOptions are the options every chart shares. ECharts describes a
// chart to screen readers in English unless given a description: the page's
// own words are used, pointing to the data table under the chart.
func commonOptions(id, title, lang string, legend bool) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{
			ChartID:    id,
			AssetsHost: assetsPath,
			Width:      "100%",
			Height:     "360px",
			Theme:      "white",
			PageTitle:  id,
		}),
		charts.WithAnimation(false),
		charts.WithAriaOpts(&opts.Aria{Enabled: opts.Bool(true), Label: &opts.AriaLabel{Enabled: opts.Bool(true),
			Description: title + pick(lang, ". Les valeurs sont dans le tableau « Données du graphique » sous le graphique.",
				". De waarden staan in de tabel „Gegevens van de grafiek” onder de grafiek.")}}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis",
			ValueFormatter: opts.FuncOpts(numberFormatter(lang))}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(legend), Bottom: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "3%", Right: "4%", Top: "24", Bottom: "48", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Min: 0,
			AxisLabel: &opts.AxisLabel{Show: opts.Bool(true), Formatter: opts.FuncOpts(numberFormatter(lang))}}),
	}
}

// barChart renders one series as bars, with an optional reference line
// (the region's value) labelled referenceName.
func barChart(id, title, lang string, s chartSeries, reference *chartPoint, referenceName string, head []string) chartView {
	bar := charts.NewBar()
	bar.SetGlobalOptions(commonOptions(id, title, lang, false)...)
	bar.SetGlobalOptions(charts.WithXAxisOpts(opts.XAxis{Type: "category",
		AxisLabel: &opts.AxisLabel{Show: opts.Bool(true), Interval: "0", Rotate: rotation(len(s.points))}}))
	categories := make([]string, len(s.points))
	data := make([]opts.BarData, len(s.points))
	rows := make([][]string, len(s.points))
	for i, p := range s.points {
		categories[i] = chartText(p.label)
		data[i] = opts.BarData{Value: p.value}
		rows[i] = []string{p.label, p.shown}
	}
	var series []charts.SeriesOpts
	if reference != nil && reference.value != gap {
		series = append(series,
			charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: chartText(referenceName), YAxis: reference.value}),
			charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"}, Label: &opts.Label{
				Show: opts.Bool(true), Position: "insideEndTop",
				Formatter: string(opts.FuncOpts(`function (p) { return p.name + ' ' + new Intl.NumberFormat('` + locale.New(lang, nil).Tag() + `').format(p.value); }`)),
			}}))
		rows = append(rows, []string{reference.label, reference.shown})
	}
	bar.SetXAxis(categories).AddSeries(chartText(s.name), data, series...)
	return chartView{ID: id, Title: title, HTML: snippetHTML(bar), Table: tableView{Head: head, Rows: rows}}
}

// lineChart renders series over the same months; a gap breaks the line.
func lineChart(id, title, lang string, months []string, series []chartSeries, monthHead string) chartView {
	line := charts.NewLine()
	line.SetGlobalOptions(commonOptions(id, title, lang, len(series) > 1)...)
	line.SetGlobalOptions(charts.WithXAxisOpts(opts.XAxis{Type: "category"}))
	categories := make([]string, len(months))
	for i, m := range months {
		categories[i] = chartText(m)
	}
	line.SetXAxis(categories)
	head := []string{monthHead}
	rows := make([][]string, len(months))
	for i, m := range months {
		rows[i] = []string{m}
	}
	for _, s := range series {
		data := make([]opts.LineData, len(s.points))
		for i, p := range s.points {
			data[i] = opts.LineData{Value: p.value}
			rows[i] = append(rows[i], p.shown)
		}
		line.AddSeries(chartText(s.name), data, charts.WithLineChartOpts(opts.LineChart{
			ConnectNulls: opts.Bool(false), ShowSymbol: opts.Bool(true)}))
		head = append(head, s.name)
	}
	return chartView{ID: id, Title: title, HTML: snippetHTML(line), Table: tableView{Head: head, Rows: rows}}
}

// rotation tilts crowded category labels.
func rotation(n int) float64 {
	if n > 6 {
		return 30
	}
	return 0
}

// snippetHTML returns the chart's container and script. The page loads the
// ECharts script itself, from assetsPath, once.
func snippetHTML(r render.Renderer) template.HTML {
	s := r.RenderSnippet()
	return template.HTML(s.Element + "\n" + s.Script) //nolint:gosec // built by go-echarts from texts cleaned by chartText
}

// chartText cleans a label written into the chart's script: go-echarts puts
// it in JSON without HTML escaping, so markup characters are replaced.
func chartText(s string) string {
	return strings.NewReplacer("<", "‹", ">", "›").Replace(s)
}
