package sources

import "io"

// lineScanner splits JSON Lines input into lines with bounded memory: a
// line longer than the limit is reported (Problem) and skipped without
// being read into memory, and reading goes on at the next line.
type lineScanner struct {
	r     *recordReader
	bytes []byte
}

// newLineScanner returns a scanner of r's lines; only
// limits.MaxLineBytes applies.
func newLineScanner(r io.Reader, limits scanLimits) *lineScanner {
	return newLineScannerSize(r, limits, scanBufferSize)
}

// newLineScannerSize is newLineScanner with a read buffer of bufSize bytes.
func newLineScannerSize(r io.Reader, limits scanLimits, bufSize int) *lineScanner {
	limits = limits.withDefaults()
	return &lineScanner{r: newRecordReader(r, limits.MaxLineBytes, bufSize, false, 0)}
}

// Next advances to the next line, empty ones included; it returns false at
// the end of input or on a read error (Err).
func (s *lineScanner) Next() bool {
	rec, _, ok := s.r.read()
	s.bytes = rec
	return ok
}

// Err returns the read error that stopped the scan, if any.
func (s *lineScanner) Err() error { return s.r.err }

// Line returns the 1-based number of the current line.
func (s *lineScanner) Line() int { return s.r.line }

// Bytes returns the current line without its line end (LF or CRLF), valid
// until the next call to Next; nil for a line too long.
func (s *lineScanner) Bytes() []byte { return s.bytes }

// Raw returns the current line cut to 4096 bytes.
func (s *lineScanner) Raw() []byte { return s.r.raw }

// Problem says why the current line cannot be read, or is nil.
func (s *lineScanner) Problem() *scanProblem { return s.r.problem }
