package sources

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// rawLimit bounds the raw text of a record kept for the quarantine.
const rawLimit = 4 << 10

// Cell is one value read from a file: text, or a list for JSON arrays.
type Cell struct {
	// Bytes is the text, trimmed of surrounding spaces; valid until the
	// next record.
	Bytes   []byte
	List    []string
	IsList  bool
	Present bool
}

// Record is one record of a file.
type Record struct {
	// Line is the file line where the record starts (the sheet row for a
	// workbook).
	Line int
	// Cells holds one cell per requested column.
	Cells []Cell
	// Problems are those of the record as a whole: its syntax, its length,
	// its number of cells, its encoding. A record with problems is
	// quarantined; its cells may then be incomplete.
	Problems []Reason
	// redact returns the record as delivered, cut to 4 KiB, with the cell
	// of requested column col replaced by with.
	redact func(col int, with string) string
}

// Raw returns the record as delivered, cut to 4 KiB, with the cell of
// requested column col (-1: none) replaced by with.
func (r *Record) Raw(col int, with string) string { return r.redact(col, with) }

// Format reads the records of one file kind.
//
// Scan reads the file at path and calls fn once per record, in file order,
// with one cell per requested column; the record and its cells are valid
// until fn returns. A problem that makes the whole file unreadable (no
// header, a missing column, an unknown sheet) is returned as a *FileError; an
// error returned by fn stops the scan and is returned as is.
type Format interface {
	Scan(ctx context.Context, path string, s *Spec, columns []string, fn func(*Record) error) error
}

var formats = map[string]Format{}

// RegisterFormat adds a format; a duplicate name panics at start-up.
func RegisterFormat(name string, f Format) {
	if _, dup := formats[name]; dup {
		panic("sources: format registered twice: " + name)
	}
	formats[name] = f
}

// FormatNames lists the registered formats, sorted.
func FormatNames() []string {
	var names []string
	for n := range formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func init() {
	RegisterFormat("csv", csvFormat{})
	RegisterFormat("jsonl", jsonLinesFormat{})
}

// decoder returns the reader wrapper of an encoding name, and whether the
// encoding is UTF-8 (whose invalid bytes are found by checking the text;
// the others decode every byte, and the few bytes Windows-1252 leaves
// undefined become U+FFFD).
func decoder(encoding string) (func(io.Reader) io.Reader, bool, error) {
	switch strings.ToLower(encoding) {
	case "", "utf-8", "utf8":
		return skipBOM, true, nil
	case "windows-1252", "cp1252":
		return func(r io.Reader) io.Reader { return transform.NewReader(r, charmap.Windows1252.NewDecoder()) }, false, nil
	case "iso-8859-1", "latin1", "latin-1":
		return func(r io.Reader) io.Reader { return transform.NewReader(r, charmap.ISO8859_1.NewDecoder()) }, false, nil
	}
	return nil, false, fmt.Errorf("unknown encoding %q (known: utf-8, windows-1252, iso-8859-1)", encoding)
}

func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	return br
}

var replacementChar = []byte("\uFFFD")

// encodingProblem returns the byte offset of the first invalid text in b, or
// -1.
func encodingProblem(b []byte, isUTF8 bool) int {
	if isUTF8 {
		if utf8.Valid(b) {
			return -1
		}
		return invalidUTF8(b)
	}
	return bytes.Index(b, replacementChar)
}

