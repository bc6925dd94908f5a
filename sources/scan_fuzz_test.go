package sources

import (
	"bufio"
	"bytes"
	"testing"
	"unicode/utf8"
)

var fuzzDelims = []byte{',', ';', '\t', '|'}

// FuzzCSVScanner checks the scanner's invariants on any input: no panic,
// Raw and cells within their limits, lines increasing; and, on inputs that
// encoding/csv reads without error, the same records as encoding/csv.
func FuzzCSVScanner(f *testing.F) {
	for _, seed := range []string{
		"",
		"a,b,c\n1,2,3\n",
		"\"a,b\",\"c\"\"d\",\"e\nf\"\n",
		"\"a\r\nb\"\r\nc\r\n",
		"\n\na\n\n\nb\n\n",
		"a\r\n\r\nb\r",
		"a,b\nc",
		",,\n,\n",
		"\"\"\n\"\",\"\"\n",
		"\"\"\"\"\n",
		"\"x\"\r\n\"y\"",
		"a\rb\n\"c\rd\"\n",
		"ab\"c,d\n \"e\",f\n",
		"\"ab\"c,d\nx\n",
		"a,\"b\" \n",
		"h\na,\"b\nc,d\ne",
		"x,\"1\n\"2,\"3\n4\n",
		"a,\"",
		"\"a\"\"",
		"\"aaaa\nbbbb\ncccc\",x\nok\n",
		"0123456789abcdefghijklmnopqrstuvwxyz,\"0123456789abcdefghijklmnopqrstuvwxyz\"\n",
		"\"0123456789\r\n0123456789\r\n0123456789\r\n0123456789\"\r\n",
		"é;ü\n\xff;\xfe\n",
		"a\tb\t\"c\td\"\n",
	} {
		f.Add([]byte(seed), uint8(0), uint8(10), uint8(4))
	}
	f.Fuzz(func(t *testing.T, in []byte, delimSel, maxLine, maxField uint8) {
		delim := fuzzDelims[int(delimSel)%len(fuzzDelims)]
		// Tight limits: invariants only.
		limits := scanLimits{MaxLineBytes: 1 + int(maxLine), MaxFieldBytes: 1 + int(maxField)%64}
		for _, bufSize := range []int{16, scanBufferSize} {
			s := newCSVScannerSize(bytes.NewReader(in), delim, limits, bufSize)
			last, records := 0, 0
			for s.Next() {
				records++
				if records > len(in)+1 {
					t.Fatalf("%d records from %d bytes", records, len(in))
				}
				if s.Line() <= last {
					t.Fatalf("line %d after line %d", s.Line(), last)
				}
				last = s.Line()
				if len(s.Raw()) > maxRawBytes {
					t.Fatalf("line %d: Raw of %d bytes", s.Line(), len(s.Raw()))
				}
				p := s.Problem()
				if p == nil && len(s.Raw()) > limits.MaxLineBytes {
					t.Fatalf("line %d: record of %d bytes without a problem", s.Line(), len(s.Raw()))
				}
				if p != nil && p.Code == scanLineTooLong && len(s.Fields()) != 0 {
					t.Fatalf("line %d: cells of a record too long", s.Line())
				}
				for _, c := range s.Fields() {
					if len(c) > limits.MaxFieldBytes {
						t.Fatalf("line %d: cell of %d bytes", s.Line(), len(c))
					}
				}
				if p != nil && p.Code == scanFieldTooLong && (p.Field < 0 || p.Field >= len(s.Fields()) || len(s.Fields()[p.Field]) != p.Limit) {
					t.Fatalf("line %d: %+v with cells %q", s.Line(), p, s.Fields())
				}
			}
			if s.Err() != nil {
				t.Fatal(s.Err())
			}
			if last > bytes.Count(in, []byte{'\n'})+1 {
				t.Fatalf("line %d in an input of %d lines", last, bytes.Count(in, []byte{'\n'})+1)
			}
		}
		// Limits above the input: as encoding/csv.
		compareStd(t, in, delim)
	})
}

// FuzzLineScanner checks the line scanner against bufio.Scanner.
func FuzzLineScanner(f *testing.F) {
	for _, seed := range []string{"", "a\nb", "{}\r\n\n\r\n\"x\"\r", "\n\n", "0123456789abcdef0123456789\nx\n"} {
		f.Add([]byte(seed), uint8(10))
	}
	f.Fuzz(func(t *testing.T, in []byte, maxLine uint8) {
		limit := 1 + int(maxLine)
		var want [][]byte
		sc := bufio.NewScanner(bytes.NewReader(in))
		for sc.Scan() {
			want = append(want, bytes.Clone(sc.Bytes()))
		}
		for _, bufSize := range []int{16, scanBufferSize} {
			s := newLineScannerSize(bytes.NewReader(in), scanLimits{MaxLineBytes: limit}, bufSize)
			n := 0
			for s.Next() {
				n++
				if n > len(want) {
					t.Fatalf("line %d: more lines than bufio.Scanner", s.Line())
				}
				if s.Line() != n {
					t.Fatalf("Line %d, want %d", s.Line(), n)
				}
				w := want[n-1]
				if len(w) > limit {
					if s.Problem() == nil || s.Problem().Code != scanLineTooLong || s.Bytes() != nil {
						t.Fatalf("line %d of %d bytes: problem %v", n, len(w), s.Problem())
					}
					if !bytes.Equal(s.Raw(), w[:min(len(w), maxRawBytes)]) {
						t.Fatalf("line %d: Raw %q, want %q", n, s.Raw(), w)
					}
					continue
				}
				if s.Problem() != nil || !bytes.Equal(s.Bytes(), w) || !bytes.Equal(s.Raw(), w) {
					t.Fatalf("line %d: %q %q %v, want %q", n, s.Bytes(), s.Raw(), s.Problem(), w)
				}
			}
			if s.Err() != nil || n != len(want) {
				t.Fatalf("%d lines, want %d (err %v)", n, len(want), s.Err())
			}
		}
	})
}

// FuzzInvalidUTF8 checks invalidUTF8 against unicode/utf8.
func FuzzInvalidUTF8(f *testing.F) {
	for _, seed := range []string{"", "abc", "Liège\xff", "€\xe2\x82", "\xed\xa0\x80", "0123456789abcdef\x80"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		i := invalidUTF8(b)
		if utf8.Valid(b) != (i == -1) {
			t.Fatalf("invalidUTF8(%q) = %d, utf8.Valid %v", b, i, utf8.Valid(b))
		}
		if i >= 0 {
			if r, n := utf8.DecodeRune(b[i:]); !utf8.Valid(b[:i]) || r != utf8.RuneError || n != 1 {
				t.Fatalf("invalidUTF8(%q) = %d: not the first invalid sequence", b, i)
			}
		}
	})
}
