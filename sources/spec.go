package sources

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
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

	// Fields maps a canonical field to the column (CSV header) or key (JSON)
	// that holds it.
	Fields map[string]string `yaml:"fields"`
	// Constants gives a canonical field the same value on every row, e.g.
	// the federation of a federation's export.
	Constants map[string]string `yaml:"constants"`
	// Measures maps a measure name to the column that holds it, for
	// datasets stored one row per measure.
	Measures map[string]string `yaml:"measures"`
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
	if len([]rune(s.Delimiter)) > 1 {
		add("delimiter", "%q must be a single character", s.Delimiter)
	}
	if _, err := decoder(s.Encoding); err != nil {
		add("encoding", "%v", err)
	}
	if _, err := dateLayout(s.DateFormat); err != nil {
		add("date_format", "%v", err)
	}
	d, ok := LookupDataset(s.Dataset)
	if !ok {
		add("dataset", "unknown dataset %q (known: %s)", s.Dataset, strings.Join(DatasetNames(), ", "))
		return ps
	}
	for _, name := range sortedKeys(s.Fields) {
		if _, ok := d.Field(name); !ok {
			add("fields."+name, "dataset %s has no field %q", d.Name, name)
		}
		if s.Fields[name] == "" {
			add("fields."+name, "names no column")
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

func sortedKeys(m map[string]string) []string {
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
