package sources

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Env is what reading needs from the rest of the pipeline.
type Env struct {
	// Pseudonymise turns a raw person identifier into the key stored.
	Pseudonymise func(dataset string, raw []byte) [16]byte
	// RecordKey turns a source's record id into the key stored.
	RecordKey func(source string, id []byte) string
	// Locate returns the commune of a record from its NIS code or postcode;
	// ok is false for a place outside the Region.
	Locate func(nis, postcode string) (string, bool)
	// AreaKey returns the area key stored with located rows.
	AreaKey func(nis, postcode string) string
	// RegionOnly is the area key of rows placed in the Region but in no
	// commune (no fixed address, unknown).
	RegionOnly string
	// LoadID tags every row of the load.
	LoadID uint64
	// Delivered is the delivery day: later dates are refused.
	Delivered time.Time
	// Location is where calendar days are read (date-times with an offset).
	Location *time.Location
}

// Summary counts what reading a file gave.
type Summary struct {
	// Read counts the file's records (blank lines and the header aside),
	// Loaded those emitted, Stored the rows emitted (a federation line
	// gives one row per measure), Quarantined those set aside.
	Read, Loaded, Stored, Quarantined int
	// Months are the first days of the months of the rows emitted, in
	// order.
	Months []time.Time
}

// Sink receives what a file holds.
type Sink struct {
	// Rows receives a block of good rows; call Block.Done once it is sent.
	// Read waits for a block to be done before filling a third one, so
	// memory stays bounded.
	Rows func(*Block) error
	// Reject receives a record set aside with every reason.
	Reject func(Rejected) error
}

