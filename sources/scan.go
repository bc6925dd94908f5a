package sources

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"
)

// Record problems found while scanning a file: the record cannot be read as
// a whole, and is set aside while reading goes on.
const (
	scanLineTooLong  = "line_too_long"  // the record is longer than scanLimits.MaxLineBytes
	scanFieldTooLong = "field_too_long" // a cell is longer than scanLimits.MaxFieldBytes
	scanSyntax       = "syntax"         // the record's quoting is broken: Detail says how
)

// Limits and sizes of the scanners.
const (
	defaultMaxLineBytes  = 1 << 20
	defaultMaxFieldBytes = 4 << 10
	// maxRawBytes is how much of a record Raw keeps.
	maxRawBytes = 4096
	// scanBufferSize is the size of a scanner's read buffer.
	scanBufferSize = 64 << 10
)

// scanLimits bounds the memory a scanner uses whatever the file holds.
type scanLimits struct {
	// MaxLineBytes is the longest record read, in bytes, without its line
	// end (for CSV, a record with quoted newlines counts all its lines).
	// Default 1 MiB.
	MaxLineBytes int
	// MaxFieldBytes is the longest cell kept, in bytes. Default 4 KiB.
	MaxFieldBytes int
}

func (l scanLimits) withDefaults() scanLimits {
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = defaultMaxLineBytes
	}
	if l.MaxFieldBytes <= 0 {
		l.MaxFieldBytes = defaultMaxFieldBytes
	}
	return l
}

// scanProblem says why a record cannot be read as a whole.
type scanProblem struct {
	Code   string // scanLineTooLong, scanFieldTooLong or scanSyntax
	Field  int    // 0-based cell index for field_too_long, -1 otherwise
	Limit  int    // the limit exceeded, bytes
	Detail string // English detail for syntax problems
}

// String gives the problem in English.
func (p *scanProblem) String() string {
	switch p.Code {
	case scanLineTooLong:
		return fmt.Sprintf("line longer than %d bytes", p.Limit)
	case scanFieldTooLong:
		return fmt.Sprintf("field %d longer than %d bytes", p.Field+1, p.Limit)
	}
	return p.Detail
}

// Syntax problem details.
const (
	detailUnterminated = "unterminated quoted field"
	detailAfterQuote   = "extraneous character after a closing quote"
)

// Framing states: where a scanner stands in a record after a piece of input.
const (
	stField    = iota // at the start of a field
	stUnquoted        // in an unquoted field, or after a closing quote and stray characters
	stQuoted          // in a quoted field
	stQuote           // in a quoted field, just after a quote: closing, or first of a pair
	stEnd             // past the final newline of the record
)

// recordReader cuts input into records of at most a limit of bytes, each
// ending at a newline outside quotes (with quoting) or at any newline
// (without). It reads through a fixed-size buffer: a longer record is
// discarded up to the end of the physical line where it crosses the limit,
// keeping only its first maxRawBytes, so memory stays bounded.
type recordReader struct {
	br     *bufio.Reader
	eof    bool   // br returned io.EOF
	replay []byte // input to read again before br, see read
	rpos   int
	quotes bool // CSV quoting frames records
	delim  byte
	max    int

	rec     []byte // a record read in several pieces
	raw     []byte
	line    int // line where the current record starts
	next    int // line where the next record starts
	err     error
	problem *scanProblem
}

func newRecordReader(r io.Reader, max, bufSize int, quotes bool, delim byte) *recordReader {
	return &recordReader{br: bufio.NewReaderSize(r, bufSize), quotes: quotes, delim: delim, max: max, next: 1}
}

// piece returns the next piece of input, as bufio.Reader.ReadSlice('\n'):
// up to and including the next newline (err nil), a full buffer without one
// (bufio.ErrBufferFull), the last bytes of the input (io.EOF), or a read
// error. The piece is valid until the next call.
func (r *recordReader) piece() ([]byte, error) {
	if r.rpos < len(r.replay) {
		rest := r.replay[r.rpos:]
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			r.rpos += i + 1
			return rest[:i+1], nil
		}
		r.rpos = len(r.replay)
		return rest, io.EOF // the replayed bytes run to the end of input
	}
	if r.eof {
		return nil, io.EOF
	}
	p, err := r.br.ReadSlice('\n')
	if err == io.EOF {
		r.eof = true
	}
	return p, err
}

// frame returns the state after piece p read in state st.
func (r *recordReader) frame(st int, p []byte) int {
	if !r.quotes {
		if len(p) > 0 && p[len(p)-1] == '\n' {
			return stEnd
		}
		return stUnquoted
	}
	return frameCSV(st, p, r.delim)
}

// read reads the next record and returns its bytes without the final line
// end. ok is false at the end of input or on a read error (see r.err). For a
// record longer than the limit, rec is nil and r.problem says so. multi
// reports a record spread over several physical lines.
//
// A quoted field still open at the end of input would swallow all the
// lines after it: the record is then cut to its first physical line (its
// parse reports the unterminated quote) and the following lines are read
// again as records.
func (r *recordReader) read() (rec []byte, multi, ok bool) {
	p, ok, err := r.first()
	if !ok {
		return nil, false, false
	}
	st := r.frame(stField, p)
	if (err == nil && st == stEnd) || err == io.EOF {
		eof := err == io.EOF
		if rec = trimEOL(p, eof); len(rec) <= r.max {
			r.single(rec, eof)
			return rec, false, true
		}
	}
	return r.readPieces(p, err, st)
}

