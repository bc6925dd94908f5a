package sources

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Header of a code table file: the delivered code, then the canonical one.
const (
	codeTableFrom = "code"
	codeTableTo   = "tdi_code"
)

// LoadCodeTables reads the code table file of every field mapping that
// names one (Mapping.MapFile) into the mapping's Map, for the
// configuration to check and the reader to use. Every problem is returned,
// naming the file and its line: a file that cannot be read, a wrong
// header, a delivered code given twice or also in the inline map, a
// canonical code that the dataset field does not list. Lines with a problem
// are left out of the map.
func (s *Spec) LoadCodeTables() []Problem {
	var ps []Problem
	d, _ := LookupDataset(s.Dataset)
	for _, name := range sortedKeys(s.Fields) {
		m := s.Fields[name]
		if m.MapFile == "" {
			continue
		}
		var f Field
		if d != nil {
			f, _ = d.Field(name)
		}
		table, problems := readCodeTable(m.MapFile, f)
		for _, msg := range problems {
			ps = append(ps, Problem{"fields." + name + ".map_file", msg})
		}
		merged := make(map[string]string, len(table)+len(m.Map))
		for k, v := range m.Map {
			merged[k] = v
		}
		for _, e := range table {
			if hasFoldedKey(m.Map, e.from) {
				ps = append(ps, Problem{"fields." + name + ".map_file",
					fmt.Sprintf("%s line %d: code %q is also in the field's map", m.MapFile, e.line, e.from)})
				continue
			}
			merged[e.from] = e.to
		}
		m.Map = merged
		s.Fields[name] = m
	}
	return ps
}

// codeTableEntry is a line of a code table file.
type codeTableEntry struct {
	from, to string
	line     int
}

// readCodeTable reads a code table file; f, when it has codes, checks the
// canonical codes (written as f writes them in the result).
func readCodeTable(path string, f Field) ([]codeTableEntry, []string) {
	file, err := os.Open(path)
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: cannot read the code table: %v", path, errors.Unwrap(err))}
	}
	defer file.Close()
	r := csv.NewReader(file)
	r.Comma = ';'
	r.FieldsPerRecord = 2
	r.TrimLeadingSpace = true
	var out []codeTableEntry
	var problems []string
	seen := map[string]int{}
	for first := true; ; first = false {
		rec, err := r.Read()
		if err == io.EOF {
			if first {
				problems = append(problems, fmt.Sprintf("%s: the code table is empty: a header %s;%s is expected", path, codeTableFrom, codeTableTo))
			}
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
				err = pe.Err
			}
			problems = append(problems, fmt.Sprintf("%s line %d: %v (two cells separated by ';' are expected)", path, line, err))
			if pe == nil || pe.Err != csv.ErrFieldCount {
				break
			}
			continue
		}
		from, to := strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")), strings.TrimSpace(rec[1])
		if first {
			if !strings.EqualFold(from, codeTableFrom) || !strings.EqualFold(to, codeTableTo) {
				problems = append(problems, fmt.Sprintf("%s line %d: the header must be %s;%s", path, line, codeTableFrom, codeTableTo))
				break
			}
			continue
		}
		switch key := strings.ToLower(from); {
		case from == "":
			problems = append(problems, fmt.Sprintf("%s line %d: the delivered code is empty", path, line))
		case seen[key] > 0:
			problems = append(problems, fmt.Sprintf("%s line %d: code %q is already given on line %d", path, line, from, seen[key]))
		default:
			seen[key] = line
			if len(f.Codes) > 0 {
				code, ok := f.Code(to)
				if !ok {
					problems = append(problems, fmt.Sprintf("%s line %d: %q is not a code of field %s (codes: %s)", path, line, to,
						f.Name, strings.Join(f.Codes, ", ")))
					continue
				}
				to = code
			}
			out = append(out, codeTableEntry{from: from, to: to, line: line})
		}
	}
	return out, problems
}

// hasFoldedKey reports whether a key of m is k, compared without case and
// surrounding spaces.
func hasFoldedKey(m map[string]string, k string) bool {
	for key := range m {
		if strings.EqualFold(strings.TrimSpace(key), strings.TrimSpace(k)) {
			return true
		}
	}
	return false
}
