package sources

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// Cell is one value read from a file: text, or a list for JSON arrays.
type Cell struct {
	Text    string
	List    []string
	IsList  bool
	Present bool
}

// Format reads the records of one file kind.
//
// Scan calls row once per record, in file order, with the record's line
// number and one cell per requested column (Present false when the record
// lacks it). An error returned by row stops the scan and is returned as is.
// A missing column in a header is an error at line 1.
type Format interface {
	Scan(r io.Reader, s *Spec, columns []string, row func(line int, cells []Cell) error) error
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

// decoder returns the reader wrapper of an encoding name.
func decoder(encoding string) (func(io.Reader) io.Reader, error) {
	switch strings.ToLower(encoding) {
	case "", "utf-8", "utf8":
		return skipBOM, nil
	case "windows-1252", "cp1252":
		return func(r io.Reader) io.Reader { return transform.NewReader(r, charmap.Windows1252.NewDecoder()) }, nil
	case "iso-8859-1", "latin1", "latin-1":
		return func(r io.Reader) io.Reader { return transform.NewReader(r, charmap.ISO8859_1.NewDecoder()) }, nil
	}
	return nil, fmt.Errorf("unknown encoding %q (known: utf-8, windows-1252, iso-8859-1)", encoding)
}

func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	return br
}

type csvFormat struct{}

func (csvFormat) Scan(r io.Reader, s *Spec, columns []string, row func(int, []Cell) error) error {
	cr := csv.NewReader(r)
	cr.Comma = ','
	if s.Delimiter != "" {
		cr.Comma = []rune(s.Delimiter)[0]
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return rowProblem(1, ProblemEmpty, "", "")
	}
	if err != nil {
		return csvError(err)
	}
	position := map[string]int{}
	for i, h := range header {
		position[strings.TrimSpace(h)] = i
	}
	index := make([]int, len(columns))
	for i, c := range columns {
		p, ok := position[c]
		if !ok {
			re := rowProblem(1, ProblemColumn, c, strings.Join(header, string(cr.Comma)))
			re.Column = c
			return re
		}
		index[i] = p
	}
	cells := make([]Cell, len(columns))
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue // a line of separators only, as Excel leaves at the end
		}
		for i, p := range index {
			cells[i] = Cell{}
			if p < len(rec) {
				cells[i] = Cell{Text: strings.TrimSpace(rec[p]), Present: true}
			}
		}
		if err := row(line, cells); err != nil {
			return err
		}
	}
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return rowProblem(pe.Line, ProblemSyntax, "", pe.Err.Error())
	}
	return err
}

type jsonLinesFormat struct{}

func (jsonLinesFormat) Scan(r io.Reader, _ *Spec, columns []string, row func(int, []Cell) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	cells := make([]Cell, len(columns))
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(text, &obj); err != nil {
			return rowProblem(line, ProblemSyntax, "", "not a JSON object: "+err.Error())
		}
		for i, c := range columns {
			raw, ok := obj[c]
			if !ok {
				cells[i] = Cell{}
				continue
			}
			cell, err := jsonCell(raw)
			if err != nil {
				re := rowProblem(line, ProblemSyntax, "", err.Error())
				re.Field, re.Column = c, c
				return re
			}
			cells[i] = cell
		}
		if err := row(line, cells); err != nil {
			return err
		}
	}
	return sc.Err()
}

func jsonCell(raw json.RawMessage) (Cell, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return Cell{Present: true}, nil
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return Cell{Text: strings.TrimSpace(s), Present: true}, err
	case raw[0] == '[':
		var items []any
		if err := json.Unmarshal(raw, &items); err != nil {
			return Cell{}, err
		}
		list := make([]string, 0, len(items))
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return Cell{}, fmt.Errorf("list item %v is not a string", it)
			}
			list = append(list, s)
		}
		return Cell{List: list, IsList: true, Present: true}, nil
	case raw[0] == '{':
		return Cell{}, errors.New("an object where a value is expected")
	default: // number or boolean, kept as written
		if _, err := strconv.ParseFloat(string(raw), 64); err != nil && string(raw) != "true" && string(raw) != "false" {
			return Cell{}, fmt.Errorf("unexpected value %s", raw)
		}
		return Cell{Text: string(raw), Present: true}, nil
	}
}