func openDecoded(path string, s *Spec) (io.Reader, func() error, bool, error) {
	decode, isUTF8, err := decoder(s.Encoding)
	if err != nil {
		return nil, nil, false, fmt.Errorf("sources: %s: %w", s.Name, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, false, fmt.Errorf("sources: %w", err)
	}
	return decode(f), f.Close, isUTF8, nil
}

type csvFormat struct{}

func (csvFormat) Scan(ctx context.Context, path string, s *Spec, columns []string, fn func(*Record) error) error {
	r, closeFile, isUTF8, err := openDecoded(path, s)
	if err != nil {
		return err
	}
	defer closeFile()
	delim := byte(',')
	if s.Delimiter != "" {
		delim = s.Delimiter[0]
	}
	sc := newCSVScanner(r, delim, s.limits())
	fileErr := func(line int, reason Reason, raw []byte) error {
		return &FileError{File: path, Line: line, Reason: reason, Raw: string(raw)}
	}
	for range s.SkipRows {
		if !sc.Next() {
			break
		}
	}
	if !sc.Next() {
		if err := sc.Err(); err != nil {
			return fmt.Errorf("sources: %s: %w", path, err)
		}
		return fileErr(s.SkipRows+1, Reason{Code: ProblemEmpty}, nil)
	}
	if p := sc.Problem(); p != nil {
		return fileErr(sc.Line(), scanReason(p, nil), sc.Raw())
	}
	headerLine := sc.Line()
	position := map[string]int{}
	var header []string
	for i, h := range sc.Fields() {
		name := strings.TrimSpace(string(h))
		header = append(header, name)
		if _, dup := position[name]; !dup {
			position[name] = i
		}
	}
	index := make([]int, len(columns))
	for i, c := range columns {
		p, ok := position[c]
		if !ok {
			return fileErr(headerLine, Reason{Code: ProblemColumn, Column: c}, sc.Raw())
		}
		index[i] = p
	}
	rec := &Record{Cells: make([]Cell, len(columns))}
	var fields [][]byte
	rec.redact = func(col int, with string) string {
		if len(fields) == 0 {
			return ""
		}
		at := -1
		if col >= 0 {
			at = index[col]
		}
		return joinCSV(fields, delim, at, with)
	}
	for n := 0; sc.Next(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		fields = sc.Fields()
		rec.Line, rec.Problems = sc.Line(), rec.Problems[:0]
		if p := sc.Problem(); p != nil {
			rec.Problems = append(rec.Problems, scanReason(p, header))
			if p.Code == ProblemLineTooLong {
				// Past the limit the quoting cannot be trusted: keep the
				// cells of the part read, but the last one, maybe cut.
				fields = prefixFields(sc.Raw(), delim)
			}
		} else if blank(fields) {
			continue // a line of separators only, as Excel leaves at the end
		} else if len(fields) != len(header) {
			rec.Problems = append(rec.Problems, Reason{Code: ProblemCells,
				Detail: fmt.Sprintf("%d cells, header %d", len(fields), len(header))})
		}
		for i, p := range index {
			rec.Cells[i] = Cell{}
			if p < len(fields) {
				f := fields[p]
				if needsTrim(f) {
					f = bytes.TrimSpace(f)
				}
				rec.Cells[i] = Cell{Bytes: f, Present: true}
			}
		}
		// The cells are the record's text without its quoting (ASCII):
		// when the whole record reads, they all do.
		if raw := sc.Raw(); len(rec.Problems) == 0 && !sc.ASCII() && (len(raw) >= maxRawBytes || encodingProblem(raw, isUTF8) >= 0) {
			for i, f := range fields {
				if off := encodingProblem(f, isUTF8); off >= 0 {
					rec.Problems = append(rec.Problems, Reason{Code: ProblemEncoding, Column: at(header, i), Detail: strconv.Itoa(off)})
				}
			}
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("sources: %s: %w", path, err)
	}
	return nil
}

// needsTrim reports whether bytes.TrimSpace could change b: whether it
// starts or ends with a space or a byte that is not ASCII.
func needsTrim(b []byte) bool {
	n := len(b)
	return n > 0 && (b[0]-'!' >= utf8.RuneSelf-'!' || b[n-1]-'!' >= utf8.RuneSelf-'!')
}

func at(s []string, i int) string {
	if i >= 0 && i < len(s) {
		return s[i]
	}
	return ""
}

// scanReason turns a scanner's problem into a reason.
func scanReason(p *scanProblem, header []string) Reason {
	r := Reason{Code: p.Code, Detail: p.Detail}
	switch p.Code {
	case ProblemLineTooLong, ProblemFieldTooLong:
		r.Detail = strconv.Itoa(p.Limit)
		if p.Field >= 0 {
			r.Column = at(header, p.Field)
		}
	default:
		r.Code = ProblemSyntax
	}
	return r
}

// prefixFields reads the cells of the first part of a record cut at the
// line limit, dropping the last cell, which may be cut.
func prefixFields(raw []byte, delim byte) [][]byte {
	sc := newCSVScanner(bytes.NewReader(raw), delim, scanLimits{MaxLineBytes: len(raw) + 1, MaxFieldBytes: len(raw) + 1})
	if !sc.Next() {
		return nil
	}
	f := sc.Fields()
	if len(f) == 0 {
		return nil
	}
	out := make([][]byte, len(f)-1)
	for i := range out {
		out[i] = append([]byte(nil), f[i]...)
	}
	return out
}

// joinCSV writes cells back as a CSV line, cell at replaced by with, cut to
// the raw limit.
func joinCSV(fields [][]byte, delim byte, at int, with string) string {
	var b bytes.Buffer
	for i, f := range fields {
		if b.Len() > rawLimit {
			break
		}
		if i > 0 {
			b.WriteByte(delim)
		}
		if i == at {
			f = []byte(with)
		}
		if bytes.IndexByte(f, delim) >= 0 || bytes.ContainsAny(f, "\"\r\n") {
			b.WriteByte('"')
			b.Write(bytes.ReplaceAll(f, []byte(`"`), []byte(`""`)))
			b.WriteByte('"')
		} else {
			b.Write(f)
		}
	}
	return cut(b.String(), rawLimit)
}

func blank(rec [][]byte) bool {
	for _, f := range rec {
		if len(bytes.TrimSpace(f)) != 0 {
			return false
		}
	}
	return true
}

type jsonLinesFormat struct{}

func (jsonLinesFormat) Scan(ctx context.Context, path string, s *Spec, columns []string, fn func(*Record) error) error {
	r, closeFile, isUTF8, err := openDecoded(path, s)
	if err != nil {
		return err
	}
	defer closeFile()
	sc := newLineScanner(r, s.limits())
	rec := &Record{Cells: make([]Cell, len(columns))}
	var line []byte
	rec.redact = func(col int, with string) string {
		key := ""
		if col >= 0 {
			key = columns[col]
		}
		return redactJSON(line, key, with)
	}
	fieldLimit := s.limits().MaxFieldBytes
	for n := 0; sc.Next(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec.Line, rec.Problems = sc.Line(), rec.Problems[:0]
		if p := sc.Problem(); p != nil {
			line = sc.Raw()
			rec.Problems = append(rec.Problems, scanReason(p, nil))
			clear(rec.Cells)
			if err := fn(rec); err != nil {
				return err
			}
			continue
		}
		line = bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		clear(rec.Cells)
		if off := encodingProblem(line, isUTF8); off >= 0 {
			rec.Problems = append(rec.Problems, Reason{Code: ProblemEncoding, Detail: strconv.Itoa(off)})
		} else if obj, err := jsonObject(line); err != nil {
			rec.Problems = append(rec.Problems, Reason{Code: ProblemSyntax, Detail: "not a JSON object: " + err.Error()})
		} else {
			for i, c := range columns {
				raw, ok := obj[c]
				if !ok {
					continue
				}
				cell, err := jsonCell(raw)
				switch {
				case err != nil:
					rec.Problems = append(rec.Problems, Reason{Code: ProblemSyntax, Column: c, Detail: err.Error()})
				case len(cell.Bytes) > fieldLimit:
					rec.Problems = append(rec.Problems, Reason{Code: ProblemFieldTooLong, Column: c, Detail: strconv.Itoa(fieldLimit)})
				default:
					rec.Cells[i] = cell
				}
			}
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("sources: %s: %w", path, err)
	}
	return nil
}

func jsonObject(line []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s (byte %d)", se.Error(), se.Offset)
		}
		return nil, err
	}
	return obj, nil
}

func jsonCell(raw json.RawMessage) (Cell, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return Cell{Present: true}, nil
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return Cell{Bytes: bytes.TrimSpace([]byte(s)), Present: true}, err
	case raw[0] == '[':
		var items []any
		if err := json.Unmarshal(raw, &items); err != nil {
			return Cell{}, err
		}
		list := make([]string, 0, len(items))
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return Cell{}, errors.New("a list item that is not text")
			}
			list = append(list, strings.TrimSpace(s))
		}
		return Cell{List: list, IsList: true, Present: true}, nil
	case raw[0] == '{':
		return Cell{}, errors.New("an object where a value is expected")
	default: // number or boolean, kept as written
		if _, err := strconv.ParseFloat(string(raw), 64); err != nil && string(raw) != "true" && string(raw) != "false" {
			return Cell{}, errors.New("an unexpected value")
		}
		return Cell{Bytes: raw, Present: true}, nil
	}
}

// redactJSON returns a JSON line, cut to the raw limit, with the value of key
// replaced by with; a value cut by the limit is dropped with the rest.
func redactJSON(line []byte, key, with string) string {
	text := cut(string(line), rawLimit)
	if key == "" {
		return text
	}
	pattern := regexp.MustCompile(`"` + regexp.QuoteMeta(key) + `"\s*:\s*`)
	var b strings.Builder
	for {
		loc := pattern.FindStringIndex(text)
		if loc == nil {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:loc[1]])
		rest := text[loc[1]:]
		end := jsonValueEnd(rest)
		if end < 0 { // cut within the value
			return b.String()
		}
		b.WriteString(strconv.Quote(with))
		text = rest[end:]
	}
}

// jsonValueEnd returns the length of the scalar JSON value s starts with, or
// -1 when s ends inside it.
func jsonValueEnd(s string) int {
	if s == "" {
		return -1
	}
	if s[0] == '"' {
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return -1
	}
	i := strings.IndexAny(s, ",}] \t")
	return i
}