// Read reads one file of a source. Good rows go to sink.Rows in blocks of
// about chunk rows (a file line stored as several measure rows is never
// split); every record that breaks a rule goes to sink.Reject with all its
// reasons, and reading goes on. A problem of the whole file is returned as a
// *FileError.
func Read(ctx context.Context, s *Spec, path string, env Env, chunk int, sink Sink) (Summary, error) {
	var sum Summary
	d, ok := LookupDataset(s.Dataset)
	if !ok {
		return sum, fmt.Errorf("sources: %s: unknown dataset %q", s.Name, s.Dataset)
	}
	format, ok := formats[s.Format]
	if !ok {
		return sum, fmt.Errorf("sources: %s: unknown format %q", s.Name, s.Format)
	}
	p, err := newPlan(s, d, env)
	if err != nil {
		return sum, err
	}
	if chunk <= 0 {
		chunk = 50_000
	}
	free := make(chan *Block, 2)
	for range 2 {
		b := NewBlock(d)
		b.release = func(b *Block) { b.reset(); free <- b }
		free <- b
	}
	block := <-free
	months := map[Day]bool{}
	err = format.Scan(ctx, path, s, p.columns, func(rec *Record) error {
		sum.Read++
		before := block.rows
		reasons := p.row(rec, block, env)
		if len(reasons) > 0 {
			sum.Quarantined++
			return sink.Reject(Rejected{Line: rec.Line, Raw: rec.Raw(p.personCol, p.personText(rec, env)), Reasons: reasons})
		}
		sum.Loaded++
		sum.Stored += block.rows - before
		if block.rows > before {
			months[p.lastMonth] = true
		}
		if block.rows >= chunk {
			if err := sink.Rows(block); err != nil {
				return err
			}
			select {
			case block = <-free:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	if err == nil && block.rows > 0 {
		err = sink.Rows(block)
	}
	if fe, ok := err.(*FileError); ok {
		fe.File = path
	}
	for m := range months {
		sum.Months = append(sum.Months, m.Time())
	}
	sortTimes(sum.Months)
	return sum, err
}

// plan says, for each dataset field, where its value comes from and how it
// is checked.
type plan struct {
	spec     *Spec
	dataset  *Dataset
	dates    *dateParser
	columns  []string // columns requested from the file
	fieldCol []int    // per dataset field: index in columns, or -1
	mapping  []Mapping
	constant []*Cell // per dataset field: a constant value, or nil
	measures []string
	measCol  []int
	postcode int // index of the postcode field, -1 if none
	nis      int
	date     int // index of the date field
	record   int // index of the record id field
	// referralFrom is the index of referral_destination when referral is
	// derived from it (referral itself not mapped), -1 otherwise.
	referral, referralFrom int
	// personCol is the requested column of the person key, -1 if none.
	personCol  int
	person     int
	regionOnly map[string]bool
	start, end Day
	// vals holds the converted fields of the current row; lastMonth the
	// month of the last row appended.
	vals      []value
	lastMonth Day
	areaKey   string
}

func newPlan(s *Spec, d *Dataset, env Env) (*plan, error) {
	loc := env.Location
	if loc == nil {
		loc = time.UTC
	}
	dates, err := newDateParser(s.DateFormat, loc, s.Format == "xlsx" || s.DateFormat == "")
	if err != nil {
		return nil, fmt.Errorf("sources: %s: %w", s.Name, err)
	}
	p := &plan{spec: s, dataset: d, dates: dates, postcode: -1, nis: -1, record: -1, referral: -1, referralFrom: -1,
		personCol: -1, person: -1, regionOnly: map[string]bool{}, vals: make([]value, len(d.Fields))}
	start := s.StartDate()
	p.start = DayOf(start.Year(), start.Month(), start.Day())
	delivered := env.Delivered
	if delivered.IsZero() {
		delivered = time.Now()
	}
	delivered = delivered.In(loc)
	p.end = DayOf(delivered.Year(), delivered.Month(), delivered.Day())
	for _, m := range s.regionOnly() {
		p.regionOnly[strings.ToLower(strings.TrimSpace(m))] = true
	}
	for i, f := range d.Fields {
		idx := -1
		m, mapped := s.Fields[f.Name]
		if mapped {
			idx = len(p.columns)
			p.columns = append(p.columns, m.Column)
		}
		p.fieldCol = append(p.fieldCol, idx)
		p.mapping = append(p.mapping, m)
		var constant *Cell
		if v, ok := s.Constants[f.Name]; ok {
			constant = &Cell{Bytes: []byte(strings.TrimSpace(v)), Present: true}
		}
		p.constant = append(p.constant, constant)
		switch {
		case f.Type == Postcode:
			p.postcode = i
		case f.Type == NIS:
			p.nis = i
		case f.Type == RecordID:
			p.record = i
		case f.Type == Person:
			p.person, p.personCol = i, idx
		case f.Name == d.DateField:
			p.date = i
		case f.Name == "referral":
			p.referral = i
		case f.Name == "referral_destination":
			p.referralFrom = i
		}
	}
	if p.referral < 0 || p.fieldCol[p.referral] >= 0 || p.constant[p.referral] != nil || p.referralFrom < 0 || p.fieldCol[p.referralFrom] < 0 {
		p.referralFrom = -1
	}
	for _, m := range sortedKeys(s.Measures) {
		p.measures = append(p.measures, m)
		p.measCol = append(p.measCol, len(p.columns))
		p.columns = append(p.columns, s.Measures[m])
	}
	return p, nil
}

// personText returns the pseudonym shown in place of a quarantined record's
// person identifier.
func (p *plan) personText(rec *Record, env Env) string {
	if p.personCol < 0 {
		return ""
	}
	c := rec.Cells[p.personCol]
	if !c.Present || len(c.Bytes) == 0 {
		return ""
	}
	k := env.Pseudonymise(p.dataset.Name, c.Bytes)
	return "pseudo:" + hex.EncodeToString(k[:])
}

// row converts a record and appends its rows to the block, or returns every
// reason it breaks a rule (appending nothing).
func (p *plan) row(rec *Record, b *Block, env Env) []Reason {
	reasons := rec.Problems
	if len(reasons) > 0 {
		return append([]Reason(nil), reasons...)
	}
	placeable := true
	for i, f := range p.dataset.Fields {
		cell := Cell{}
		if idx := p.fieldCol[i]; idx >= 0 {
			cell = rec.Cells[idx]
		} else if c := p.constant[i]; c != nil {
			cell = *c
		}
		if r, ok := p.convert(i, f, cell, env, &p.vals[i]); !ok {
			reasons = append(reasons, r)
			placeable = placeable && i != p.postcode && i != p.nis
		}
	}
	if placeable {
		if r, ok := p.place(env); !ok {
			reasons = append(reasons, r)
		}
	}
	if p.referralFrom >= 0 && len(reasons) == 0 {
		p.vals[p.referral].n = 0
		if p.vals[p.referralFrom].s != "" {
			p.vals[p.referral].n = 1
		}
	}
	var measures []float64
	if p.dataset.Measures {
		for i, m := range p.measures {
			cell := rec.Cells[p.measCol[i]]
			v := -1.0
			if cell.Present && len(cell.Bytes) > 0 {
				f, r, ok := p.decimal(cell.Bytes)
				if ok && f < 0 {
					r, ok = Reason{Code: ProblemNegative}, false
				}
				if !ok {
					r.Field, r.Column, r.Value = m, p.spec.Measures[m], cut(string(cell.Bytes), 256)
					reasons = append(reasons, r)
				}
				v = f
			}
			measures = append(measures, v)
		}
	}
	if len(reasons) > 0 {
		return reasons
	}
	p.lastMonth = p.vals[p.date].day.FirstOfMonth()
	if !p.dataset.Measures {
		p.appendRow(b, env, rec.Line, "", 0)
		return nil
	}
	for i, v := range measures {
		if v >= 0 {
			p.appendRow(b, env, rec.Line, p.measures[i], v)
		}
	}
	return nil
}

// place resolves the commune and area key of the row from its NIS code or
// postcode; a postcode marker ("no fixed address", "unknown") or an optional
// postcode left empty places the row in the Region only.
func (p *plan) place(env Env) (Reason, bool) {
	p.areaKey = ""
	if p.postcode < 0 {
		return Reason{}, true
	}
	pc := &p.vals[p.postcode]
	nis := ""
	if p.nis >= 0 {
		nis = p.vals[p.nis].s
	}
	if nis == "" && pc.null { // a region-only marker, or an optional postcode left empty
		p.areaKey = env.RegionOnly
		return Reason{}, true
	}
	resolved, ok := env.Locate(nis, pc.s)
	if !ok {
		if nis != "" {
			return p.reason(p.nis, Reason{Code: ProblemOutside, Value: nis}), false
		}
		return p.reason(p.postcode, Reason{Code: ProblemOutside, Value: pc.s}), false
	}
	if p.nis >= 0 {
		p.vals[p.nis].s = resolved
	}
	p.areaKey = env.AreaKey(resolved, pc.s)
	return Reason{}, true
}

// reason names field i and its column in r.
func (p *plan) reason(i int, r Reason) Reason {
	f := p.dataset.Fields[i]
	r.Field = f.Name
	if p.fieldCol[i] >= 0 {
		r.Column = p.mapping[i].Column
	}
	return r
}

// appendRow appends the converted fields, then the area key, measure, record
// key, load id and line, in the order of Dataset.Columns.
func (p *plan) appendRow(b *Block, env Env, line int, measure string, v float64) {
	c := 0
	var record string
	for i, f := range p.dataset.Fields {
		if f.Type == RecordID {
			record = p.vals[i].s
			continue
		}
		b.cols[c].append(&p.vals[i])
		c++
	}
	if p.postcode >= 0 {
		b.cols[c].strs = append(b.cols[c].strs, p.areaKey)
		c++
	}
	if p.dataset.Measures {
		b.cols[c].strs = append(b.cols[c].strs, measure)
		b.cols[c+1].f64 = append(b.cols[c+1].f64, v)
		c += 2
	}
	b.cols[c].strs = append(b.cols[c].strs, record)
	b.cols[c+1].u64 = append(b.cols[c+1].u64, env.LoadID)
	b.cols[c+2].u32 = append(b.cols[c+2].u32, uint32(line))
	b.rows++
}

// convert reads field i from its cell into v, or says why it cannot.
func (p *plan) convert(i int, f Field, c Cell, env Env, v *value) (Reason, bool) {
	*v = value{}
	text := c.Bytes
	fail := func(code, detail string) (Reason, bool) {
		return p.reason(i, Reason{Code: code, Detail: detail, Value: cut(string(text), 256)}), false
	}
	if c.IsList && f.Type != List {
		return fail(ProblemList, "")
	}
	m := &p.mapping[i]
	if len(m.Map) > 0 && len(text) > 0 {
		mapped, ok := lookupMap(m.Map, text)
		switch {
		case ok:
			text = []byte(mapped)
		case m.Default != nil:
			text = []byte(*m.Default)
		default:
			return fail(ProblemUnmapped, "")
		}
	}
	empty := len(text) == 0 && !c.IsList
	if f.Required && empty {
		return fail(ProblemRequired, "")
	}
	switch f.Type {
	case String:
		v.s = string(text)
		if len(m.Values) > 0 && !empty && !contains(m.Values, v.s) {
			return fail(ProblemValue, strings.Join(m.Values, ", "))
		}
	case Date, Month:
		if empty {
			return fail(ProblemRequired, "")
		}
		day, code := p.dates.parse(text)
		switch {
		case code != "":
			return fail(code, p.dates.acceptedForms())
		case f.Type == Month:
			day = day.FirstOfMonth()
		}
		switch {
		case day > p.end:
			return fail(ProblemDateFuture, p.end.Time().Format(time.DateOnly))
		case day < p.start && !(f.Type == Month && day == p.start.FirstOfMonth()):
			return fail(ProblemDateEarly, p.start.Time().Format(time.DateOnly))
		}
		v.day = day
	case Clock:
		if empty {
			return Reason{}, true
		}
		hm, ok := p.clock(text)
		if !ok {
			return fail(ProblemTime, "")
		}
		v.s = hm
	case Int, Age, Decimal:
		if empty {
			v.null = f.Type == Age
			return Reason{}, true
		}
		if f.Type == Age && (bytes.EqualFold(text, []byte("unknown")) || bytes.EqualFold(text, []byte("inconnu"))) {
			v.null = true
			return Reason{}, true
		}
		n, r, ok := p.number(f.Type, text)
		if !ok {
			r.Value = cut(string(text), 256)
			return p.reason(i, r), false
		}
		if (m.Min != nil && n < *m.Min) || (m.Max != nil && n > *m.Max) {
			return fail(ProblemRange, rangeText(m.Min, m.Max))
		}
		v.f, v.n = n, uint64(n)
	case Bool:
		switch strings.ToLower(string(text)) {
		case "", "0", "false", "non", "no", "nee", "n":
		case "1", "true", "oui", "yes", "ja", "o", "y":
			v.n = 1
		default:
			return fail(ProblemBoolean, "")
		}
	case List:
		if c.IsList {
			v.list = c.List
		} else if !empty {
			parts := strings.Split(string(text), orDefault(p.spec.ListSeparator, "|"))
			for j := range parts {
				parts[j] = strings.TrimSpace(parts[j])
			}
			v.list = parts
		} else {
			v.list = []string{}
		}
	case Person:
		if !empty {
			v.key = env.Pseudonymise(p.dataset.Name, text)
		}
	case RecordID:
		if !empty {
			v.s = env.RecordKey(p.spec.Name, text)
		}
	case Postcode:
		if empty || p.regionOnly[strings.ToLower(string(text))] {
			v.null = true
			v.s = string(text)
			return Reason{}, true
		}
		if len(text) != 4 || !allDigits(text) {
			return fail(ProblemPostcode, "")
		}
		v.s = string(text)
	case NIS:
		if !empty && (len(text) != 5 || !allDigits(text)) {
			return fail(ProblemNIS, "")
		}
		v.s = string(text)
	default:
		return fail(ProblemSyntax, "field type "+string(f.Type)+" has no reader")
	}
	return Reason{}, true
}

// number reads a count, an age or a decimal; counts and measures are never
// below 0.
func (p *plan) number(t FieldType, text []byte) (float64, Reason, bool) {
	if t == Decimal {
		f, r, ok := p.decimal(text)
		if ok && f < 0 {
			return 0, Reason{Code: ProblemNegative}, false
		}
		return f, r, ok
	}
	t0 := text
	if len(t0) > 0 && (t0[0] == '-' || t0[0] == '+') {
		t0 = t0[1:]
	}
	t0 = dropGroupSpaces(t0)
	n, err := strconv.ParseUint(string(t0), 10, 32)
	switch {
	case err != nil && t == Age:
		return 0, Reason{Code: ProblemAge}, false
	case err != nil:
		return 0, Reason{Code: ProblemInteger}, false
	case text[0] == '-' && n > 0:
		return 0, Reason{Code: ProblemNegative}, false
	case t == Age && n > 120:
		return 0, Reason{Code: ProblemAge}, false
	}
	return float64(n), Reason{}, true
}

func (p *plan) decimal(text []byte) (float64, Reason, bool) {
	t := string(dropGroupSpaces(text))
	if p.spec.DecimalComma {
		t = strings.ReplaceAll(strings.ReplaceAll(t, ".", ""), ",", ".")
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, Reason{Code: ProblemNumber}, false
	}
	return v, Reason{}, true
}

// dropGroupSpaces drops the spaces Excel and users put between digit groups.
func dropGroupSpaces(b []byte) []byte {
	if bytes.IndexByte(b, ' ') < 0 && !bytes.Contains(b, []byte("\u00a0")) && !bytes.Contains(b, []byte("\u202f")) {
		return b
	}
	return []byte(thousands.Replace(string(b)))
}

var thousands = strings.NewReplacer(" ", "", "\u00a0", "", "\u202f", "")

func lookupMap(m map[string]string, text []byte) (string, bool) {
	if v, ok := m[string(text)]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(strings.TrimSpace(k), string(text)) {
			return v, true
		}
	}
	return "", false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func rangeText(min, max *float64) string {
	switch {
	case min != nil && max != nil:
		return fmt.Sprintf("%v–%v", *min, *max)
	case min != nil:
		return fmt.Sprintf("≥ %v", *min)
	}
	return fmt.Sprintf("≤ %v", *max)
}

// clock reads a time of day as "HH:MM": "15:28", "15:28:00", a workbook's
// fraction of a day ("0.6375"), or the time of a date-time the source's
// dates are read from (an ISO 8601 date-time, in the configured time zone
// when it has an offset; a workbook's serial number); empty for a date
// without a time.
func (p *plan) clock(text []byte) (string, bool) {
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.Parse(layout, string(text)); err == nil {
			return t.Format("15:04"), true
		}
	}
	if m, ok := serialMinute(text); ok && text[0] == '0' {
		return fmt.Sprintf("%02d:%02d", m/60, m%60), true
	}
	if _, m, code := p.dates.parseDateTime(text); code == "" {
		if m < 0 {
			return "", true // a date without a time: the time is not known
		}
		return fmt.Sprintf("%02d:%02d", m/60, m%60), true
	}
	return "", false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// Records calls fn for each record of a file, in file order, with its line
// and a function giving its raw text (cut to 4 KiB, person identifiers
// pseudonymised), for a second reading of the records set aside after a
// load.
func Records(ctx context.Context, s *Spec, path string, env Env, fn func(line int, raw func() string) error) error {
	d, ok := LookupDataset(s.Dataset)
	if !ok {
		return fmt.Errorf("sources: %s: unknown dataset %q", s.Name, s.Dataset)
	}
	format, ok := formats[s.Format]
	if !ok {
		return fmt.Errorf("sources: %s: unknown format %q", s.Name, s.Format)
	}
	p, err := newPlan(s, d, env)
	if err != nil {
		return err
	}
	return format.Scan(ctx, path, s, p.columns, func(rec *Record) error {
		return fn(rec.Line, func() string { return rec.Raw(p.personCol, p.personText(rec, env)) })
	})
}
