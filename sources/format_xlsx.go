package sources

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

func init() { RegisterFormat("xlsx", xlsxFormat{}) }

// xlsxFormat reads one sheet of an Excel workbook: the first row after
// skip_rows is the header, every later non-empty row a record. Cells are the
// workbook's raw values (dates as serial numbers).
type xlsxFormat struct{}

// fromRow marks an error returned by the record callback, to tell it apart
// from the workbook's own problems.
type fromRow struct{ err error }

func (e fromRow) Error() string { return e.err.Error() }

func (xlsxFormat) Scan(ctx context.Context, path string, s *Spec, columns []string, fn func(*Record) error) error {
	var (
		header []string
		index  []int
		cells  []string
		rec    = &Record{Cells: make([]Cell, len(columns))}
		limit  = s.limits().MaxFieldBytes
	)
	rec.redact = func(col int, with string) string {
		out := append([]string(nil), cells...)
		if col >= 0 && index[col] < len(out) {
			out[index[col]] = with
		}
		b := make([][]byte, len(out))
		for i, c := range out {
			b[i] = []byte(c)
		}
		return joinCSV(b, ';', -1, "")
	}
	err := xlsxRows(ctx, path, s.Sheet, s.SheetIndex, s.SkipRows, func(line int, row []string) error {
		if header == nil {
			header = make([]string, 0, len(row))
			position := map[string]int{}
			for i, h := range row {
				name := strings.TrimSpace(h)
				header = append(header, name)
				if _, dup := position[name]; !dup && name != "" {
					position[name] = i
				}
			}
			for _, c := range columns {
				p, ok := position[c]
				if !ok {
					raw := make([][]byte, len(header))
					for i, h := range header {
						raw[i] = []byte(h)
					}
					return fromRow{&FileError{File: path, Line: line, Reason: Reason{Code: ProblemColumn, Column: c},
						Raw: joinCSV(raw, ';', -1, "")}}
				}
				index = append(index, p)
			}
			return nil
		}
		cells = row
		empty := true
		for _, c := range row {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			return nil
		}
		rec.Line, rec.Problems = line, rec.Problems[:0]
		// A workbook row stops at its last value, so it may be shorter
		// than the header; a value beyond the header has no column.
		for i := len(header); i < len(row); i++ {
			if strings.TrimSpace(row[i]) != "" {
				rec.Problems = append(rec.Problems, Reason{Code: ProblemCells,
					Detail: fmt.Sprintf("a value in column %d, header %d", i+1, len(header))})
				break
			}
		}
		for i, p := range index {
			rec.Cells[i] = Cell{Present: true}
			if p >= len(row) {
				continue
			}
			if len(row[p]) > limit {
				rec.Problems = append(rec.Problems, Reason{Code: ProblemFieldTooLong, Column: columns[i], Detail: strconv.Itoa(limit)})
				continue
			}
			rec.Cells[i].Bytes = []byte(strings.TrimSpace(row[p]))
		}
		if err := fn(rec); err != nil {
			return fromRow{err}
		}
		return nil
	})
	var fr fromRow
	switch {
	case errors.As(err, &fr):
		return fr.err
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return &FileError{File: path, Line: 1, Reason: Reason{Code: ProblemSheet, Detail: strings.TrimPrefix(err.Error(), "sources: ")}}
	case header == nil:
		return &FileError{File: path, Line: s.SkipRows + 1, Reason: Reason{Code: ProblemEmpty}}
	}
	return nil
}
