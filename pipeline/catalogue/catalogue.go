// Package catalogue reads the indicator catalogue: every indicator as one
// declarative entry in YAML (an embedded default file, and the operators' own
// files), checked against the canonical datasets when it loads, so that a
// mistake is reported with its file and line, not when the figures are
// computed.
//
// A file may declare, under themes, the themes indicators are grouped by:
// each an id and a name {fr, nl}, in the order pages and reports show them.
// An indicator's theme must be declared in one of the catalogue's files.
//
// An entry says what an indicator counts and how it is read:
//
//	indicators:
//	  - id: referrals
//	    theme: outreach
//	    name: {fr: Orientations, nl: Doorverwijzingen}
//	    definition: {fr: "…", nl: "…"}
//	    unit: {fr: orientations, nl: doorverwijzingen}
//	    decimals: 0
//	    numerator:
//	      dataset: contacts
//	      aggregate: count      # count, distinct, sum (of a field), median (of a number field),
//	                            # or new (distinct values not met in lookback_months before)
//	      filters:
//	        - {field: referral, op: "=", value: "1"}
//	    denominator:            # optional: a population, or another indicator
//	      population: all       # all, or an age group such as 15-64
//	    factor: 10000           # 1, 100, 1000 or 10000
//	    periods: [month, quarter, year]
//	    breakdowns: [referral_destination]
//	    total: true             # false: only its breakdowns are published
//	    higher_is_better: false
//	    plan_actions: ["3.14"]
//
// A distinct count is counted over the whole period, never summed from
// shorter ones; the engine that turns entries into statements and values
// relies on these definitions only.
package catalogue

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/brusano/bassins/sources"
)

// Text is a text in French and in Dutch.
type Text struct {
	FR string `yaml:"fr"`
	NL string `yaml:"nl"`
}

// Aggregates of a numerator.
const (
	Count    = "count"
	Distinct = "distinct"
	Sum      = "sum"
	// Median is the median of a number field over the rows where it is
	// known; its numerator is the number of those rows.
	Median = "median"
	// New counts the distinct values of a field (a person) met in the
	// period and in none of the LookbackMonths months before it began.
	New = "new"
)

// Kinds of values, from the numerator's aggregate and the denominator.
const (
	KindCount  = "count"  // a count or a sum
	KindMedian = "median" // a median
	KindRate   = "rate"   // per a population: exact Poisson interval
	KindShare  = "share"  // part of another indicator, in %: Wilson interval
	KindRatio  = "ratio"  // per another indicator, not a part of it
)

// Period types.
const (
	Month   = "month"
	Quarter = "quarter"
	Year    = "year"
)

// Filter keeps the rows whose field compares to the value(s).
type Filter struct {
	Field string   `yaml:"field"`
	Op    string   `yaml:"op"`
	Value string   `yaml:"value"`
	In    []string `yaml:"values"`
	line  int
}

// Numerator is what an indicator counts or sums.
type Numerator struct {
	Dataset   string   `yaml:"dataset"`
	Aggregate string   `yaml:"aggregate"`
	Field     string   `yaml:"field"`
	Filters   []Filter `yaml:"filters"`
	// LookbackMonths is, for aggregate new, how many months before the
	// period a value must not have been met.
	LookbackMonths int `yaml:"lookback_months"`
	line           int
}

// Denominator divides the numerator: a population (all ages, or an age group
// such as 15-64), or another indicator of the catalogue.
type Denominator struct {
	Population string `yaml:"population"`
	Indicator  string `yaml:"indicator"`
	line       int
}

// Indicator is one entry of the catalogue.
type Indicator struct {
	ID             string       `yaml:"id"`
	Theme          string       `yaml:"theme"`
	Name           Text         `yaml:"name"`
	Definition     Text         `yaml:"definition"`
	Unit           Text         `yaml:"unit"`
	Decimals       int          `yaml:"decimals"`
	Numerator      Numerator    `yaml:"numerator"`
	Denominator    *Denominator `yaml:"denominator"`
	Factor         float64      `yaml:"factor"`
	Periods        []string     `yaml:"periods"`
	Breakdowns     []string     `yaml:"breakdowns"`
	HigherIsBetter bool         `yaml:"higher_is_better"`
	PlanActions    []string     `yaml:"plan_actions"`
	// Total false keeps the categories of the breakdowns apart: no value
	// adds them up (the measures of different federations, for example).
	Total *bool `yaml:"total"`

	// File and Line say where the entry is written.
	File string `yaml:"-"`
	Line int    `yaml:"-"`
}

