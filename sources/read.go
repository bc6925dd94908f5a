package sources

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Env is what reading needs from the rest of the pipeline.
type Env struct {
	// Pseudonymise turns a raw person identifier into the key stored.
	Pseudonymise func(dataset string, raw []byte) [16]byte
	// PseudonymiseAll, when set, does what Pseudonymise does for many
	// identifiers at once: identifier r is ids[ends[r-1]:ends[r]] (from 0
	// for the first), and its key goes to keys[16*r:]; an empty identifier
	// leaves its key as it is.
	PseudonymiseAll func(dataset string, ids []byte, ends []uint32, keys []byte)
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
// split): a block holding chunk rows ends before the next line of another
// day, or at most a quarter of chunk later, so that the blocks of a file in
// date order share no day. Every record that breaks a rule goes to
// sink.Reject with all its reasons, and reading goes on. A problem of the
// whole file is returned as a *FileError.
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
	// A block ends at the first line of a new day once it holds chunk
	// rows, up to most rows.
	most := chunk + chunk/4
	free := make(chan *Block, 2)
	for range 2 {
		b := NewBlock(d)
		// A file line stored as several measure rows may end a block
		// past most rows.
		for i := range b.cols {
			b.cols[i].reserve(min(most, 1<<20) + len(s.Measures))
		}
		b.release = func(b *Block) { b.reset(); free <- b }
		free <- b
	}
	block := <-free
	emit := func() error {
		block.pseudonymise(env.Pseudonymise, env.PseudonymiseAll)
		return sink.Rows(block)
	}
	next := func() (*Block, error) {
		select {
		case b := <-free:
			return b, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	months := map[Day]bool{}
	lastMonth, anyMonth := Day(0), false
	lastDay, anyDay := Day(0), false
	err = format.Scan(ctx, path, s, p.columns, func(rec *Record) error {
		sum.Read++
		before := block.rows
		reasons := p.row(rec, block)
		if len(reasons) > 0 {
			sum.Quarantined++
			return sink.Reject(Rejected{Line: rec.Line, Raw: rec.Raw(p.personCol, p.personText(rec, env)), Reasons: reasons})
		}
		sum.Loaded++
		sum.Stored += block.rows - before
		if block.rows > before && (!anyMonth || p.lastMonth != lastMonth) {
			months[p.lastMonth] = true
			lastMonth, anyMonth = p.lastMonth, true
		}
		grew := block.rows > before
		switch {
		case grew && before >= chunk && anyDay && p.day != lastDay:
			// A full block and a line of a new day: the line starts the
			// next block.
			b, err := next()
			if err != nil {
				return err
			}
			block.moveRows(before, b)
			if err := emit(); err != nil {
				return err
			}
			block = b
		case block.rows >= most:
			if err := emit(); err != nil {
				return err
			}
			b, err := next()
			if err != nil {
				return err
			}
			block = b
		}
		if grew {
			lastDay, anyDay = p.day, true
		}
		return nil
	})
	if err == nil && block.rows > 0 {
		err = emit()
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
	env      *Env
	spec     *Spec
	dataset  *Dataset
	dates    *dateParser
	columns  []string // columns requested from the file
	fieldCol []int    // per dataset field: index in columns, or -1
	steps    []step   // per dataset field: what converting it takes
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
	personCol int
	person    int
	// Block columns after the fields: the area key (-1 if none), the
	// measure and its value (-1 if none), the load id and the line.
	areaCol, measureCol, valueCol, loadCol, lineCol int
	regionOnly                                      map[string]bool
	listSep                                         []byte
	start, end                                      Day
	// What the fields of the current row gave that the row needs after
	// them.
	day          Day
	postcodeOf   *postcodeInfo // nil for an empty postcode
	postcodeNull bool
	nisText      []byte
	referred     bool
	areaKey      string
	measured     []float64
	lastMonth    Day        // the month of the last row appended
	lastDay      Day        // the day lastMonth was taken from
	why          Reason     // why the last field converted breaks a rule
	lastDates    []lastDate // per dataset field
	// The postcodes, NIS codes and area keys met: the geography is looked
	// up with strings, and a file holds few of them. Postcodes of four
	// digits are found by their number.
	byNumber  []*postcodeInfo
	postcodes map[string]*postcodeInfo
	strs      map[string]string
	areas     map[[2]string]string
}

// postcodeInfo is what a plan knows of a postcode as delivered.
type postcodeInfo struct {
	text   string
	marker bool // a region-only marker
	valid  bool // four digits
	// The commune and area key of the postcode alone (no NIS code), once
	// looked up.
	looked, inRegion  bool
	resolved, areaKey string
}

// fieldType is a FieldType as a number, for converting cells.
type fieldType uint8

const (
	typeUnknown fieldType = iota
	typeString
	typeDate
	typeMonth
	typeClock
	typeInt
	typeAge
	typeDecimal
	typeBool
	typeList
	typePerson
	typePostcode
	typeNIS
	typeRecord
)

var fieldTypes = map[FieldType]fieldType{String: typeString, Date: typeDate, Month: typeMonth, Clock: typeClock,
	Int: typeInt, Age: typeAge, Decimal: typeDecimal, Bool: typeBool, List: typeList, Person: typePerson,
	Postcode: typePostcode, NIS: typeNIS, RecordID: typeRecord}

// step is what converting a dataset field takes, in one place: the code
// table and accepted values of its mapping are prepared as bytes, so that
// converting a cell allocates nothing.
type step struct {
	typ      fieldType
	required bool
	col      int   // index of the field's cell in a record, or -1
	cell     *Cell // when col is -1: a constant, or no cell
	blockCol int   // index of its block column
	codes    codeTable
	accepted [][]byte
	// fieldCodes are the dataset field's codes (Field.Codes), and unknown
	// its Unknown code when it has one: what an empty cell stores.
	fieldCodes [][]byte
	unknown    []byte
}

// lastDate is the last text of a date field read well, and its day.
type lastDate struct {
	text []byte
	day  Day
	ok   bool
}

// codeTable is a field's map of delivered values to canonical ones.
type codeTable struct {
	exact map[string][]byte
	// folded lists the delivered values trimmed, compared without case
	// when no value matches exactly.
	folded      []string
	foldedTo    [][]byte
	orElse      []byte
	hasDefault  bool
	hasMappings bool
}

// lookup returns the canonical value of a delivered one.
func (t *codeTable) lookup(text []byte) ([]byte, bool) {
	if v, ok := t.exact[string(text)]; ok {
		return v, true
	}
	for i, k := range t.folded {
		if strings.EqualFold(k, string(text)) {
			return t.foldedTo[i], true
		}
	}
	return nil, false
}

// internLimit bounds the strings a plan keeps: past it they are made anew.
const internLimit = 1 << 16

func newPlan(s *Spec, d *Dataset, env Env) (*plan, error) {
	loc := env.Location
	if loc == nil {
		loc = time.UTC
	}
	dates, err := newDateParser(s.DateFormat, loc, s.Format == "xlsx" || s.DateFormat == "")
	if err != nil {
		return nil, fmt.Errorf("sources: %s: %w", s.Name, err)
	}
	p := &plan{env: &env, spec: s, dataset: d, dates: dates, postcode: -1, nis: -1, record: -1, referral: -1, referralFrom: -1,
		personCol: -1, person: -1, areaCol: -1, measureCol: -1, valueCol: -1, regionOnly: map[string]bool{},
		listSep:   []byte(orDefault(s.ListSeparator, "|")),
		postcodes: map[string]*postcodeInfo{}, strs: map[string]string{}, areas: map[[2]string]string{}}
	p.lastDates = make([]lastDate, len(d.Fields))
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
	blockCol := map[string]int{}
	for i, name := range d.Columns() {
		blockCol[name] = i
	}
	for i, f := range d.Fields {
		idx := -1
		m, mapped := s.Fields[f.Name]
		if m.MapFile != "" && len(m.Map) == 0 {
			return nil, fmt.Errorf("sources: %s: field %s: the code table %s is not loaded (Spec.LoadCodeTables)", s.Name, f.Name, m.MapFile)
		}
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
		st := step{typ: fieldTypes[f.Type], required: f.Required, col: idx, cell: constant,
			blockCol: blockCol[f.Name], codes: newCodeTable(m)}
		if f.Type == RecordID {
			st.blockCol = blockCol["record_key"]
		}
		if st.col < 0 && st.cell == nil {
			st.cell = &noCell
		}
		for _, v := range m.Values {
			st.accepted = append(st.accepted, []byte(v))
		}
		for _, c := range f.Codes {
			st.fieldCodes = append(st.fieldCodes, []byte(c))
			if c == Unknown {
				st.unknown = st.fieldCodes[len(st.fieldCodes)-1]
			}
		}
		p.steps = append(p.steps, st)
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
	if i, ok := blockCol["area_key"]; ok && p.postcode >= 0 {
		p.areaCol = i
	}
	if d.Measures {
		p.measureCol, p.valueCol = blockCol["measure"], blockCol["value"]
	}
	p.loadCol, p.lineCol = blockCol["load_id"], blockCol["line"]
	for _, m := range sortedKeys(s.Measures) {
		p.measures = append(p.measures, m)
		p.measCol = append(p.measCol, len(p.columns))
		p.columns = append(p.columns, s.Measures[m])
	}
	return p, nil
}

func newCodeTable(m Mapping) codeTable {
	t := codeTable{hasMappings: len(m.Map) > 0, exact: map[string][]byte{}}
	for _, k := range sortedKeys(m.Map) {
		v := []byte(m.Map[k])
		t.exact[k] = v
		t.folded = append(t.folded, strings.TrimSpace(k))
		t.foldedTo = append(t.foldedTo, v)
	}
	if m.Default != nil {
		t.orElse, t.hasDefault = []byte(*m.Default), true
	}
	return t
}

// intern returns b as a string, the same one each time while the plan
// keeps fewer than internLimit of them.
func (p *plan) intern(b []byte) string {
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.strs) < internLimit {
		p.strs[s] = s
	}
	return s
}

// postcodeInfo returns what the plan knows of a postcode (non-empty).
func (p *plan) postcodeInfo(text []byte) *postcodeInfo {
	number := -1
	if len(text) == 4 && allDigits(text) {
		number = int(text[0]-'0')*1000 + int(text[1]-'0')*100 + int(text[2]-'0')*10 + int(text[3]-'0')
		if p.byNumber == nil {
			p.byNumber = make([]*postcodeInfo, 10000)
		}
		if info := p.byNumber[number]; info != nil {
			return info
		}
	} else if info, ok := p.postcodes[string(text)]; ok {
		return info
	}
	info := &postcodeInfo{text: string(text), marker: p.isRegionOnly(text), valid: number >= 0}
	switch {
	case number >= 0:
		p.byNumber[number] = info
	case len(p.postcodes) < internLimit:
		p.postcodes[info.text] = info
	}
	return info
}

// areaKeyOf returns env.AreaKey of a commune and postcode, remembered.
func (p *plan) areaKeyOf(env *Env, nis, postcode string) string {
	k := [2]string{nis, postcode}
	if a, ok := p.areas[k]; ok {
		return a
	}
	a := env.AreaKey(nis, postcode)
	if len(p.areas) < internLimit {
		p.areas[k] = a
	}
	return a
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
// reason it breaks a rule (appending nothing). The fields are written to
// the block's columns as they are converted; a row that breaks a rule is
// taken back.
func (p *plan) row(rec *Record, b *Block) []Reason {
	env := p.env
	if len(rec.Problems) > 0 {
		return append([]Reason(nil), rec.Problems...)
	}
	var reasons []Reason
	placeable := true
	for i := range p.steps {
		st := &p.steps[i]
		cell := st.cell
		if st.col >= 0 {
			cell = &rec.Cells[st.col]
		}
		if !p.convert(i, st, cell, &b.cols[st.blockCol]) {
			reasons = append(reasons, p.why)
			placeable = placeable && i != p.postcode && i != p.nis
		}
	}
	if placeable {
		if r, ok := p.place(env, b); !ok {
			reasons = append(reasons, r)
		}
	}
	if p.referralFrom >= 0 && len(reasons) == 0 && p.referred {
		u8 := b.cols[p.steps[p.referral].blockCol].u8
		u8[len(u8)-1] = 1
	}
	measures := p.measured[:0]
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
		p.measured = measures
	}
	if len(reasons) > 0 {
		b.truncate()
		return reasons
	}
	if p.day != p.lastDay {
		p.lastDay, p.lastMonth = p.day, p.day.FirstOfMonth()
	}
	if p.areaCol >= 0 {
		b.cols[p.areaCol].appendString(p.areaKey)
	}
	if !p.dataset.Measures {
		p.endRow(b, env, rec.Line)
		return nil
	}
	// One row per measure given: the first completes the row written, the
	// others repeat it.
	first := true
	for i, v := range measures {
		if v < 0 {
			continue
		}
		if !first {
			b.repeatLast(p.measureCol, p.valueCol, p.loadCol, p.lineCol)
		}
		first = false
		b.cols[p.measureCol].appendString(p.measures[i])
		b.cols[p.valueCol].f64 = append(b.cols[p.valueCol].f64, v)
		p.endRow(b, env, rec.Line)
	}
	if first { // no measure: the line gives no row
		b.truncate()
	}
	return nil
}

// endRow writes the load id and line, ending a row.
func (p *plan) endRow(b *Block, env *Env, line int) {
	b.cols[p.loadCol].u64 = append(b.cols[p.loadCol].u64, env.LoadID)
	b.cols[p.lineCol].u32 = append(b.cols[p.lineCol].u32, uint32(line))
	b.rows++
}

// noCell is the cell of a field neither mapped nor constant.
var noCell Cell

// place resolves the commune and area key of the row from its NIS code or
// postcode; a postcode marker ("no fixed address", "unknown") or an optional
// postcode left empty places the row in the Region only. The NIS code
// written becomes the commune resolved.
func (p *plan) place(env *Env, b *Block) (Reason, bool) {
	p.areaKey = ""
	if p.postcode < 0 {
		return Reason{}, true
	}
	nis, postcode := "", ""
	if p.nis >= 0 && len(p.nisText) > 0 {
		nis = p.intern(p.nisText)
	}
	if nis == "" && p.postcodeNull { // a region-only marker, or an optional postcode left empty
		p.areaKey = env.RegionOnly
		return Reason{}, true
	}
	info := p.postcodeOf
	if info != nil {
		postcode = info.text
	}
	var resolved string
	var ok bool
	if nis == "" && info != nil {
		if !info.looked {
			info.resolved, info.inRegion = env.Locate("", postcode)
			if info.inRegion {
				info.areaKey = env.AreaKey(info.resolved, postcode)
			}
			info.looked = true
		}
		resolved, ok, p.areaKey = info.resolved, info.inRegion, info.areaKey
	} else {
		if resolved, ok = env.Locate(nis, postcode); ok {
			p.areaKey = p.areaKeyOf(env, resolved, postcode)
		}
	}
	if !ok {
		if nis != "" {
			return p.reason(p.nis, Reason{Code: ProblemOutside, Value: nis}), false
		}
		return p.reason(p.postcode, Reason{Code: ProblemOutside, Value: postcode}), false
	}
	if p.nis >= 0 {
		b.cols[p.steps[p.nis].blockCol].setLast(resolved)
	}
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

// fail records in p.why that field i, whose text is text, breaks rule
// code, and returns false.
func (p *plan) fail(i int, code, detail string, text []byte) bool {
	p.why = p.reason(i, Reason{Code: code, Detail: detail, Value: cut(string(text), 256)})
	return false
}

// convert reads field i from its cell and appends it to its block column,
// or returns false, appending nothing, with the reason in p.why.
func (p *plan) convert(i int, st *step, c *Cell, col *column) bool {
	k := st.typ
	text := c.Bytes
	if c.IsList && k != typeList {
		return p.fail(i, ProblemList, "", text)
	}
	if st.codes.hasMappings && len(text) > 0 && k != typeList { // list items are mapped one by one
		var ok bool
		if text, ok = p.mapped(i, st, text); !ok {
			return false
		}
	}
	empty := len(text) == 0 && !c.IsList
	if st.required && empty {
		return p.fail(i, ProblemRequired, "", text)
	}
	switch k {
	case typeString:
		if accepted := st.accepted; len(accepted) > 0 && !empty && foldedCode(accepted, text) == nil {
			return p.fail(i, ProblemValue, strings.Join(p.mapping[i].Values, ", "), text)
		}
		if len(st.fieldCodes) > 0 {
			if empty {
				text = st.unknown
			} else {
				var ok bool
				if text, ok = p.fieldCode(i, st, text); !ok {
					return false
				}
			}
		}
		if i == p.referralFrom {
			p.referred = len(text) > 0
		}
		col.appendText(text)
	case typeDate, typeMonth:
		if empty && (st.required || i == p.date) {
			return p.fail(i, ProblemRequired, "", text)
		}
		if empty {
			col.days = append(col.days, NoDay)
			break
		}
		// Rows in date order repeat their date: the last one read well is
		// remembered.
		last := &p.lastDates[i]
		day := last.day
		if !last.ok || string(last.text) != string(text) {
			last.ok = false
			d, code := p.dates.parse(text)
			switch {
			case code != "":
				return p.fail(i, code, p.dates.acceptedForms(), text)
			case k == typeMonth:
				d = d.FirstOfMonth()
			}
			switch {
			case d > p.end:
				return p.fail(i, ProblemDateFuture, p.end.Time().Format(time.DateOnly), text)
			case d < p.start && !(k == typeMonth && d == p.start.FirstOfMonth()):
				return p.fail(i, ProblemDateEarly, p.start.Time().Format(time.DateOnly), text)
			}
			*last = lastDate{text: append(last.text[:0], text...), day: d, ok: true}
			day = d
		}
		if i == p.date {
			p.day = day
		}
		col.days = append(col.days, day)
	case typeClock:
		if empty {
			col.appendText(nil)
			break
		}
		if hm, ok := clockHHMM(text); ok {
			col.appendText(hm)
			break
		}
		hm, ok := p.clock(text)
		if !ok {
			return p.fail(i, ProblemTime, "", text)
		}
		col.appendString(hm)
	case typeInt, typeAge, typeDecimal:
		var n float64
		null := empty && k == typeAge
		if !empty && k == typeAge && (bytes.EqualFold(text, []byte("unknown")) || bytes.EqualFold(text, []byte("inconnu"))) {
			null = true
		}
		if !empty && !null {
			var r Reason
			var ok bool
			if n, r, ok = p.number(k, text); !ok {
				r.Value = cut(string(text), 256)
				p.why = p.reason(i, r)
				return false
			}
			m := &p.mapping[i]
			if (m.Min != nil && n < *m.Min) || (m.Max != nil && n > *m.Max) {
				return p.fail(i, ProblemRange, rangeText(m.Min, m.Max), text)
			}
		}
		switch k {
		case typeInt:
			col.u32 = append(col.u32, uint32(n))
		case typeDecimal:
			col.f64 = append(col.f64, n)
		case typeAge:
			none := uint8(0)
			if null {
				none = 1
			}
			col.u8, col.none = append(col.u8, uint8(n)), append(col.none, none)
		}
	case typeBool:
		n, ok := boolean(text)
		if !ok {
			return p.fail(i, ProblemBoolean, "", text)
		}
		col.u8 = append(col.u8, uint8(n))
	case typeList:
		if st.codes.hasMappings || len(st.fieldCodes) > 0 {
			return p.convertCodedList(i, st, c, col)
		}
		switch {
		case c.IsList:
			for _, it := range c.List {
				col.appendString(it)
			}
		case !empty:
			rest := text
			for {
				j := bytes.Index(rest, p.listSep)
				if j < 0 {
					col.appendText(bytes.TrimSpace(rest))
					break
				}
				col.appendText(bytes.TrimSpace(rest[:j]))
				rest = rest[j+len(p.listSep):]
			}
		}
		col.rowEnds = append(col.rowEnds, uint32(len(col.ends)))
	case typePerson:
		// The key is written once the block is full (Block.pseudonymise).
		col.appendID(text)
	case typeRecord:
		if empty {
			col.appendText(nil)
		} else {
			col.appendString(p.env.RecordKey(p.spec.Name, text))
		}
	case typePostcode:
		p.postcodeOf, p.postcodeNull = nil, false
		if !empty {
			p.postcodeOf = p.postcodeInfo(text)
		}
		switch {
		case empty || p.postcodeOf.marker:
			p.postcodeNull = true
		case !p.postcodeOf.valid:
			return p.fail(i, ProblemPostcode, "", text)
		}
		col.appendText(text)
	case typeNIS:
		if !empty && (len(text) != 5 || !allDigits(text)) {
			return p.fail(i, ProblemNIS, "", text)
		}
		p.nisText = text
		col.appendText(text)
	default:
		return p.fail(i, ProblemSyntax, "field type "+string(p.dataset.Fields[i].Type)+" has no reader", text)
	}
	return true
}

// convertCodedList reads a list field whose items are mapped or coded:
// each item, trimmed, goes through the map, then must be one of the
// field's codes; empty items are dropped. A bad item refuses the whole
// list, appending nothing.
func (p *plan) convertCodedList(i int, st *step, c *Cell, col *column) bool {
	ends, data := len(col.ends), len(col.data)
	item := func(text []byte) bool {
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			return true
		}
		ok := true
		if st.codes.hasMappings {
			text, ok = p.mapped(i, st, text)
		}
		if ok && len(st.fieldCodes) > 0 {
			text, ok = p.fieldCode(i, st, text)
		}
		if ok {
			col.appendText(text)
		}
		return ok
	}
	ok := true
	if c.IsList {
		for _, it := range c.List {
			if ok = item([]byte(it)); !ok {
				break
			}
		}
	} else {
		rest := c.Bytes
		for ok && len(rest) > 0 {
			j := bytes.Index(rest, p.listSep)
			if j < 0 {
				ok = item(rest)
				break
			}
			ok = item(rest[:j])
			rest = rest[j+len(p.listSep):]
		}
	}
	if !ok {
		col.ends, col.data = col.ends[:ends], col.data[:data]
		return false
	}
	col.rowEnds = append(col.rowEnds, uint32(len(col.ends)))
	return true
}

// mapped returns the text field i's map gives text, or its default; false,
// with the reason in p.why, when text is unmapped.
func (p *plan) mapped(i int, st *step, text []byte) ([]byte, bool) {
	if mapped, ok := st.codes.lookup(text); ok {
		return mapped, true
	}
	if st.codes.hasDefault {
		return st.codes.orElse, true
	}
	return nil, p.fail(i, ProblemUnmapped, "", text)
}

// fieldCode returns the code of field i that text is, compared without
// case; false, with the reason in p.why, when it is none.
func (p *plan) fieldCode(i int, st *step, text []byte) ([]byte, bool) {
	if code := foldedCode(st.fieldCodes, text); code != nil {
		return code, true
	}
	return nil, p.fail(i, ProblemValue, strings.Join(p.dataset.Fields[i].Codes, ", "), text)
}

// foldedCode returns the one of codes text is, compared without case, or
// nil.
func foldedCode(codes [][]byte, text []byte) []byte {
	for _, c := range codes {
		if bytes.EqualFold(c, text) {
			return c
		}
	}
	return nil
}

// isRegionOnly reports whether a postcode is one of the source's region-only
// markers, compared without case.
func (p *plan) isRegionOnly(text []byte) bool {
	for _, c := range text {
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return p.regionOnly[strings.ToLower(string(text))]
		}
	}
	return p.regionOnly[string(text)]
}

// clockHHMM reads the common forms of a time of day, "15:28" and
// "15:28:00", as clock does; ok is false for any other text.
func clockHHMM(text []byte) ([]byte, bool) {
	if len(text) != 5 && len(text) != 8 {
		return nil, false
	}
	if text[2] != ':' || !twoDigitsAt(text, 0, 23) || !twoDigitsAt(text, 3, 59) {
		return nil, false
	}
	if len(text) == 8 && (text[5] != ':' || !twoDigitsAt(text, 6, 59)) {
		return nil, false
	}
	return text[:5:5], true
}

// twoDigitsAt reports whether text[i:i+2] is a number from 00 to max.
func twoDigitsAt(text []byte, i, max int) bool {
	a, b := text[i], text[i+1]
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return false
	}
	return int(a-'0')*10+int(b-'0') <= max
}

// boolean reads a boolean: 1 for yes, 0 for no (or empty).
func boolean(text []byte) (uint8, bool) {
	var buf [8]byte
	if len(text) > len(buf) {
		return 0, false
	}
	for i, c := range text {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(text)]) {
	case "", "0", "false", "non", "no", "nee", "n":
		return 0, true
	case "1", "true", "oui", "yes", "ja", "o", "y":
		return 1, true
	}
	return 0, false
}

// number reads a count, an age or a decimal; counts and measures are never
// below 0.
func (p *plan) number(t fieldType, text []byte) (float64, Reason, bool) {
	if t == typeDecimal {
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
	n, ok := parseUint32(t0)
	if !ok {
		n, ok = parseUint32(dropGroupSpaces(t0))
	}
	switch {
	case !ok && t == typeAge:
		return 0, Reason{Code: ProblemAge}, false
	case !ok:
		return 0, Reason{Code: ProblemInteger}, false
	case text[0] == '-' && n > 0:
		return 0, Reason{Code: ProblemNegative}, false
	case t == typeAge && n > 120:
		return 0, Reason{Code: ProblemAge}, false
	}
	return float64(n), Reason{}, true
}

// parseUint32 reads decimal digits, as strconv.ParseUint(s, 10, 32) does.
func parseUint32(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
		if n > math.MaxUint32 {
			return 0, false
		}
	}
	return n, true
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
