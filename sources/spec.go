package sources

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Spec is a source as an operator declares it in the configuration.
type Spec struct {
	// Name identifies the source in loads and messages.
	Name string `yaml:"name"`
	// Path is a glob relative to the inbox, e.g. "federations/fedito/*.csv".
	Path string `yaml:"path"`
	// Format is a registered format: "csv" or "jsonl".
	Format string `yaml:"format"`
	// Dataset is the canonical dataset the source feeds.
	Dataset string `yaml:"dataset"`

	// Delimiter separates CSV fields; default ",". Belgian Excel writes ";".
	Delimiter string `yaml:"delimiter"`
	// Encoding of the file: utf-8 (default, a BOM is skipped), windows-1252
	// or iso-8859-1.
	Encoding string `yaml:"encoding"`
	// DecimalComma reads "12,5" as 12.5.
	DecimalComma bool `yaml:"decimal_comma"`
	// DateFormat is written with dd, mm and yyyy, e.g. "dd/mm/yyyy";
	// default "yyyy-mm-dd".
	DateFormat string `yaml:"date_format"`
	// ListSeparator splits list fields written in one cell; default "|".
	ListSeparator string `yaml:"list_separator"`

	// Fields maps a canonical field to the column (CSV header, Excel
	// header) or key (JSON) that holds it, written as the column's name, or
	// as a Mapping with a code table and rules.
	Fields map[string]Mapping `yaml:"fields"`
	// Constants gives a canonical field the same value on every row, e.g.
	// the federation of a federation's export.
	Constants map[string]string `yaml:"constants"`
	// Measures maps a measure name to the column that holds it, for
	// datasets stored one row per measure.
	Measures map[string]string `yaml:"measures"`

	// Sheet chooses the sheet of an Excel workbook by name; SheetIndex by
	// position (1 is the first). Default: the first sheet.
	Sheet      string `yaml:"sheet"`
	SheetIndex int    `yaml:"sheet_index"`
	// SkipRows skips title lines before the header (CSV and Excel).
	SkipRows int `yaml:"skip_rows"`

	// Replace says what a new delivery replaces: "file" (default: the
	// earlier load of the same path), "months" (every earlier row of the
	// source in the months the delivery covers) or "none".
	Replace string `yaml:"replace"`
	// Expected says which deliveries the source owes and by when; nil sets
	// no due date.
	Expected *Expected `yaml:"expected"`
	// DueDay is the deprecated shorthand of Expected for a monthly source:
	// due_day: N reads as expected: {every: month, due_day: N}. A source
	// declares one or the other.
	DueDay int `yaml:"due_day"`
	// Start is the earliest date accepted, yyyy-mm-dd; default 2000-01-01.
	Start string `yaml:"start"`
	// MaxRejectedShare is the share of quarantined rows above which the
	// whole delivery is refused; default 0.1.
	MaxRejectedShare *float64 `yaml:"max_rejected_share"`
	// MaxFieldBytes and MaxLineBytes bound a value and a line; a row over
	// either is quarantined. Defaults 4 KiB and 1 MiB.
	MaxFieldBytes int `yaml:"max_field_bytes"`
	MaxLineBytes  int `yaml:"max_line_bytes"`
	// RegionOnly lists the postcode values meaning "no fixed address" or
	// "unknown": such rows count at Region level only. Default:
	// DefaultRegionOnly.
	RegionOnly []string `yaml:"region_only"`
}

// Replace modes.
const (
	ReplaceFile   = "file"
	ReplaceMonths = "months"
	ReplaceNone   = "none"
)

// Defaults of a source's limits.
const (
	DefaultStart            = "2000-01-01"
	DefaultMaxRejectedShare = 0.1
	DefaultMaxFieldBytes    = 4 << 10
	DefaultMaxLineBytes     = 1 << 20
)

// DefaultRegionOnly are the postcode markers of "no fixed address" and
// "unknown" understood without configuration (compared without case).
var DefaultRegionOnly = []string{"SDF", "sans domicile fixe", "sans abri", "dakloos", "thuisloos", "inconnu",
	"onbekend", "unknown", "0000", "9999"}

// Mapping says where a canonical field comes from and how its values are
// read. In YAML it is either the column's name or a mapping:
//
//	place_type: {column: Lieu, map: {"hôtel": hotel, rue: street}, default: other}
//	age: {column: Age, min: 12, max: 99}
type Mapping struct {
	Column string `yaml:"column"`
	// Map translates delivered values (compared without case and
	// surrounding spaces) into canonical ones; an unmapped value is
	// quarantined unless Default is set. The items of a list field are
	// mapped one by one.
	Map map[string]string `yaml:"map"`
	// MapFile is a code table read into Map when the configuration loads
	// (Spec.LoadCodeTables): a CSV file separated by ';' with the header
	// code;tdi_code, one delivered code and its canonical code a line. A
	// relative path is relative to the folder the program runs in, as the
	// configuration's other paths.
	MapFile string  `yaml:"map_file"`
	Default *string `yaml:"default"`
	// Min and Max tighten the accepted range of a number; Values lists the
	// accepted values of a text (after Map).
	Min    *float64 `yaml:"min"`
	Max    *float64 `yaml:"max"`
	Values []string `yaml:"values"`
}