// Text returns the text in "fr" or "nl".
func (t Text) Text(lang string) string {
	if lang == "nl" {
		return t.NL
	}
	return t.FR
}

// Kind says what kind of value the indicator gives.
func (ind Indicator) Kind() string {
	switch {
	case ind.Numerator.Aggregate == Median:
		return KindMedian
	case ind.Denominator == nil:
		return KindCount
	case ind.Denominator.Population != "":
		return KindRate
	case ind.Factor == 100:
		return KindShare
	default:
		return KindRatio
	}
}

// HasTotal reports whether the indicator has a value over all categories.
func (ind Indicator) HasTotal() bool { return ind.Total == nil || *ind.Total }

// Additive reports whether the values of parts add up to the value of the
// whole (communes to a bassin, months to a year, categories to the total):
// counts and sums do, distinct counts, medians and ratios do not.
func (ind Indicator) Additive() bool {
	a := ind.Numerator.Aggregate
	return (a == Count || a == Sum) && ind.Denominator == nil
}

// Ages returns the age group of a population denominator: lo and hi are
// the first and last age included; all is true for every age.
func (d Denominator) Ages() (lo, hi int, all bool) {
	m := ageGroup.FindStringSubmatch(d.Population)
	if m == nil {
		return 0, 0, true
	}
	lo, _ = strconv.Atoi(m[1])
	hi, _ = strconv.Atoi(m[2])
	return lo, hi, false
}

// Theme groups indicators on pages and in reports.
type Theme struct {
	ID   string `yaml:"id"`
	Name Text   `yaml:"name"`

	// File and Line say where the theme is declared.
	File string `yaml:"-"`
	Line int    `yaml:"-"`
}

// Catalogue is every indicator, in the order of their files, and the
// themes, in the order they are shown.
type Catalogue struct {
	Themes     []Theme
	Indicators []Indicator
	byID       map[string]int
}

// Theme returns the theme with this id.
func (c *Catalogue) Theme(id string) (Theme, bool) {
	for _, th := range c.Themes {
		if th.ID == id {
			return th, true
		}
	}
	return Theme{}, false
}

// Lookup returns the indicator with this id.
func (c *Catalogue) Lookup(id string) (Indicator, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Indicator{}, false
	}
	return c.Indicators[i], true
}

// Problem is one mistake in a catalogue file.
type Problem struct {
	File    string
	Line    int
	ID      string
	Message string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.ID != "" {
		return fmt.Sprintf("%s: indicator %s: %s", loc, p.ID, p.Message)
	}
	return loc + ": " + p.Message
}

// Error lists every problem found.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "catalogue: " + strings.Join(lines, "\ncatalogue: ")
}

// File is a catalogue file to load: its name (in messages) and content.
type File struct {
	Name string
	Data []byte
}

//go:embed default.yaml
var defaultFile []byte

// DefaultName names the embedded default catalogue in messages.
const DefaultName = "catalogue par défaut (default.yaml)"

// Default returns the embedded default catalogue file.
func Default() File { return File{Name: DefaultName, Data: defaultFile} }

// LoadWithDefault loads the default catalogue followed by the operators'
// files.
func LoadWithDefault(paths ...string) (*Catalogue, error) {
	files, err := ReadFiles(paths...)
	if err != nil {
		return nil, err
	}
	return Load(append([]File{Default()}, files...)...)
}

// ReadFiles reads catalogue files from disk.
func ReadFiles(paths ...string) ([]File, error) {
	var files []File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("catalogue: %w", err)
		}
		files = append(files, File{Name: p, Data: data})
	}
	return files, nil
}