// first starts a record and returns its first piece of input and how the
// piece ends (see piece), or ok false at the end of input or on a read
// error.
func (r *recordReader) first() (p []byte, ok bool, err error) {
	r.problem, r.raw = nil, nil
	if r.err != nil {
		return nil, false, nil
	}
	p, err = r.piece()
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		r.err = err
		return nil, false, nil
	}
	if len(p) == 0 {
		return nil, false, nil
	}
	r.line = r.next
	return p, true, err
}

// single ends a record read whole in its first piece, rec without its line
// end: the common case, read in place in the buffer.
func (r *recordReader) single(rec []byte, eof bool) {
	if !eof {
		r.next++
	}
	r.raw = cutRaw(rec)
}

// readPieces reads a record that does not end in its first piece p.
func (r *recordReader) readPieces(p []byte, err error, st int) (rec []byte, multi, ok bool) {
	r.rec = r.rec[:0]
	lines := 0 // newlines read
	for {
		end := (err == nil && st == stEnd) || err == io.EOF
		if n := len(r.rec) + len(p); n > r.max && (!end || n > r.max+2) {
			return r.overflow(p, err, lines)
		}
		r.rec = grow(r.rec, len(p), r.max+2)
		r.rec = append(r.rec, p...)
		if err == nil {
			lines++
		}
		if end {
			break
		}
		p, err = r.piece()
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			r.err = err
			return nil, false, false
		}
		st = r.frame(st, p)
	}
	eof := err == io.EOF
	if eof && st == stQuoted {
		if k := bytes.IndexByte(r.rec, '\n'); k >= 0 {
			r.replay = append(r.replay[:0], r.rec[k+1:]...)
			r.rpos = 0
			r.next = r.line + 1
			rec = trimEOL(r.rec[:k+1], false)
			r.raw = cutRaw(rec)
			return rec, false, true
		}
	}
	r.next = r.line + lines
	rec = trimEOL(r.rec, eof)
	if len(rec) > r.max {
		r.raw = cutRaw(rec)
		r.problem = &scanProblem{Code: scanLineTooLong, Field: -1, Limit: r.max}
		return nil, false, true
	}
	r.raw = cutRaw(rec)
	return rec, lines > 1 || (eof && lines > 0), true
}

// overflow ends a record that crosses the limit in piece p (err is p's read
// error, lines the newlines read before p): it keeps the record's first
// maxRawBytes and discards input up to the end of the physical line, quoted
// or not, since quoting past the limit cannot be trusted.
func (r *recordReader) overflow(p []byte, err error, lines int) (rec []byte, multi, ok bool) {
	whole := len(r.rec) <= maxRawBytes // r.rec holds all the record read
	r.rec = r.rec[:min(len(r.rec), maxRawBytes)]
	for {
		n := min(len(p), maxRawBytes-len(r.rec))
		r.rec = append(r.rec, p[:n]...)
		whole = whole && n == len(p)
		if err != bufio.ErrBufferFull {
			break
		}
		p, err = r.piece()
	}
	raw := r.rec
	switch err {
	case nil: // the physical line ends
		lines++
		if whole {
			raw = trimEOL(raw, false)
		}
	case io.EOF:
		if whole {
			raw = trimEOL(raw, true)
		}
	default:
		r.err = err
	}
	r.next = r.line + lines
	r.raw = raw
	r.problem = &scanProblem{Code: scanLineTooLong, Field: -1, Limit: r.max}
	return nil, false, true
}

// grow makes room for n more bytes in b, never beyond limit bytes of
// capacity unless more are needed.
func grow(b []byte, n, limit int) []byte {
	need := len(b) + n
	if need <= cap(b) {
		return b
	}
	c := max(2*cap(b), need, 4096)
	if c > limit {
		c = max(limit, need)
	}
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

// trimEOL removes a final "\n" or "\r\n", or at the end of input a final
// "\r".
func trimEOL(b []byte, eof bool) []byte {
	n := len(b)
	switch {
	case n > 0 && b[n-1] == '\n':
		n--
		if n > 0 && b[n-1] == '\r' {
			n--
		}
	case eof && n > 0 && b[n-1] == '\r':
		n--
	}
	return b[:n]
}

func cutRaw(b []byte) []byte {
	if len(b) > maxRawBytes {
		return b[:maxRawBytes:maxRawBytes]
	}
	return b[:len(b):len(b)]
}

// invalidUTF8 returns the byte offset of the first invalid UTF-8 sequence in
// b, or -1.
func invalidUTF8(b []byte) int {
	i := 0
	for i < len(b) {
		// ASCII, eight bytes at a time.
		for i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
			i += 8
		}
		if i == len(b) {
			break
		}
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