// Column returns the mapping of a field read as is from a column.
func Column(name string) Mapping { return Mapping{Column: name} }

// Columns maps fields to the columns holding them, read as is.
func Columns(columns map[string]string) map[string]Mapping {
	out := make(map[string]Mapping, len(columns))
	for f, c := range columns {
		out[f] = Column(c)
	}
	return out
}

var mappingKeys = map[string]bool{"column": true, "map": true, "map_file": true, "default": true, "min": true, "max": true,
	"values": true}

// UnmarshalYAML reads a column name or a mapping, refusing unknown keys.
func (m *Mapping) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		m.Column = n.Value
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a field is a column name or a mapping (column, map, map_file, default, min, max, values)", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !mappingKeys[k.Value] {
			return fmt.Errorf("line %d: field key %q is unknown (column, map, map_file, default, min, max, values)", k.Line, k.Value)
		}
	}
	type plain Mapping
	return n.Decode((*plain)(m))
}

// ReplaceMode returns the replace mode, the default applied.
func (s *Spec) ReplaceMode() string { return orDefault(s.Replace, ReplaceFile) }

// RejectedShare returns the share of quarantined rows tolerated.
func (s *Spec) RejectedShare() float64 {
	if s.MaxRejectedShare == nil {
		return DefaultMaxRejectedShare
	}
	return *s.MaxRejectedShare
}

// StartDate returns the earliest date accepted.
func (s *Spec) StartDate() time.Time {
	t, err := time.Parse(time.DateOnly, orDefault(s.Start, DefaultStart))
	if err != nil {
		t, _ = time.Parse(time.DateOnly, DefaultStart) // Validate refuses a bad start
	}
	return t
}

func (s *Spec) limits() scanLimits {
	l := scanLimits{MaxFieldBytes: s.MaxFieldBytes, MaxLineBytes: s.MaxLineBytes}
	if l.MaxFieldBytes <= 0 {
		l.MaxFieldBytes = DefaultMaxFieldBytes
	}
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = DefaultMaxLineBytes
	}
	return l
}

func (s *Spec) regionOnly() []string {
	if s.RegionOnly == nil {
		return DefaultRegionOnly
	}
	return s.RegionOnly
}

// Problem is a mistake in a source declaration; Path names the key under the
// source, e.g. "fields.person_key".
type Problem struct {
	Path    string
	Message string
}