// document is the shape of a catalogue file.
type document struct {
	Themes     []Theme     `yaml:"themes"`
	Indicators []Indicator `yaml:"indicators"`
}

// Load decodes the files strictly (an unknown key is an error) and checks
// every entry and the references between them. The problems of every file
// are reported together.
func Load(files ...File) (*Catalogue, error) {
	c := &Catalogue{byID: map[string]int{}}
	var ps []Problem
	for _, f := range files {
		dec := yaml.NewDecoder(bytes.NewReader(f.Data))
		dec.KnownFields(true)
		var doc document
		if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
			ps = append(ps, yamlProblem(f.Name, err))
			continue
		}
		var root yaml.Node
		if err := yaml.Unmarshal(f.Data, &root); err == nil {
			placeLines(&root, doc.Indicators)
			placeThemeLines(&root, doc.Themes)
		}
		for _, th := range doc.Themes {
			th.File = f.Name
			ps = append(ps, checkTheme(th, c)...)
			if _, dup := c.Theme(th.ID); !dup {
				c.Themes = append(c.Themes, th)
			}
		}
		for _, ind := range doc.Indicators {
			ind.File = f.Name
			if prev, dup := c.byID[ind.ID]; dup && ind.ID != "" {
				first := c.Indicators[prev]
				ps = append(ps, Problem{f.Name, ind.Line, ind.ID, fmt.Sprintf("declared twice (first at %s:%d)", first.File, first.Line)})
				continue
			}
			c.byID[ind.ID] = len(c.Indicators)
			c.Indicators = append(c.Indicators, ind)
		}
	}
	for _, ind := range c.Indicators {
		ps = append(ps, check(ind, c)...)
	}
	ps = append(ps, cycles(c)...)
	if len(ps) > 0 {
		sort.SliceStable(ps, func(i, j int) bool {
			if ps[i].File != ps[j].File {
				return ps[i].File < ps[j].File
			}
			return ps[i].Line < ps[j].Line
		})
		return nil, &Error{ps}
	}
	return c, nil
}

// placeLines sets the lines of the entries and of their parts from the
// document's nodes (the strict decoding above keeps none).
func placeLines(root *yaml.Node, inds []Indicator) {
	for i, item := range sequence(root, "indicators") {
		if i >= len(inds) {
			return
		}
		ind := &inds[i]
		ind.Line = item.Line
		if num := value(item, "numerator"); num != nil {
			ind.Numerator.line = num.Line
			if fs := value(num, "filters"); fs != nil && fs.Kind == yaml.SequenceNode {
				for j, f := range fs.Content {
					if j < len(ind.Numerator.Filters) {
						ind.Numerator.Filters[j].line = f.Line
					}
				}
			}
		}
		if den := value(item, "denominator"); den != nil && ind.Denominator != nil {
			ind.Denominator.line = den.Line
		}
	}
}

// placeThemeLines sets the lines of the themes.
func placeThemeLines(root *yaml.Node, themes []Theme) {
	for i, item := range sequence(root, "themes") {
		if i < len(themes) {
			themes[i].Line = item.Line
		}
	}
}

