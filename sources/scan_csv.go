package sources

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/bits"
	"strconv"
)

// csvScanner reads CSV records one at a time with bounded memory and, once
// its buffers have grown to the file's records, no allocation per record.
//
// Quoting follows RFC 4180: a field starting with a quote may hold the
// delimiter, newlines (CRLF or LF, read as LF) and quotes written twice.
// Where it is unambiguous the scanner is lenient like spreadsheets: a quote
// inside an unquoted field is a literal character. Lines end with LF or
// CRLF; the last one may have no line end. A record with a problem
// (Problem) is returned like the others so that the caller can set it
// aside and go on: a record longer than MaxLineBytes is skipped up to the
// end of the physical line where it crosses the limit, even inside quotes,
// and a quoted field left open at the end of input is reported on its
// first line, the lines after it being read again as records.
type csvScanner struct {
	r        *recordReader
	delim    byte
	maxField int

	fields [][]byte
	buf    []byte // unquoted cells
	// ascii says the current record is all ASCII (when split read it).
	ascii bool
}

// validCSVDelimiter reports whether d can separate CSV fields: an ASCII
// character other than a quote or a line end.
func validCSVDelimiter(d byte) bool {
	return d < 0x80 && d != '"' && d != '\n' && d != '\r'
}

// newCSVScanner returns a scanner of r's records, fields separated by
// delim; it panics if delim is not a valid delimiter (validCSVDelimiter).
func newCSVScanner(r io.Reader, delim byte, limits scanLimits) *csvScanner {
	return newCSVScannerSize(r, delim, limits, scanBufferSize)
}

// newCSVScannerSize is newCSVScanner with a read buffer of bufSize bytes.
func newCSVScannerSize(r io.Reader, delim byte, limits scanLimits, bufSize int) *csvScanner {
	if !validCSVDelimiter(delim) {
		panic("sources: invalid CSV delimiter " + strconv.QuoteRune(rune(delim)))
	}
	limits = limits.withDefaults()
	return &csvScanner{
		r:        newRecordReader(r, limits.MaxLineBytes, bufSize, true, delim),
		delim:    delim,
		maxField: limits.MaxFieldBytes,
	}
}

// Next advances to the next record; it returns false at the end of input
// or on a read error (Err).
func (s *csvScanner) Next() bool {
	s.fields, s.ascii = s.fields[:0], false
	r := s.r
	p, ok, err := r.first()
	if !ok {
		return false
	}
	st := stField
	if err == nil || err == io.EOF {
		// Most records are a line: parse it in place, and read on only if
		// a quoted field goes on past the line end.
		eof := err == io.EOF
		if rec := trimEOL(p, eof); len(rec) <= r.max {
			if !s.parse(rec, false) || eof {
				r.single(rec, eof)
				return true
			}
			s.fields, r.problem = s.fields[:0], nil
			st = stQuoted
		}
	}
	if st == stField {
		st = frameCSV(stField, p, s.delim)
	}
	rec, multi, ok := r.readPieces(p, err, st)
	if !ok {
		return false
	}
	if r.problem == nil {
		s.parse(rec, multi)
	}
	return true
}

// Err returns the read error that stopped the scan, if any; problems of
// records are given by Problem.
func (s *csvScanner) Err() error { return s.r.err }

// Line returns the 1-based line number where the current record starts.
func (s *csvScanner) Line() int { return s.r.line }

// Fields returns the current record's cells, unquoted and untrimmed, valid
// until the next call to Next. A cell longer than the limit is cut to it.
// A record too long to read has no cells; one with a syntax problem has
// the cells read in spite of it.
func (s *csvScanner) Fields() [][]byte { return s.fields }

// Raw returns the current record's bytes as read, without its final line
// end, cut to 4096 bytes; valid until the next call to Next.
func (s *csvScanner) Raw() []byte { return s.r.raw }

// Problem says why the current record cannot be read as a whole, or is
// nil. A syntax problem takes precedence over a field too long.
func (s *csvScanner) Problem() *scanProblem { return s.r.problem }

// frameCSV returns the framing state after reading p in state st. Pieces
// of input hold at most one newline, at their end.
func frameCSV(st int, p []byte, delim byte) int {
	i := 0
	for i < len(p) {
		switch st {
		case stField, stUnquoted:
			// Only a quote opening a field changes the state.
			j := bytes.IndexByte(p[i:], '"')
			if j < 0 {
				switch p[len(p)-1] {
				case '\n':
					return stEnd
				case delim:
					return stField
				}
				return stUnquoted
			}
			j += i
			if (j == i && st == stField) || (j > i && p[j-1] == delim) {
				st = stQuoted
			} else {
				st = stUnquoted
			}
			i = j + 1
		case stQuoted:
			j := bytes.IndexByte(p[i:], '"')
			if j < 0 {
				return stQuoted
			}
			i += j + 1
			st = stQuote
		case stQuote:
			switch p[i] {
			case '"':
				st = stQuoted
			case delim:
				st = stField
			case '\n':
				return stEnd
			default:
				st = stUnquoted
			}
			i++
		default:
			return st
		}
	}
	return st
}

