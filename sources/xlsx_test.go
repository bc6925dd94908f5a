package sources

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// writeWorkbook writes the fixture of the xlsx tests: a summary sheet, then
// a contacts sheet with a title row above its header, as exports are made.
// Its strings are shared strings, as Excel writes them.
func writeWorkbook(t *testing.T, edit func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "Résumé"))
	must(f.SetSheetRow("Résumé", "A1", &[]any{"Mois", "Contacts"}))
	must(f.SetSheetRow("Résumé", "A2", &[]any{"mars 2025", 3}))
	_, err := f.NewSheet("Contacts")
	must(err)
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // the short date of the reader's locale
	must(err)
	dmy := "dd/mm/yyyy"
	dmyStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dmy})
	must(err)
	timeStyle, err := f.NewStyle(&excelize.Style{NumFmt: 20}) // h:mm
	must(err)
	moneyStyle, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	must(err)

	must(f.SetCellValue("Contacts", "A1", "Export des contacts – mars 2025"))
	must(f.SetSheetRow("Contacts", "A2", &[]any{"Date", "Heure", "Équipe", "Montant", "Remarque", "Fin"}))
	// Row 3: a full row but for C, an empty cell in the middle.
	must(f.SetCellValue("Contacts", "A3", time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)))
	must(f.SetCellStyle("Contacts", "A3", "A3", dmyStyle))
	must(f.SetCellFloat("Contacts", "B3", 0.6375, -1, 64)) // 15:18
	must(f.SetCellStyle("Contacts", "B3", "B3", timeStyle))
	must(f.SetCellFloat("Contacts", "D3", 1234.75, -1, 64))
	must(f.SetCellStyle("Contacts", "D3", "D3", moneyStyle))
	must(f.SetCellValue("Contacts", "E3", "  à revoir  "))
	must(f.SetCellValue("Contacts", "F3", true))
	// Row 4: ends at C, with a formatted but empty cell at F.
	must(f.SetCellValue("Contacts", "A4", time.Date(2025, 3, 9, 15, 28, 0, 0, time.UTC)))
	must(f.SetCellStyle("Contacts", "A4", "A4", dateStyle))
	must(f.SetCellValue("Contacts", "C4", "Sud"))
	must(f.SetCellStyle("Contacts", "F4", "F4", moneyStyle))
	// Row 5 is empty. Row 6: a date typed as text, and float noise.
	must(f.SetCellValue("Contacts", "A6", "08/03/2025"))
	must(f.SetCellValue("Contacts", "C6", "Nord"))
	// Numbers as Excel writes them: 17 significant digits, or an exponent.
	must(f.SetCellDefault("Contacts", "D6", "0.30000000000000004"))
	must(f.SetCellDefault("Contacts", "F6", "1E-3"))
	must(f.SetCellInt("Contacts", "E6", 42))

	_, err = f.NewSheet("Caché")
	must(err)
	must(f.SetCellValue("Caché", "A1", "hidden"))
	must(f.SetSheetVisible("Caché", false))
	if edit != nil {
		edit(f)
	}
	path := filepath.Join(t.TempDir(), "contacts.xlsx")
	must(f.SaveAs(path))
	return path
}

type xlsxRow struct {
	Line  int
	Cells []string
}

func (r xlsxRow) String() string { return fmt.Sprintf("%d %q", r.Line, r.Cells) }

func readAllRows(t *testing.T, path, sheet string, index, skip int) ([]xlsxRow, error) {
	t.Helper()
	var got []xlsxRow
	err := xlsxRows(context.Background(), path, sheet, index, skip, func(line int, cells []string) error {
		got = append(got, xlsxRow{line, append([]string(nil), cells...)})
		return nil
	})
	return got, err
}

func TestXLSXRows(t *testing.T) {
	path := writeWorkbook(t, nil)
	want := []xlsxRow{
		{2, []string{"Date", "Heure", "Équipe", "Montant", "Remarque", "Fin"}},
		{3, []string{"45724", "0.6375", "", "1234.75", "  à revoir  ", "1"}},
		{4, []string{"45725.64444444444", "", "Sud"}},
		{5, nil},
		{6, []string{"08/03/2025", "", "Nord", "0.30000000000000004", "42", "1E-3"}},
	}
	for _, c := range []struct {
		name  string
		sheet string
		index int
	}{
		{"by name", "Contacts", 0},
		{"by name, another case", "CONTACTS", 0},
		{"by position", "", 2},
		{"the name wins", "Contacts", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAllRows(t, path, c.sheet, c.index, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rows:\n got %v\nwant %v", got, want)
			}
		})
	}

	// The first sheet, by default or by position; nothing skipped.
	for _, index := range []int{0, 1} {
		got, err := readAllRows(t, path, "", index, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []xlsxRow{{1, []string{"Mois", "Contacts"}}, {2, []string{"mars 2025", "3"}}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("position %d: %v, want %v", index, got, want)
		}
	}
	// A hidden sheet counts in the positions.
	if got, err := readAllRows(t, path, "", 3, 0); err != nil || !reflect.DeepEqual(got, []xlsxRow{{1, []string{"hidden"}}}) {
		t.Errorf("position 3: %v, %v", got, err)
	}
	// Skipping more rows than the sheet has.
	if got, err := readAllRows(t, path, "Contacts", 0, 10); err != nil || len(got) != 0 {
		t.Errorf("skip 10: %v, %v", got, err)
	}
}