var (
	namePattern    = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	measurePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// Validate checks a declaration against the registered formats and datasets.
func (s *Spec) Validate() []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{path, fmt.Sprintf(format, args...)})
	}
	if !namePattern.MatchString(s.Name) {
		add("name", "%q is not a valid source name (lower-case letters, digits, - and _)", s.Name)
	}
	if s.Path == "" {
		add("path", "a path glob in the inbox is required")
	} else if _, err := filepath.Match(s.Path, ""); err != nil {
		add("path", "%q is not a valid glob: %v", s.Path, err)
	} else if filepath.IsAbs(s.Path) || strings.HasPrefix(filepath.Clean(s.Path), "..") {
		add("path", "%q must stay inside the inbox", s.Path)
	}
	if _, ok := formats[s.Format]; !ok {
		add("format", "unknown format %q (known: %s)", s.Format, strings.Join(FormatNames(), ", "))
	}
	if len(s.Delimiter) > 1 || (s.Delimiter != "" && !validCSVDelimiter(s.Delimiter[0])) {
		add("delimiter", "%q must be a single ASCII character other than a quote", s.Delimiter)
	}
	switch s.Replace {
	case "", ReplaceFile, ReplaceMonths, ReplaceNone:
	default:
		add("replace", "unknown replace mode %q (file, months, none)", s.Replace)
	}
	if s.Start != "" {
		if _, err := time.Parse(time.DateOnly, s.Start); err != nil {
			add("start", "%q is not a date written yyyy-mm-dd", s.Start)
		}
	}
	if s.DueDay < 0 || s.DueDay > 28 {
		add("due_day", "%d is not a day between 1 and 28 (0 or absent: no due date); month M's delivery is due by that day of month M+1", s.DueDay)
	}
	if s.Expected != nil {
		if s.DueDay != 0 {
			add("expected", "source %q declares both expected and the deprecated due_day: keep expected (due_day: %d reads as expected: {every: month, due_day: %d})",
				s.Name, s.DueDay, s.DueDay)
		}
		for _, p := range s.Expected.validate() {
			add("expected."+p.Path, "%s", p.Message)
		}
	}
	if r := s.MaxRejectedShare; r != nil && (*r < 0 || *r > 1) {
		add("max_rejected_share", "%v is not a share between 0 and 1", *r)
	}
	if s.MaxFieldBytes < 0 || s.MaxLineBytes < 0 || (s.MaxLineBytes > 0 && s.MaxLineBytes < 256) {
		add("max_line_bytes", "limits are positive and a line may hold at least 256 bytes")
	}
	if s.SkipRows < 0 || s.SheetIndex < 0 {
		add("skip_rows", "skip_rows and sheet_index are 0 or more")
	}
	if s.DecimalComma && s.Format == "xlsx" {
		add("decimal_comma", "a workbook holds its numbers as numbers: decimal_comma applies to csv and jsonl")
	}
	if (s.Sheet != "" || s.SheetIndex != 0) && s.Format != "xlsx" {
		add("sheet", "a sheet is chosen for the xlsx format only")
	}
	if _, _, err := decoder(s.Encoding); err != nil {
		add("encoding", "%v", err)
	}
	if _, err := dateLayout(s.DateFormat); err != nil {
		add("date_format", "%v", err)
	}
	d, ok := LookupDataset(s.Dataset)
	if !ok {
		add("dataset", "unknown dataset %q (known: %s)", s.Dataset, strings.Join(DeliveredDatasetNames(), ", "))
		return ps
	}
	if d.Virtual {
		add("dataset", "dataset %s is computed by bassins, not delivered: a source cannot feed it (known: %s)",
			d.Name, strings.Join(DeliveredDatasetNames(), ", "))
		return ps
	}
	for _, name := range sortedKeys(s.Fields) {
		f, ok := d.Field(name)
		if !ok {
			add("fields."+name, "dataset %s has no field %q", d.Name, name)
			continue
		}
		m := s.Fields[name]
		if m.Column == "" {
			add("fields."+name, "names no column")
		}
		numeric := f.Type == Int || f.Type == Decimal || f.Type == Age
		if (m.Min != nil || m.Max != nil) && !numeric {
			add("fields."+name, "min and max apply to numbers; %s is a %s", name, f.Type)
		}
		if m.Min != nil && m.Max != nil && *m.Min > *m.Max {
			add("fields."+name, "min %v is above max %v", *m.Min, *m.Max)
		}
		if len(m.Values) > 0 && f.Type != String {
			add("fields."+name, "values apply to text fields; %s is a %s", name, f.Type)
		}
		if m.Default != nil && len(m.Map) == 0 && m.MapFile == "" {
			add("fields."+name, "default applies to values left unmapped: give a map")
		}
		if (len(m.Map) > 0 || m.MapFile != "") && (f.Type == Person || f.Type == RecordID) {
			add("fields."+name, "a %s field cannot be mapped", f.Type)
		}
		if len(f.Codes) > 0 {
			for _, k := range sortedKeys(m.Map) {
				if _, ok := f.Code(m.Map[k]); !ok {
					add("fields."+name+".map", "%q is mapped to %q, not a code of field %s (codes: %s)", k, m.Map[k], name,
						strings.Join(f.Codes, ", "))
				}
			}
			if m.Default != nil {
				if _, ok := f.Code(*m.Default); !ok {
					add("fields."+name+".default", "%q is not a code of field %s (codes: %s)", *m.Default, name,
						strings.Join(f.Codes, ", "))
				}
			}
			for _, v := range m.Values {
				if _, ok := f.Code(v); !ok {
					add("fields."+name+".values", "%q is not a code of field %s (codes: %s)", v, name, strings.Join(f.Codes, ", "))
				}
			}
		}
	}
	for _, name := range sortedKeys(s.Constants) {
		if _, ok := d.Field(name); !ok {
			add("constants."+name, "dataset %s has no field %q", d.Name, name)
		}
		if _, both := s.Fields[name]; both {
			add("constants."+name, "field %q is also read from a column", name)
		}
	}
	for _, f := range d.Fields {
		_, col := s.Fields[f.Name]
		_, con := s.Constants[f.Name]
		if f.Required && !col && !con {
			add("fields", "required field %q of dataset %s is not mapped", f.Name, d.Name)
		}
	}
	if d.Measures && len(s.Measures) == 0 {
		add("measures", "dataset %s needs at least one measure column", d.Name)
	}
	if !d.Measures && len(s.Measures) > 0 {
		add("measures", "dataset %s takes no measures", d.Name)
	}
	for _, m := range sortedKeys(s.Measures) {
		if !measurePattern.MatchString(m) {
			add("measures."+m, "%q is not a valid measure name", m)
		}
	}
	return ps
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dateLayout turns "dd/mm/yyyy" into a Go layout.
func dateLayout(format string) (string, error) {
	if format == "" {
		return "2006-01-02", nil
	}
	r := strings.NewReplacer("yyyy", "2006", "dd", "02", "mm", "01")
	layout := r.Replace(format)
	// Anything left but separators (a letter, a digit) would not be read back.
	stray := strings.ContainsFunc(layout, unicode.IsLetter) || strings.ContainsFunc(format, unicode.IsDigit)
	if strings.Count(format, "yyyy") != 1 || strings.Count(format, "mm") != 1 || strings.Count(format, "dd") > 1 || stray {
		return "", fmt.Errorf("%q is not a date format made of dd, mm and yyyy", format)
	}
	return layout, nil
}