// checkTheme returns the problems of a theme declared after those of c.
func checkTheme(th Theme, c *Catalogue) []Problem {
	var ps []Problem
	add := func(format string, args ...any) {
		ps = append(ps, Problem{File: th.File, Line: th.Line, Message: "theme " + th.ID + ": " + fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(th.ID) {
		add("%q is not a valid id (lower-case letters, digits and _)", th.ID)
	}
	if strings.TrimSpace(th.Name.FR) == "" || strings.TrimSpace(th.Name.NL) == "" {
		add("name needs a French (fr) and a Dutch (nl) text")
	}
	if first, dup := c.Theme(th.ID); dup {
		add("declared twice (first at %s:%d)", first.File, first.Line)
	}
	return ps
}

// sequence returns the items of a top-level list of a document; nil when
// the key is absent or not a list.
func sequence(root *yaml.Node, key string) []*yaml.Node {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	items := value(n, key)
	if items == nil || items.Kind != yaml.SequenceNode {
		return nil
	}
	return items.Content
}

// value returns the value of a key of a mapping node; nil when absent.
func value(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key {
			return n.Content[k+1]
		}
	}
	return nil
}

var lineInMessage = regexp.MustCompile(`line (\d+): (.*)`)

func yamlProblem(file string, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := lineInMessage.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{File: file, Line: n, Message: strings.Replace(m[2], "not found in type", "is unknown in", 1)}
	}
	return Problem{File: file, Message: msg}
}

var (
	idPattern     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	planAction    = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	ageGroup      = regexp.MustCompile(`^([0-9]{1,3})-([0-9]{1,3})$`)
	filterOps     = []string{"=", "!=", "in", "not_in", ">=", "<="}
	factors       = []float64{1, 100, 1000, 10000}
	periodTypes   = []string{Month, Quarter, Year}
	measureFields = []sources.Field{{Name: "measure", Type: sources.String}, {Name: "value", Type: sources.Decimal}}
)

// field returns a field of the dataset; a dataset of measures also has
// measure and value.
func field(d *sources.Dataset, name string) (sources.Field, bool) {
	if f, ok := d.Field(name); ok {
		return f, true
	}
	if d.Measures {
		for _, f := range measureFields {
			if f.Name == name {
				return f, true
			}
		}
	}
	return sources.Field{}, false
}

// check returns the problems of one entry.
func check(ind Indicator, c *Catalogue) []Problem {
	var ps []Problem
	add := func(line int, format string, args ...any) {
		if line == 0 {
			line = ind.Line
		}
		ps = append(ps, Problem{ind.File, line, ind.ID, fmt.Sprintf(format, args...)})
	}
	if !idPattern.MatchString(ind.ID) {
		add(0, "%q is not a valid id (lower-case letters, digits and _)", ind.ID)
	}
	if ind.Theme == "" {
		add(0, "a theme is required")
	} else if _, ok := c.Theme(ind.Theme); !ok {
		add(0, "theme %q is not declared (add it to the file's themes)", ind.Theme)
	}
	for what, t := range map[string]Text{"name": ind.Name, "definition": ind.Definition, "unit": ind.Unit} {
		if strings.TrimSpace(t.FR) == "" || strings.TrimSpace(t.NL) == "" {
			add(0, "%s needs a French (fr) and a Dutch (nl) text", what)
		}
	}
	if ind.Decimals < 0 || ind.Decimals > 3 {
		add(0, "decimals must be 0 to 3, not %d", ind.Decimals)
	}
	num := ind.Numerator
	d, ok := sources.LookupDataset(num.Dataset)
	if !ok {
		add(num.line, "unknown dataset %q (known: %s)", num.Dataset, strings.Join(sources.DatasetNames(), ", "))
	}
	switch num.Aggregate {
	case Count:
		if num.Field != "" {
			add(num.line, "a count counts rows: it takes no field (use distinct to count the values of %s)", num.Field)
		}
	case Distinct, Sum, Median, New:
		if num.Field == "" {
			add(num.line, "%s needs a field", num.Aggregate)
		} else if ok {
			f, found := field(d, num.Field)
			switch {
			case !found:
				add(num.line, "dataset %s has no field %q", num.Dataset, num.Field)
			case (num.Aggregate == Sum || num.Aggregate == Median) && f.Type != sources.Int && f.Type != sources.Decimal && f.Type != sources.Age:
				add(num.line, "%s needs a number field; %s is %s", num.Aggregate, num.Field, f.Type)
			case num.Aggregate == Sum && f.Type == sources.Age:
				add(num.line, "sum of an age has no meaning; use median")
			}
		}
	default:
		add(num.line, "unknown aggregate %q (count, distinct, sum, median, new)", num.Aggregate)
	}
	if num.Aggregate == New && (num.LookbackMonths < 1 || num.LookbackMonths > 60) {
		add(num.line, "new needs lookback_months, 1 to 60")
	} else if num.Aggregate != New && num.LookbackMonths != 0 {
		add(num.line, "lookback_months only goes with aggregate new")
	}
	if ok && d.Virtual && num.Aggregate != Count && num.Aggregate != Sum {
		add(num.line, "dataset %s is computed by the product: count or sum only", num.Dataset)
	}
	if ok && d.Stock && num.Aggregate != Count && num.Aggregate != Distinct {
		add(num.line, "dataset %s is an inventory (each period shows the one in force): count or distinct only", num.Dataset)
	}
	for _, f := range num.Filters {
		if ok {
			if _, found := field(d, f.Field); !found {
				add(f.line, "filter on %q: dataset %s has no such field", f.Field, num.Dataset)
			}
		}
		switch {
		case !slices.Contains(filterOps, f.Op):
			add(f.line, "unknown filter operator %q (%s)", f.Op, strings.Join(filterOps, ", "))
		case (f.Op == "in" || f.Op == "not_in") && len(f.In) == 0:
			add(f.line, "operator %s needs a list of values", f.Op)
		case f.Op != "in" && f.Op != "not_in" && len(f.In) > 0:
			add(f.line, "operator %s takes one value, not a list", f.Op)
		}
	}
	if den := ind.Denominator; den != nil {
		if num.Aggregate == Median {
			add(den.line, "a median takes no denominator")
		}
		switch {
		case den.Population != "" && den.Indicator != "":
			add(den.line, "a denominator is a population or an indicator, not both")
		case den.Indicator != "":
			if _, found := c.Lookup(den.Indicator); !found {
				add(den.line, "denominator: unknown indicator %q", den.Indicator)
			}
		case den.Population == "all":
		case ageGroup.MatchString(den.Population):
			m := ageGroup.FindStringSubmatch(den.Population)
			lo, _ := strconv.Atoi(m[1])
			hi, _ := strconv.Atoi(m[2])
			if lo > hi {
				add(den.line, "age group %s: the first age is above the last", den.Population)
			}
		default:
			add(den.line, "population %q: all, or an age group such as 15-64", den.Population)
		}
		if !slices.Contains(factors, ind.Factor) {
			add(0, "factor must be 1, 100, 1000 or 10000, not %v", ind.Factor)
		}
	} else if ind.Factor != 0 && ind.Factor != 1 {
		add(0, "a factor needs a denominator")
	}
	if len(ind.Periods) == 0 {
		add(0, "periods: at least one of month, quarter, year")
	}
	for _, p := range ind.Periods {
		if !slices.Contains(periodTypes, p) {
			add(0, "unknown period type %q (month, quarter, year)", p)
		}
	}
	for _, b := range ind.Breakdowns {
		if ok {
			f, found := field(d, b)
			switch {
			case !found:
				add(0, "breakdown by %q: dataset %s has no such field", b, num.Dataset)
			case f.Type != sources.String && f.Type != sources.List && f.Type != sources.Bool:
				add(0, "breakdown by %q: a breakdown needs a text, list or yes/no field; %s is %s", b, b, f.Type)
			}
		}
	}
	if !ind.HasTotal() && len(ind.Breakdowns) == 0 {
		add(0, "total: false needs a breakdown whose categories stay apart")
	}
	for _, a := range ind.PlanActions {
		if !planAction.MatchString(a) {
			add(0, "plan action %q is not a number such as 3.14", a)
		}
	}
	return ps
}

// cycles reports indicators whose denominators lead back to themselves.
func cycles(c *Catalogue) []Problem {
	var ps []Problem
	for _, ind := range c.Indicators {
		seen := map[string]bool{ind.ID: true}
		for cur := ind; cur.Denominator != nil && cur.Denominator.Indicator != ""; {
			next, ok := c.Lookup(cur.Denominator.Indicator)
			if !ok {
				break
			}
			if seen[next.ID] {
				ps = append(ps, Problem{ind.File, ind.Line, ind.ID, "its denominators form a cycle back to " + next.ID})
				break
			}
			seen[next.ID] = true
			cur = next
		}
	}
	return ps
}
