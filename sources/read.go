package sources

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Env is what reading needs from the rest of the pipeline.
type Env struct {
	// Pseudonymise turns a raw person identifier into the key stored.
	Pseudonymise func(dataset, raw string) string
	// Locate returns the commune of a record from its NIS code or postcode;
	// ok is false for a place outside the region.
	Locate func(nis, postcode string) (string, bool)
	// AreaKey returns the area key stored with located rows.
	AreaKey func(nis, postcode string) string
	// LoadID tags every row of the load.
	LoadID string
}

// Read reads one file of a source and passes its rows to emit in chunks of
// about chunk rows (a file line stored as several measure rows is never
// split), each row holding the dataset's Columns() in order. It stops
// at the first value that cannot be read and returns a *RowError; rows emitted
// before it belong to a load that must then be discarded whole.
func Read(ctx context.Context, s *Spec, path string, env Env, chunk int, emit func([][]any) error) (int, error) {
	d, ok := LookupDataset(s.Dataset)
	if !ok {
		return 0, fmt.Errorf("sources: %s: unknown dataset %q", s.Name, s.Dataset)
	}
	format, ok := formats[s.Format]
	if !ok {
		return 0, fmt.Errorf("sources: %s: unknown format %q", s.Name, s.Format)
	}
	decode, err := decoder(s.Encoding)
	if err != nil {
		return 0, fmt.Errorf("sources: %s: %w", s.Name, err)
	}
	p, err := newPlan(s, d)
	if err != nil {
		return 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("sources: %w", err)
	}
	defer f.Close()

	var (
		batch = make([][]any, 0, chunk)
		total int
	)
	err = format.Scan(decode(f), s, p.columns, func(line int, cells []Cell) error {
		if total%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rows, err := p.rows(line, cells, env)
		if err != nil {
			return err
		}
		batch = append(batch, rows...)
		total += len(rows)
		if len(batch) >= chunk {
			if err := emit(batch); err != nil {
				return err
			}
			batch = make([][]any, 0, chunk)
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = emit(batch)
	}
	if re, ok := err.(*RowError); ok {
		re.File = path
	}
	return total, err
}

// plan says, for each dataset field, where its value comes from.
type plan struct {
	spec     *Spec
	dataset  *Dataset
	layout   string
	columns  []string // columns requested from the file
	fieldCol []int    // per dataset field: index in columns, or -1
	measures []string // measure names, in column order after the fields' columns
	measCol  []int
	postcode int // index of the postcode field, -1 if none
	nis      int
	width    int // len(dataset.Columns())
}

// label names a field in messages, with the column it is read from.
func (p *plan) label(field int) string {
	f := p.dataset.Fields[field]
	if p.fieldCol[field] >= 0 {
		return fmt.Sprintf("%s (column %q)", f.Name, p.spec.Fields[f.Name])
	}
	return f.Name
}

func newPlan(s *Spec, d *Dataset) (*plan, error) {
	layout, err := dateLayout(s.DateFormat)
	if err != nil {
		return nil, fmt.Errorf("sources: %s: %w", s.Name, err)
	}
	p := &plan{spec: s, dataset: d, layout: layout, postcode: -1, nis: -1, width: len(d.Columns())}
	for i, f := range d.Fields {
		idx := -1
		if col, ok := s.Fields[f.Name]; ok {
			idx = len(p.columns)
			p.columns = append(p.columns, col)
		}
		p.fieldCol = append(p.fieldCol, idx)
		switch f.Type {
		case Postcode:
			p.postcode = i
		case NIS:
			p.nis = i
		}
	}
	for _, m := range sortedKeys(s.Measures) {
		p.measures = append(p.measures, m)
		p.measCol = append(p.measCol, len(p.columns))
		p.columns = append(p.columns, s.Measures[m])
	}
	return p, nil
}

func (p *plan) rows(line int, cells []Cell, env Env) ([][]any, error) {
	// fail describes a problem with field i of the dataset (-1: the nis
	// resolved from the record), or with a measure column.
	fail := func(i int, measure string, err error) error {
		re := &RowError{Line: line, Code: ProblemSyntax, Message: err.Error(), Detail: err.Error()}
		if ve, ok := err.(*valueError); ok {
			re.Code, re.Value, re.Detail = ve.code, ve.value, ve.detail
		}
		switch {
		case measure != "":
			re.Name, re.Column = measure, p.spec.Measures[measure]
			re.Field = fmt.Sprintf("%s (column %q)", measure, re.Column)
		case i >= 0:
			re.Name, re.Column, re.Field = p.dataset.Fields[i].Name, p.spec.Fields[p.dataset.Fields[i].Name], p.label(i)
		default:
			re.Name, re.Field = "nis", "nis"
		}
		return re
	}
	row := make([]any, 0, p.width)
	for i, f := range p.dataset.Fields {
		var cell Cell
		if idx := p.fieldCol[i]; idx >= 0 {
			cell = cells[idx]
		} else if v, ok := p.spec.Constants[f.Name]; ok {
			cell = Cell{Text: v, Present: true}
		}
		if f.Required && (!cell.Present || (cell.Text == "" && !cell.IsList)) {
			return nil, fail(i, "", &valueError{code: ProblemRequired})
		}
		v, err := p.convert(f, cell, env)
		if err != nil {
			return nil, fail(i, "", err)
		}
		row = append(row, v)
	}
	if p.postcode >= 0 {
		postcode := row[p.postcode].(string)
		nis := ""
		if p.nis >= 0 {
			nis = row[p.nis].(string)
		}
		resolved, ok := env.Locate(nis, postcode)
		if !ok {
			if nis != "" {
				return nil, fail(-1, "", &valueError{code: ProblemCommune, value: nis})
			}
			resolved = "" // a place outside the region: kept, counted in no geography
		}
		if p.nis >= 0 {
			row[p.nis] = resolved
		}
		key := ""
		if resolved != "" {
			key = env.AreaKey(resolved, postcode)
		}
		row = append(row, key)
	}
	meta := []any{env.LoadID, p.spec.Name, uint32(line)}
	if !p.dataset.Measures {
		return [][]any{append(row, meta...)}, nil
	}
	out := make([][]any, 0, len(p.measures))
	for i, m := range p.measures {
		cell := cells[p.measCol[i]]
		if !cell.Present || cell.Text == "" {
			continue
		}
		v, err := p.decimal(cell.Text)
		if err != nil {
			return nil, fail(-1, m, err)
		}
		r := make([]any, 0, len(row)+5)
		r = append(append(append(r, row...), m, v), meta...)
		out = append(out, r)
	}
	return out, nil
}

func (p *plan) convert(f Field, c Cell, env Env) (any, error) {
	text := c.Text
	if c.IsList && f.Type != List {
		return nil, &valueError{code: ProblemList}
	}
	switch f.Type {
	case String:
		return text, nil
	case Date, Month:
		if text == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(p.layout, text)
		if err != nil {
			return nil, &valueError{code: ProblemDate, value: text, detail: orDefault(p.spec.DateFormat, "yyyy-mm-dd")}
		}
		if f.Type == Month {
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
		return t, nil
	case Clock:
		if text == "" {
			return "", nil
		}
		t, err := time.Parse("15:04", text)
		if err != nil {
			if t, err = time.Parse("15:04:05", text); err != nil {
				return nil, &valueError{code: ProblemTime, value: text}
			}
		}
		return t.Format("15:04"), nil
	case Int:
		if text == "" {
			return uint32(0), nil
		}
		n, err := strconv.ParseUint(text, 10, 32)
		if err != nil {
			return nil, &valueError{code: ProblemInteger, value: text}
		}
		return uint32(n), nil
	case Age:
		if text == "" || strings.EqualFold(text, "unknown") {
			return (*uint8)(nil), nil
		}
		n, err := strconv.ParseUint(text, 10, 8)
		if err != nil || n > 120 {
			return nil, &valueError{code: ProblemAge, value: text}
		}
		a := uint8(n)
		return &a, nil
	case Decimal:
		if text == "" {
			return 0.0, nil
		}
		return p.decimal(text)
	case Bool:
		switch strings.ToLower(text) {
		case "", "0", "false", "non", "no", "nee", "n":
			return uint8(0), nil
		case "1", "true", "oui", "yes", "ja", "o", "y":
			return uint8(1), nil
		}
		return nil, &valueError{code: ProblemBoolean, value: text}
	case List:
		if c.IsList {
			return c.List, nil
		}
		if text == "" {
			return []string{}, nil
		}
		parts := strings.Split(text, orDefault(p.spec.ListSeparator, "|"))
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, nil
	case Person:
		if text == "" {
			return "", nil
		}
		return env.Pseudonymise(p.dataset.Name, text), nil
	case Postcode:
		if len(text) != 4 || strings.Trim(text, "0123456789") != "" {
			return nil, &valueError{code: ProblemPostcode, value: text}
		}
		return text, nil
	case NIS:
		if text != "" && (len(text) != 5 || strings.Trim(text, "0123456789") != "") {
			return nil, &valueError{code: ProblemNIS, value: text}
		}
		return text, nil
	}
	return nil, fmt.Errorf("field type %q has no reader", f.Type)
}

func (p *plan) decimal(text string) (float64, error) {
	t := thousands.Replace(text)
	if p.spec.DecimalComma {
		t = strings.ReplaceAll(strings.ReplaceAll(t, ".", ""), ",", ".")
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, &valueError{code: ProblemNumber, value: text}
	}
	return v, nil
}

// thousands drops the spaces Excel and users put between digit groups.
var thousands = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "")

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