// parse splits record rec (without its line end) into s.fields. It
// reports whether rec ends in a quoted field.
func (s *csvScanner) parse(rec []byte, multi bool) (open bool) {
	if !multi && s.split(rec) {
		return false
	}
	// Unquoting never lengthens a record: with room for all of it, appends
	// to s.buf never move it, and cells may point into it as they come.
	if cap(s.buf) < len(rec) {
		s.buf = make([]byte, 0, max(len(rec), 2*cap(s.buf)))
	}
	s.buf = s.buf[:0]
	pos := 0
	for {
		if pos < len(rec) && rec[pos] == '"' {
			pos = s.quoted(rec, pos+1, multi)
			if pos > len(rec)+1 {
				return true
			}
			if pos > len(rec) {
				return false
			}
			continue
		}
		j := bytes.IndexByte(rec[pos:], s.delim)
		if j < 0 {
			s.add(rec[pos:len(rec):len(rec)], false)
			return false
		}
		s.add(rec[pos:pos+j:pos+j], false)
		pos += j + 1
	}
}

// split splits a record without quotes, the common case, into s.fields,
// eight bytes at a time; it returns false, splitting nothing, for a record
// with a quote.
func (s *csvScanner) split(rec []byte) bool {
	const ones = 0x0101010101010101
	delims, quotes := ones*uint64(s.delim), ones*uint64('"')
	start, i := 0, 0
	var seen uint64 // every byte read, ORed
	for ; i+8 <= len(rec); i += 8 {
		w := binary.LittleEndian.Uint64(rec[i:])
		seen |= w
		if zeroBytes(w^quotes) != 0 {
			s.fields = s.fields[:0]
			return false
		}
		for m := zeroBytes(w ^ delims); m != 0; m &= m - 1 {
			end := i + bits.TrailingZeros64(m)/8
			s.add(rec[start:end:end], false)
			start = end + 1
		}
	}
	for ; i < len(rec); i++ {
		seen |= uint64(rec[i])
		switch rec[i] {
		case '"':
			s.fields = s.fields[:0]
			return false
		case s.delim:
			s.add(rec[start:i:i], false)
			start = i + 1
		}
	}
	s.add(rec[start:len(rec):len(rec)], false)
	s.ascii = seen&(ones*0x80) == 0
	return true
}

// ASCII reports whether the current record is known to be all ASCII.
func (s *csvScanner) ASCII() bool { return s.ascii }

// zeroBytes returns a word with the high bit of each zero byte of w set,
// and no other bit.
func zeroBytes(w uint64) uint64 {
	const lows = 0x7f7f7f7f7f7f7f7f
	return ^((w&lows + lows) | w | lows)
}

// quoted reads a quoted field whose content starts at rec[pos] and returns
// the position of the next field, len(rec)+1 at the end of the record, or
// len(rec)+2 if the record ends in the quoted field.
func (s *csvScanner) quoted(rec []byte, pos int, multi bool) int {
	start := len(s.buf)
	over := false
	for {
		j := bytes.IndexByte(rec[pos:], '"')
		if j < 0 {
			over = s.appendCell(start, rec[pos:], multi) || over
			s.syntax(detailUnterminated)
			s.add(s.cell(start), over)
			return len(rec) + 2
		}
		over = s.appendCell(start, rec[pos:pos+j], multi) || over
		pos += j + 1
		if pos == len(rec) {
			s.add(s.cell(start), over)
			return pos + 1
		}
		switch rec[pos] {
		case '"':
			over = s.appendCell(start, rec[pos:pos+1], false) || over
			pos++
		case s.delim:
			s.add(s.cell(start), over)
			return pos + 1
		default:
			// Stray characters after the closing quote: kept, up to the
			// next delimiter.
			s.syntax(detailAfterQuote)
			end := bytes.IndexByte(rec[pos:], s.delim)
			if end < 0 {
				end = len(rec)
			} else {
				end += pos
			}
			over = s.appendCell(start, rec[pos:end], false) || over
			s.add(s.cell(start), over)
			return end + 1
		}
	}
}

// appendCell appends b to the cell started at s.buf[start], reading CRLF
// as LF in a record of several lines, and keeping at most maxField bytes.
// It reports whether bytes were dropped.
func (s *csvScanner) appendCell(start int, b []byte, multi bool) bool {
	for multi {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		if i > 0 && b[i-1] == '\r' {
			if s.appendRoom(start, b[:i-1]) || s.appendRoom(start, newline) {
				return true
			}
		} else if s.appendRoom(start, b[:i+1]) {
			return true
		}
		b = b[i+1:]
	}
	return s.appendRoom(start, b)
}

// appendRoom appends b to the cell started at s.buf[start], up to maxField
// bytes, and reports whether bytes were dropped.
func (s *csvScanner) appendRoom(start int, b []byte) bool {
	if room := s.maxField - (len(s.buf) - start); len(b) > room {
		s.buf = append(s.buf, b[:max(room, 0)]...)
		return true
	}
	s.buf = append(s.buf, b...)
	return false
}

var newline = []byte{'\n'}

func (s *csvScanner) cell(start int) []byte {
	return s.buf[start:len(s.buf):len(s.buf)]
}

// add appends a cell to the record; over says it was cut to the limit
// already.
func (s *csvScanner) add(f []byte, over bool) {
	if len(f) > s.maxField {
		f, over = f[:s.maxField:s.maxField], true
	}
	if over && s.r.problem == nil {
		s.r.problem = &scanProblem{Code: scanFieldTooLong, Field: len(s.fields), Limit: s.maxField}
	}
	s.fields = append(s.fields, f)
}

// syntax records a syntax problem; the first one is kept.
func (s *csvScanner) syntax(detail string) {
	if s.r.problem == nil || s.r.problem.Code != scanSyntax {
		s.r.problem = &scanProblem{Code: scanSyntax, Field: -1, Detail: detail}
	}
}
