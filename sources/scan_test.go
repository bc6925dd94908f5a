package sources

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// scanned is a record as a scanner returns it, in comparable form.
type scanned struct {
	Line    int
	Fields  []string
	Raw     string
	Problem string
}

func (r scanned) String() string {
	return fmt.Sprintf("{line %d %q raw %q %s}", r.Line, r.Fields, r.Raw, r.Problem)
}

// problemText writes a problem compactly: "line_too_long 10",
// "field_too_long 0 4" (cell, limit), "syntax: detail".
func problemText(p *scanProblem) string {
	switch {
	case p == nil:
		return ""
	case p.Code == scanLineTooLong:
		return fmt.Sprintf("%s %d", p.Code, p.Limit)
	case p.Code == scanFieldTooLong:
		return fmt.Sprintf("%s %d %d", p.Code, p.Field, p.Limit)
	}
	return p.Code + ": " + p.Detail
}

func scanCSV(t testing.TB, r io.Reader, delim byte, limits scanLimits, bufSize int) []scanned {
	t.Helper()
	s := newCSVScannerSize(r, delim, limits, bufSize)
	var out []scanned
	for s.Next() {
		rec := scanned{Line: s.Line(), Raw: string(s.Raw()), Problem: problemText(s.Problem())}
		if s.Problem() != nil && s.Problem().Code != scanFieldTooLong && s.Problem().Field != -1 {
			t.Errorf("line %d: problem %+v: Field should be -1", s.Line(), s.Problem())
		}
		for _, f := range s.Fields() {
			rec.Fields = append(rec.Fields, string(f))
		}
		out = append(out, rec)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	return out
}

func rec(line int, raw string, fields ...string) scanned {
	return scanned{Line: line, Raw: raw, Fields: fields}
}

func bad(line int, raw, problem string, fields ...string) scanned {
	return scanned{Line: line, Raw: raw, Fields: fields, Problem: problem}
}

// readerKinds give the input in different ways: at once, a byte at a
// time, with the end of input along the last bytes.
var readerKinds = map[string]func(io.Reader) io.Reader{
	"plain":    func(r io.Reader) io.Reader { return r },
	"one byte": iotest.OneByteReader,
	"data EOF": iotest.DataErrReader,
}

func TestCSVScanner(t *testing.T) {
	small := scanLimits{MaxLineBytes: 10, MaxFieldBytes: 4}
	for _, tt := range []struct {
		name   string
		in     string
		delim  byte
		limits scanLimits
		want   []scanned
	}{
		{"empty input", "", ',', scanLimits{}, nil},
		{"plain", "a,b,c\n1,2,3\n", ',', scanLimits{}, []scanned{
			rec(1, "a,b,c", "a", "b", "c"),
			rec(2, "1,2,3", "1", "2", "3"),
		}},
		{"cells are not trimmed", " a , b \n", ',', scanLimits{}, []scanned{
			rec(1, " a , b ", " a ", " b "),
		}},
		{"quoted delimiter, quotes and newline", "name,note\n\"Dupont, Jean\",\"He said \"\"hi\"\"\nand left\"\nx,y\n", ',', scanLimits{}, []scanned{
			rec(1, "name,note", "name", "note"),
			rec(2, "\"Dupont, Jean\",\"He said \"\"hi\"\"\nand left\"", "Dupont, Jean", "He said \"hi\"\nand left"),
			rec(4, "x,y", "x", "y"),
		}},
		{"CRLF", "a,b\r\n1,2\r\n", ',', scanLimits{}, []scanned{
			rec(1, "a,b", "a", "b"),
			rec(2, "1,2", "1", "2"),
		}},
		{"CRLF in a quoted field reads as LF", "\"x\r\ny\",z\r\nq\r\n", ',', scanLimits{}, []scanned{
			rec(1, "\"x\r\ny\",z", "x\ny", "z"),
			rec(3, "q", "q"),
		}},
		{"lone CR is kept", "a\rb,c\n\"d\re\"\n", ',', scanLimits{}, []scanned{
			rec(1, "a\rb,c", "a\rb", "c"),
			rec(2, "\"d\re\"", "d\re"),
		}},
		{"trailing empty lines", "a,b\n\n\r\n", ',', scanLimits{}, []scanned{
			rec(1, "a,b", "a", "b"),
			rec(2, "", ""),
			rec(3, "", ""),
		}},
		{"separators only", "a,b\n,\n", ',', scanLimits{}, []scanned{
			rec(1, "a,b", "a", "b"),
			rec(2, ",", "", ""),
		}},
		{"last line without newline", "a,b\nc,d", ',', scanLimits{}, []scanned{
			rec(1, "a,b", "a", "b"),
			rec(2, "c,d", "c", "d"),
		}},
		{"last line ending with CR", "a,b\nc,\"d\"\r", ',', scanLimits{}, []scanned{
			rec(1, "a,b", "a", "b"),
			rec(2, "c,\"d\"", "c", "d"),
		}},
		{"empty cells", ",,\n\"\",\"\"\n", ',', scanLimits{}, []scanned{
			rec(1, ",,", "", "", ""),
			rec(2, `"",""`, "", ""),
		}},
		{"quotes only", "\"\"\"\"\n", ',', scanLimits{}, []scanned{
			rec(1, `""""`, `"`),
		}},
		{"quote inside an unquoted field is literal", "ab\"c,d\"\n \"e\",f\n", ',', scanLimits{}, []scanned{
			rec(1, `ab"c,d"`, `ab"c`, `d"`),
			rec(2, ` "e",f`, ` "e"`, "f"),
		}},
		{"line numbers after multi-line records", "\"1\n2\n3\",x\nnext\n\"a\n\nb\"\nlast\n", ',', scanLimits{}, []scanned{
			rec(1, "\"1\n2\n3\",x", "1\n2\n3", "x"),
			rec(4, "next", "next"),
			rec(5, "\"a\n\nb\"", "a\n\nb"),
			rec(8, "last", "last"),
		}},
		{"character after a closing quote", "\"ab\"c,d\nx\n", ',', scanLimits{}, []scanned{
			bad(1, "\"ab\"c,d", "syntax: "+detailAfterQuote, "abc", "d"),
			rec(2, "x", "x"),
		}},
		{"space after a closing quote", "a,\"b\" \n", ',', scanLimits{}, []scanned{
			bad(1, "a,\"b\" ", "syntax: "+detailAfterQuote, "a", "b "),
		}},
		{"stray quote pairs with a later one", "\"ab\"\"\nc\"d\ne\n", ',', scanLimits{}, []scanned{
			bad(1, "\"ab\"\"\nc\"d", "syntax: "+detailAfterQuote, "ab\"\ncd"),
			rec(3, "e", "e"),
		}},
		{"unterminated quote at the end of input", "h\na,\"b\nc,d\ne", ',', scanLimits{}, []scanned{
			rec(1, "h", "h"),
			bad(2, "a,\"b", "syntax: "+detailUnterminated, "a", "b"),
			rec(3, "c,d", "c", "d"),
			rec(4, "e", "e"),
		}},
		{"unterminated quote on the last line", "a,\"bc", ',', scanLimits{}, []scanned{
			bad(1, "a,\"bc", "syntax: "+detailUnterminated, "a", "bc"),
		}},
		{"quote opening the last field", "a,\"", ',', scanLimits{}, []scanned{
			bad(1, "a,\"", "syntax: "+detailUnterminated, "a", ""),
		}},
		{"escaped quote then end of input", "\"a\"\"", ',', scanLimits{}, []scanned{
			bad(1, "\"a\"\"", "syntax: "+detailUnterminated, "a\""),
		}},
		{"unterminated quotes read again line by line", "\"a\n\"b\nc\n", ',', scanLimits{}, []scanned{
			bad(1, "\"a\n\"b", "syntax: "+detailAfterQuote, "a\nb"),
			rec(3, "c", "c"),
		}},
		{"lines after an unterminated quote are read again", "x,\"1\n\"2,\"3\n4\n", ',', scanLimits{}, []scanned{
			bad(1, "x,\"1", "syntax: "+detailUnterminated, "x", "1"),
			bad(2, "\"2,\"3", "syntax: "+detailAfterQuote, "2,3"),
			rec(3, "4", "4"),
		}},
		{"semicolon", "a;\"b;c\";d\n", ';', scanLimits{}, []scanned{
			rec(1, "a;\"b;c\";d", "a", "b;c", "d"),
		}},
		{"tab", "a\tb,c\t\"d\te\"\n", '\t', scanLimits{}, []scanned{
			rec(1, "a\tb,c\t\"d\te\"", "a", "b,c", "d\te"),
		}},
		{"line at the limit", "abcde,fghi\r\nx\n", ',', scanLimits{MaxLineBytes: 10}, []scanned{
			rec(1, "abcde,fghi", "abcde", "fghi"),
			rec(2, "x", "x"),
		}},
		{"line too long then a good line", "abcde,fghij\nok,1\n", ',', small, []scanned{
			bad(1, "abcde,fghij", "line_too_long 10"),
			rec(2, "ok,1", "ok", "1"),
		}},
		{"too long at the end of input", "ok\nabcde,fghij", ',', small, []scanned{
			rec(1, "ok", "ok"),
			bad(2, "abcde,fghij", "line_too_long 10"),
		}},
		{"quoting past the limit is not trusted", "\"aaaa\nbbbb\ncccc\",x\nok\n", ',', scanLimits{MaxLineBytes: 10}, []scanned{
			bad(1, "\"aaaa\nbbbb", "line_too_long 10"),
			rec(3, "cccc\",x", "cccc\"", "x"),
			rec(4, "ok", "ok"),
		}},
		{"unterminated quote past the limit", "a,\"bcd\nefghij\nk\n", ',', small, []scanned{
			bad(1, "a,\"bcd\nefghij", "line_too_long 10"),
			rec(3, "k", "k"),
		}},
		{"limit crossed by a quoted newline", "a,\"bcdefgh\nij\n", ',', small, []scanned{
			bad(1, "a,\"bcdefgh", "line_too_long 10"),
			rec(2, "ij", "ij"),
		}},
		{"field too long", "abcdefg,hi\n", ',', small, []scanned{
			bad(1, "abcdefg,hi", "field_too_long 0 4", "abcd", "hi"),
		}},
		{"quoted field too long", "x,\"ab\"\"cdef\"\n", ',', scanLimits{MaxFieldBytes: 4}, []scanned{
			bad(1, "x,\"ab\"\"cdef\"", "field_too_long 1 4", "x", "ab\"c"),
		}},
		{"multi-line field too long", "\"a\r\nb\r\nc\"\n", ',', scanLimits{MaxFieldBytes: 4}, []scanned{
			bad(1, "\"a\r\nb\r\nc\"", "field_too_long 0 4", "a\nb\n"),
		}},
		{"multi-line field at the limit", "\"a\r\nb\r\n\"\n", ',', scanLimits{MaxFieldBytes: 4}, []scanned{
			rec(1, "\"a\r\nb\r\n\"", "a\nb\n"),
		}},
		{"syntax problem wins over a field too long", "abcdef,\"g\"h\n", ',', scanLimits{MaxFieldBytes: 4}, []scanned{
			bad(1, "abcdef,\"g\"h", "syntax: "+detailAfterQuote, "abcd", "gh"),
		}},
	} {
		for _, bufSize := range []int{scanBufferSize, 16} {
			t.Run(fmt.Sprintf("%s/buffer %d", tt.name, bufSize), func(t *testing.T) {
				for reader, wrap := range readerKinds {
					got := scanCSV(t, wrap(strings.NewReader(tt.in)), tt.delim, tt.limits, bufSize)
					if !reflect.DeepEqual(got, tt.want) {
						t.Errorf("%s reader:\ngot  %v\nwant %v", reader, got, tt.want)
					}
				}
			})
		}
	}
}

func TestCSVScannerWindows1252(t *testing.T) {
	// "Liège;Café;€ 5" and "Tielt-Winge;Dürer" written by Excel in Windows-1252.
	in := []byte("commune;nom;prix\r\nLi\xe8ge;\"Caf\xe9;cr\xe8me\";\x80 5\r\nTielt-Winge;D\xfcrer;\r\n")
	r := transform.NewReader(bytes.NewReader(in), charmap.Windows1252.NewDecoder())
	got := scanCSV(t, r, ';', scanLimits{}, scanBufferSize)
	want := []scanned{
		rec(1, "commune;nom;prix", "commune", "nom", "prix"),
		rec(2, "Liège;\"Café;crème\";€ 5", "Liège", "Café;crème", "€ 5"),
		rec(3, "Tielt-Winge;Dürer;", "Tielt-Winge", "Dürer", ""),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

// repeatReader yields the same byte forever.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// hugeLine returns a reader of prefix, n generated bytes and suffix.
func hugeLine(prefix string, n int64, suffix string) io.Reader {
	return io.MultiReader(strings.NewReader(prefix), io.LimitReader(repeatReader('x'), n), strings.NewReader(suffix))
}

// checkMemory runs f and fails if it allocates more than limit bytes.
func checkMemory(t *testing.T, limit uint64, f func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	t.Logf("allocated %d bytes, heap %d → %d bytes", after.TotalAlloc-before.TotalAlloc, before.HeapAlloc, after.HeapAlloc)
	if d := after.TotalAlloc - before.TotalAlloc; d > limit {
		t.Errorf("allocated %d bytes, want at most %d", d, limit)
	}
	if after.HeapAlloc > before.HeapAlloc && after.HeapAlloc-before.HeapAlloc > limit {
		t.Errorf("heap grew by %d bytes, want at most %d", after.HeapAlloc-before.HeapAlloc, limit)
	}
}

const hugeLineBytes = 20 << 20

func TestCSVScannerHugeLine(t *testing.T) {
	for _, tt := range []struct{ name, prefix, suffix string }{
		{"unquoted", "a,b", "\n"},
		{"quoted", "a,\"b", "\"\r\n"},
		{"unterminated quote", "a,\"b", "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []scanned
			checkMemory(t, 4<<20, func() {
				s := newCSVScanner(hugeLine(tt.prefix, hugeLineBytes, tt.suffix+"next,1\n"), ',', scanLimits{})
				for s.Next() {
					r := scanned{Line: s.Line(), Problem: problemText(s.Problem())}
					if len(s.Raw()) != maxRawBytes || !bytes.HasPrefix(s.Raw(), []byte(tt.prefix)) {
						r.Raw = string(s.Raw())
					}
					for _, f := range s.Fields() {
						r.Fields = append(r.Fields, string(f))
					}
					got = append(got, r)
				}
				if s.Err() != nil {
					t.Fatal(s.Err())
				}
			})
			want := []scanned{
				{Line: 1, Problem: "line_too_long 1048576"},
				{Line: 2, Raw: "next,1", Fields: []string{"next", "1"}},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
}

// readStd reads in with encoding/csv; lines are those of the records' starts.
func readStd(in []byte, delim byte) ([]scanned, error) {
	cr := csv.NewReader(bytes.NewReader(in))
	cr.Comma = rune(delim)
	cr.FieldsPerRecord = -1
	var out []scanned
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		line, _ := cr.FieldPos(0)
		out = append(out, scanned{Line: line, Fields: fields})
	}
}

// scanLikeStd reads in with a csvScanner and leaves out what encoding/csv
// leaves out: empty lines.
func scanLikeStd(in []byte, delim byte, limits scanLimits, bufSize int) ([]scanned, []*scanProblem) {
	s := newCSVScannerSize(bytes.NewReader(in), delim, limits, bufSize)
	var out []scanned
	var problems []*scanProblem
	for s.Next() {
		if s.Problem() != nil {
			problems = append(problems, s.Problem())
		}
		if len(s.Raw()) == 0 {
			continue
		}
		r := scanned{Line: s.Line()}
		for _, f := range s.Fields() {
			r.Fields = append(r.Fields, string(f))
		}
		out = append(out, r)
	}
	return out, problems
}

// compareStd checks that the scanner reads in as encoding/csv does when
// encoding/csv reads it without error; it reports whether it compared.
func compareStd(t testing.TB, in []byte, delim byte) bool {
	t.Helper()
	want, err := readStd(in, delim)
	if err != nil {
		return false
	}
	limits := scanLimits{MaxLineBytes: len(in) + 1, MaxFieldBytes: len(in) + 1}
	for _, bufSize := range []int{scanBufferSize, 16} {
		got, problems := scanLikeStd(in, delim, limits, bufSize)
		if len(problems) > 0 {
			t.Fatalf("%q (buffer %d): problems %v where encoding/csv reads it", in, bufSize, problems)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q (buffer %d):\ngot          %v\nencoding/csv %v", in, bufSize, got, want)
		}
	}
	return true
}

func TestCSVScannerMatchesEncodingCSV(t *testing.T) {
	for _, in := range []string{
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
		"\"multi\n\nline\",x\nnext\n",
		"é,ü\n\xff,\xfe\n",
	} {
		if !compareStd(t, []byte(in), ',') {
			t.Errorf("encoding/csv fails on %q", in)
		}
	}

	// Records written by encoding/csv from random cells.
	rnd := rand.New(rand.NewPCG(1, 2))
	cells := []string{"", "a", "é", " b ", "c,d", "e;f", "g\th", "\"", "i\"j", "k\nl", "m\r\nn", "\r", "o\rp", "12.5", "1 000"}
	for _, delim := range []byte{',', ';', '\t', '|'} {
		for range 300 {
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			w.Comma = rune(delim)
			w.UseCRLF = rnd.IntN(2) == 0
			for range rnd.IntN(6) {
				rec := make([]string, 1+rnd.IntN(6))
				for i := range rec {
					rec[i] = cells[rnd.IntN(len(cells))]
				}
				if err := w.Write(rec); err != nil {
					t.Fatal(err)
				}
			}
			w.Flush()
			if !compareStd(t, b.Bytes(), delim) {
				t.Errorf("encoding/csv fails on its own %q", b.Bytes())
			}
		}
	}

	// Random bytes: compared whenever encoding/csv reads them.
	alphabet := []byte("ab,;\"\r\n \xc3\xa9")
	compared := 0
	for range 20000 {
		in := make([]byte, rnd.IntN(24))
		for i := range in {
			in[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		if compareStd(t, in, ',') {
			compared++
		}
	}
	if compared < 1000 {
		t.Errorf("only %d random inputs compared", compared)
	}
}

func TestCSVDelimiter(t *testing.T) {
	for d, want := range map[byte]bool{',': true, ';': true, '\t': true, '|': true, '"': false, '\n': false, '\r': false, 0xa7: false} {
		if got := validCSVDelimiter(d); got != want {
			t.Errorf("validCSVDelimiter(%q) = %v", d, got)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("newCSVScanner accepts a quote as delimiter")
		}
	}()
	newCSVScanner(strings.NewReader(""), '"', scanLimits{})
}

func TestCSVScannerReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	s := newCSVScanner(io.MultiReader(strings.NewReader("a,b\nc,\"d\n"), iotest.ErrReader(boom)), ',', scanLimits{})
	if !s.Next() || s.Line() != 1 || len(s.Fields()) != 2 {
		t.Fatalf("first record: %v %q", s.Line(), s.Fields())
	}
	if s.Next() {
		t.Fatalf("Next after a read error: true, record %q", s.Fields())
	}
	if s.Err() != boom {
		t.Fatalf("Err = %v, want %v", s.Err(), boom)
	}
	if s.Next() {
		t.Fatal("Next after Err: true")
	}
}

func TestScannersReadErrorInLongLine(t *testing.T) {
	boom := errors.New("disk on fire")
	in := func() io.Reader {
		return io.MultiReader(strings.NewReader("ok\n"+strings.Repeat("x", 100)), iotest.ErrReader(boom))
	}
	cs := newCSVScannerSize(in(), ',', scanLimits{MaxLineBytes: 10}, 16)
	ls := newLineScannerSize(in(), scanLimits{MaxLineBytes: 10}, 16)
	for _, s := range []interface {
		Next() bool
		Problem() *scanProblem
		Err() error
	}{cs, ls} {
		if !s.Next() || s.Problem() != nil {
			t.Fatalf("first line: %v", s.Problem())
		}
		if !s.Next() || s.Problem() == nil || s.Problem().Code != scanLineTooLong {
			t.Fatalf("long line: %v", s.Problem())
		}
		if s.Next() || s.Err() != boom {
			t.Fatalf("after the long line: Err %v", s.Err())
		}
	}
}

// mixedCSV returns n records of several kinds: plain, quoted, with quotes,
// over several lines, CRLF.
func mixedCSV(n int) []byte {
	kinds := []string{
		"1,2024-03-15,1000,21004,Jean Dupont,42,1,1234.56,a,b,c,d,e\n",
		"2,\"2024-03-15\",\"1000\",\"21004\",\"Dupont, Jean\",42,1,\"1 234,56\",a,b,c,d,e\r\n",
		"3,x,\"say \"\"hi\"\"\",,,,,,,,,,\n",
		"4,\"two\r\nlines\",\"three\nmore\nlines\",,,,,,,,,,\n",
		"5,ab\"c,d\n",
	}
	var b bytes.Buffer
	for i := range n {
		b.WriteString(kinds[i%len(kinds)])
	}
	return b.Bytes()
}

func TestCSVScannerNoAllocations(t *testing.T) {
	data := mixedCSV(20000)
	for _, bufSize := range []int{scanBufferSize, 16} {
		s := newCSVScannerSize(bytes.NewReader(data), ',', scanLimits{}, bufSize)
		for range 100 {
			s.Next()
		}
		allocs := testing.AllocsPerRun(1000, func() {
			if !s.Next() || s.Problem() != nil {
				t.Fatalf("line %d: %v", s.Line(), s.Problem())
			}
		})
		if allocs != 0 {
			t.Errorf("buffer %d: %v allocations per record, want 0", bufSize, allocs)
		}
	}

	lines := bytes.Repeat([]byte("{\"a\":1,\"b\":\"x\"}\r\n\n"), 5000)
	ls := newLineScanner(bytes.NewReader(lines), scanLimits{})
	ls.Next()
	if allocs := testing.AllocsPerRun(1000, func() { ls.Next() }); allocs != 0 {
		t.Errorf("lineScanner: %v allocations per line, want 0", allocs)
	}
}

func scanLines(t testing.TB, r io.Reader, limits scanLimits, bufSize int) []scanned {
	t.Helper()
	s := newLineScannerSize(r, limits, bufSize)
	var out []scanned
	for s.Next() {
		r := scanned{Line: s.Line(), Raw: string(s.Raw()), Problem: problemText(s.Problem())}
		if s.Bytes() != nil {
			r.Fields = []string{string(s.Bytes())}
		}
		if s.Problem() != nil && s.Bytes() != nil {
			t.Errorf("line %d: Bytes %q with a problem", s.Line(), s.Bytes())
		}
		out = append(out, r)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	return out
}

func TestLineScanner(t *testing.T) {
	for _, tt := range []struct {
		name   string
		in     string
		limits scanLimits
		want   []scanned
	}{
		{"empty input", "", scanLimits{}, nil},
		{"lines", "{\"a\":1}\n{\"a\":2}\n", scanLimits{}, []scanned{
			rec(1, `{"a":1}`, `{"a":1}`),
			rec(2, `{"a":2}`, `{"a":2}`),
		}},
		{"CRLF, empty lines, no final newline", "{}\r\n\n\r\n\"x,\"\r", scanLimits{}, []scanned{
			rec(1, "{}", "{}"),
			rec(2, "", ""),
			rec(3, "", ""),
			rec(4, `"x,"`, `"x,"`),
		}},
		{"quotes do not join lines", "\"a\nb\"\n", scanLimits{}, []scanned{
			rec(1, `"a`, `"a`),
			rec(2, `b"`, `b"`),
		}},
		{"line at the limit", "0123456789\r\nx", scanLimits{MaxLineBytes: 10}, []scanned{
			rec(1, "0123456789", "0123456789"),
			rec(2, "x", "x"),
		}},
		{"line too long then a good line", "0123456789a\nok\n", scanLimits{MaxLineBytes: 10}, []scanned{
			{Line: 1, Raw: "0123456789a", Problem: "line_too_long 10"},
			rec(2, "ok", "ok"),
		}},
		{"long lines in a row", "0123456789abcdefghijklmnopqrstuvwxyz\n0123456789abcdefghijklmnopqrstuvwxyz\nok", scanLimits{MaxLineBytes: 10}, []scanned{
			{Line: 1, Raw: "0123456789abcdefghijklmnopqrstuvwxyz", Problem: "line_too_long 10"},
			{Line: 2, Raw: "0123456789abcdefghijklmnopqrstuvwxyz", Problem: "line_too_long 10"},
			rec(3, "ok", "ok"),
		}},
	} {
		for _, bufSize := range []int{scanBufferSize, 16} {
			t.Run(fmt.Sprintf("%s/buffer %d", tt.name, bufSize), func(t *testing.T) {
				for reader, wrap := range readerKinds {
					got := scanLines(t, wrap(strings.NewReader(tt.in)), tt.limits, bufSize)
					if !reflect.DeepEqual(got, tt.want) {
						t.Errorf("%s reader:\ngot  %v\nwant %v", reader, got, tt.want)
					}
				}
			})
		}
	}
}

func TestLineScannerHugeLine(t *testing.T) {
	var got []scanned
	checkMemory(t, 4<<20, func() {
		s := newLineScanner(hugeLine(`{"k":"`, hugeLineBytes, "\"}\n{\"k\":1}\n"), scanLimits{})
		for s.Next() {
			r := scanned{Line: s.Line(), Problem: problemText(s.Problem())}
			if s.Bytes() != nil {
				r.Fields = []string{string(s.Bytes())}
			}
			if len(s.Raw()) != maxRawBytes || !bytes.HasPrefix(s.Raw(), []byte(`{"k":"xxx`)) {
				r.Raw = string(s.Raw())
			}
			got = append(got, r)
		}
		if s.Err() != nil {
			t.Fatal(s.Err())
		}
	})
	want := []scanned{
		{Line: 1, Problem: "line_too_long 1048576"},
		{Line: 2, Raw: `{"k":1}`, Fields: []string{`{"k":1}`}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestInvalidUTF8(t *testing.T) {
	long := strings.Repeat("abcdefgh", 5)
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"", -1},
		{"plain ASCII", -1},
		{long, -1},
		{"Liège, Ödön, 東京, 🙂", -1},
		{"\uFFFD is valid", -1},
		{"abc\xff", 3},
		{"\xe8ge", 0},
		{long + "é\xe9", len(long) + 2},
		{long + "12345\x80" + long, len(long) + 5},
		{"€\xe2\x82", 3},        // truncated sequence
		{"a\xed\xa0\x80", 1},    // surrogate
		{"ab\xc0\xaf", 2},       // overlong
		{"\xf4\x90\x80\x80", 0}, // beyond U+10FFFF
	} {
		if got := invalidUTF8([]byte(tt.in)); got != tt.want {
			t.Errorf("invalidUTF8(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// benchmarkCSV returns rows of 13 columns as a typical delivery holds.
func benchmarkCSV(rows int, quoted bool) []byte {
	var b bytes.Buffer
	b.WriteString("id;date;postcode;nis;name;age;member;amount;club;sport;level;email;note\r\n")
	q := func(s string) string {
		if quoted {
			return `"` + s + `"`
		}
		return s
	}
	for i := range rows {
		fmt.Fprintf(&b, "%d;%s;%d;%d;%s;%d;%d;%d,%02d;%s;%s;%s;%s;%s\r\n",
			i, q(fmt.Sprintf("2024-%02d-%02d", 1+i%12, 1+i%28)), 1000+i%9000, 21000+i%20,
			q(fmt.Sprintf("Person %d", i%997)), i%100, i%2, i%10000, i%100,
			q("Club sportif "+string(rune('A'+i%26))), q("football"), q("regional"),
			q(fmt.Sprintf("p%d@example.be", i)), q(""))
	}
	return b.Bytes()
}

func BenchmarkCSVScanner(b *testing.B) {
	for _, quoted := range []bool{false, true} {
		data := benchmarkCSV(100_000, quoted)
		b.Run(fmt.Sprintf("quoted=%v", quoted), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				s := newCSVScanner(bytes.NewReader(data), ';', scanLimits{})
				n := 0
				for s.Next() {
					n += len(s.Fields())
				}
				if n != 100_001*13 {
					b.Fatalf("%d cells", n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100_001), "ns/record")
		})
	}
}

// BenchmarkEncodingCSV is the standard library on the same input, for
// comparison.
func BenchmarkEncodingCSV(b *testing.B) {
	data := benchmarkCSV(100_000, false)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		cr := csv.NewReader(bytes.NewReader(data))
		cr.Comma = ';'
		cr.ReuseRecord = true
		for {
			if _, err := cr.Read(); err != nil {
				break
			}
		}
	}
}

func BenchmarkLineScanner(b *testing.B) {
	var data []byte
	for i := range 100_000 {
		data = fmt.Appendf(data, "{\"id\":%d,\"date\":\"2024-03-%02d\",\"name\":\"Person %d\",\"teams\":[\"a\",\"b\"]}\n", i, 1+i%28, i%997)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s := newLineScanner(bytes.NewReader(data), scanLimits{})
		for s.Next() {
		}
	}
}

func BenchmarkInvalidUTF8(b *testing.B) {
	data := benchmarkCSV(10_000, true)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if invalidUTF8(data) != -1 {
			b.Fatal("invalid")
		}
	}
}