func TestXLSXDatesReadByTheDateParser(t *testing.T) {
	path := writeWorkbook(t, nil)
	p, err := newDateParser("dd/mm/yyyy", brusselsLocation(t), true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = xlsxRows(context.Background(), path, "Contacts", 0, 2, func(line int, cells []string) error {
		if len(cells) == 0 {
			return nil
		}
		day, minute, code := p.parseDateTime([]byte(cells[0]))
		got = append(got, fmt.Sprintf("%d %v %d %q", line, day, minute, code))
		if len(cells) > 1 && cells[1] != "" {
			m, ok := serialMinute([]byte(cells[1]))
			got = append(got, fmt.Sprintf("%d time %d %v", line, m, ok))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`3 2025-03-08 -1 ""`,
		`3 time 918 true`, // 15:18
		`4 2025-03-09 928 ""`,
		`6 2025-03-08 -1 ""`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestXLSXRowsErrors(t *testing.T) {
	path := writeWorkbook(t, nil)
	for _, c := range []struct {
		name        string
		sheet       string
		index, skip int
		want        string
	}{
		{"unknown name", "Feuil1", 0, 0, `contacts.xlsx: no sheet named "Feuil1" (sheets: "Résumé", "Contacts", "Caché")`},
		{"position out of range", "", 4, 0, `contacts.xlsx: no sheet 4: the workbook has 3 ("Résumé", "Contacts", "Caché")`},
		{"negative position", "", -1, 0, "cannot be negative"},
		{"negative skip", "", 0, -1, "cannot be negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readAllRows(t, path, c.sheet, c.index, c.skip)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}

	t.Run("not a workbook", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "export.xlsx")
		if err := os.WriteFile(bad, []byte("Date;Montant\n08/03/2025;12,5\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := readAllRows(t, bad, "", 0, 0)
		if err == nil || !strings.Contains(err.Error(), "export.xlsx: not a readable Excel workbook (.xlsx)") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := readAllRows(t, filepath.Join(t.TempDir(), "none.xlsx"), "", 0, 0)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("1904 date system", func(t *testing.T) {
		yes := true
		path := writeWorkbook(t, func(f *excelize.File) {
			if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
				t.Fatal(err)
			}
		})
		_, err := readAllRows(t, path, "Contacts", 0, 0)
		if err == nil || !strings.Contains(err.Error(), "1904 date system") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("an error of row stops the reading", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := xlsxRows(context.Background(), path, "Contacts", 0, 0, func(int, []string) error {
			n++
			if n == 2 {
				return stop
			}
			return nil
		})
		if err != stop || n != 2 {
			t.Errorf("error %v after %d rows", err, n)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := xlsxRows(ctx, path, "Contacts", 0, 0, func(int, []string) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v", err)
		}
	})
}

// TestXLSXRowsMemory reads a 200,000-row sheet whose XML is far larger than
// the memory the reading may take (50,000 rows with -race, still 16 MiB of
// XML).
func TestXLSXRowsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 200,000-row workbook")
	}
	n := 200_000
	if raceDetector {
		n = 50_000
	}
	path := filepath.Join(t.TempDir(), "big.xlsx")
	start := time.Now()
	func() {
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		if err != nil {
			t.Fatal(err)
		}
		if err := sw.SetRow("A1", []any{"Date", "Personne", "Équipe", "Code postal", "Kits", "Montant", "Remarque"}); err != nil {
			t.Fatal(err)
		}
		teams := []string{"Nord", "Sud", "Est", "Ouest", "Centre"}
		day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 1; i <= n; i++ {
			row := []any{
				excelize.Cell{StyleID: dateStyle, Value: day.AddDate(0, 0, i%730)},
				fmt.Sprintf("personne-%07d", i),
				teams[i%len(teams)],
				1000 + i%300,
				i % 12,
				float64(i%10000) / 100,
				"commentaire libre de la ligne " + fmt.Sprint(i),
			}
			if err := sw.SetRow(fmt.Sprintf("A%d", i+1), row); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.SaveAs(path); err != nil {
			t.Fatal(err)
		}
	}()
	written := time.Since(start)
	fileSize, sheetSize := workbookSizes(t, path)

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	runtime.GC()
	runtime.GC() // objects with finalizers, such as files, go in a second cycle
	base := heapAlloc()
	// The heap is sampled every millisecond, and every 2,000 rows.
	var (
		mu   sync.Mutex
		peak = base
		done = make(chan struct{})
		quit = make(chan struct{})
	)
	sample := func() {
		h := heapAlloc()
		mu.Lock()
		peak = max(peak, h)
		mu.Unlock()
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	start = time.Now()
	rows := 0
	err := xlsxRows(context.Background(), path, "", 0, 1, func(line int, cells []string) error {
		rows++
		if line%2000 == 0 {
			sample()
		}
		if line == n+1 && (len(cells) != 7 || cells[1] != fmt.Sprintf("personne-%07d", n)) {
			t.Errorf("last row %q", cells)
		}
		return nil
	})
	read := time.Since(start)
	close(quit)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if rows != n {
		t.Fatalf("%d rows read, want %d", rows, n)
	}
	noTemporaryFiles(t, tmp)
	grown := float64(peak-base) / (1 << 20)
	t.Logf("%d rows, %.1f MiB file, %.1f MiB sheet XML; written in %v, read in %v; heap grew by %.1f MiB at most",
		n, float64(fileSize)/(1<<20), float64(sheetSize)/(1<<20), written.Round(time.Millisecond), read.Round(time.Millisecond), grown)
	if sheetSize <= xlsxUnzipXMLSizeLimit {
		t.Fatalf("the sheet XML (%d bytes) must be larger than the in-memory limit for this test", sheetSize)
	}
	if limit := 32.0; grown > limit { // the sheet XML is twice as large
		t.Errorf("heap grew by %.1f MiB reading the sheet, more than %.0f MiB", grown, limit)
	}
}

// TestXLSXRowsSharedStrings reads a workbook whose shared string table, as
// Excel writes one, is too large to be held in memory.
func TestXLSXRowsSharedStrings(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 60,000-row workbook")
	}
	const n = 60_000
	path := filepath.Join(t.TempDir(), "strings.xlsx")
	func() {
		f := excelize.NewFile()
		defer f.Close()
		for i := 1; i <= n; i++ {
			if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i), &[]any{fmt.Sprintf("personne-%07d", i), "Nord", i}); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.SaveAs(path); err != nil {
			t.Fatal(err)
		}
	}()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	var sst uint64
	for _, f := range z.File {
		if f.Name == "xl/sharedStrings.xml" {
			sst = f.UncompressedSize64
		}
	}
	z.Close()
	if sst <= xlsxUnzipXMLSizeLimit {
		t.Fatalf("the shared strings (%d bytes) must be larger than the in-memory limit for this test", sst)
	}

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	runtime.GC()
	runtime.GC()
	base, peak := heapAlloc(), uint64(0)
	rows := 0
	err = xlsxRows(context.Background(), path, "", 0, 0, func(line int, cells []string) error {
		rows++
		if line%500 == 0 {
			peak = max(peak, heapAlloc())
		}
		if want := fmt.Sprintf("personne-%07d", line); len(cells) != 3 || cells[0] != want || cells[1] != "Nord" || cells[2] != fmt.Sprint(line) {
			return fmt.Errorf("line %d: %q", line, cells)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows != n {
		t.Fatalf("%d rows, want %d", rows, n)
	}
	noTemporaryFiles(t, tmp)
	grown := float64(peak-min(peak, base)) / (1 << 20)
	t.Logf("%d distinct texts, %.1f MiB of shared strings: heap grew by %.1f MiB at most", n+1, float64(sst)/(1<<20), grown)
	if grown > 24 { // parsed in memory, they would take about 48 MiB
		t.Errorf("heap grew by %.1f MiB", grown)
	}
}

// noTemporaryFiles checks that the reading removed the files it unpacked.
func noTemporaryFiles(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("temporary file left: %s", e.Name())
	}
}

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// workbookSizes returns the size of a workbook and the unpacked size of its
// first sheet.
func workbookSizes(t *testing.T, path string) (file, sheet int64) {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			sheet = int64(f.UncompressedSize64)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size(), sheet
}
