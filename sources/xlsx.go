package sources

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Limits of an Excel workbook, checked against the sizes its zip declares
// before anything is unpacked.
//
// Reading takes memory for three things: the parts of the workbook other
// than large sheets (styles, small sheets, images), held while it is read;
// the shared string table, where Excel keeps each distinct text once; and
// one row at a time. A shared string table larger than
// xlsxUnzipXMLSizeLimit is unpacked to a temporary file and indexed, at
// about 100 bytes of memory per distinct text; a smaller one is parsed in
// memory, which takes about 25 times its size (so up to about 25 MiB). A
// 200,000-row sheet of 66 MiB of XML is read with the heap growing by less
// than 10 MiB; one where two columns hold texts distinct on every row
// (400,000 shared strings) takes about 40 MiB. Temporary files go to the
// system's temporary directory (os.TempDir) and are removed when the
// reading ends.
const (
	// xlsxUnzipSizeLimit caps the unpacked size of a workbook, all its
	// parts counted: a larger file is refused as likely a zip bomb, and far
	// from a data export.
	xlsxUnzipSizeLimit = 1 << 30
	// xlsxUnzipXMLSizeLimit is the size above which a sheet or the shared
	// string table is unpacked to a temporary file and read from there,
	// rather than held in memory (excelize's default is 16 MiB).
	xlsxUnzipXMLSizeLimit = 1 << 20
)

// xlsxRows calls row for each row of the chosen sheet after skipRows rows,
// with its 1-based row number in the sheet and its cells as text (valid
// until the next call).
//
// The sheet is chosen by its name (compared without case, as Excel does),
// or when sheet is "" by its 1-based position among the workbook's sheets,
// hidden ones included; 0 is the first.
//
// The rows are streamed: memory does not grow with the number of rows, only
// with the number of distinct texts (see the limits above). Every row of the sheet is passed, empty ones as no
// cells, up to its last row that holds a value or a format. A cell keeps its
// position: cells[2] is column C, an empty cell in the middle of a row is
// "", and a row stops at its last value, so it may be shorter than the
// header. Values are raw, as the workbook stores them, not as Excel shows
// them: a date is a serial number in Excel's 1900 date system (45724 for
// 2025-03-08, see dateParser), a number is written with a point and up to
// 17 significant digits (12.5, 0.30000000000000004, 1E-3), a boolean is 1 or
// 0, a formula gives its last computed value. Texts are not trimmed.
//
// A workbook in the 1904 date system (an option of old Excel for Mac) is
// refused, since its serial numbers would be read four years early.
//
// An error returned by row stops the reading and is returned as is.
func xlsxRows(ctx context.Context, path string, sheet string, sheetIndex int, skipRows int, row func(line int, cells []string) error) error {
	if sheetIndex < 0 || skipRows < 0 {
		return fmt.Errorf("sources: %s: sheet position %d and rows to skip %d cannot be negative", path, sheetIndex, skipRows)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := excelize.OpenFile(path, excelize.Options{
		UnzipSizeLimit:    xlsxUnzipSizeLimit,
		UnzipXMLSizeLimit: xlsxUnzipXMLSizeLimit,
	})
	if err != nil {
		if f != nil {
			f.Close() // removes the parts already unpacked to temporary files
		}
		return fmt.Errorf("sources: %s: not a readable Excel workbook (.xlsx): %w", path, err)
	}
	defer f.Close()

	props, err := f.GetWorkbookProps()
	if err != nil {
		return fmt.Errorf("sources: %s: %w", path, err)
	}
	if props.Date1904 != nil && *props.Date1904 {
		return fmt.Errorf("sources: %s: the workbook uses the 1904 date system of old Excel for Mac; save it in the 1900 date system or as CSV", path)
	}
	name, err := chooseSheet(f, sheet, sheetIndex)
	if err != nil {
		return fmt.Errorf("sources: %s: %w", path, err)
	}
	rows, err := f.Rows(name)
	if err != nil {
		return fmt.Errorf("sources: %s: sheet %q: %w", path, name, err)
	}
	defer rows.Close()

	raw := excelize.Options{RawCellValue: true}
	line := 0
	for rows.Next() {
		line++
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if line <= skipRows {
			continue
		}
		cells, err := rows.Columns(raw)
		if err != nil {
			return fmt.Errorf("sources: %s: sheet %q: row %d: %w", path, name, line, err)
		}
		if err := row(line, cells); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return fmt.Errorf("sources: %s: sheet %q: %w", path, name, err)
	}
	return rows.Close()
}

// chooseSheet returns the name of the sheet named sheet, or at a 1-based
// position when sheet is "" (0: the first).
func chooseSheet(f *excelize.File, sheet string, position int) (string, error) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return "", errors.New("the workbook has no sheet")
	}
	if sheet != "" {
		for _, s := range sheets {
			if strings.EqualFold(s, sheet) {
				return s, nil
			}
		}
		return "", fmt.Errorf("no sheet named %q (sheets: %s)", sheet, quoteList(sheets))
	}
	if position == 0 {
		position = 1
	}
	if position > len(sheets) {
		return "", fmt.Errorf("no sheet %d: the workbook has %d (%s)", position, len(sheets), quoteList(sheets))
	}
	return sheets[position-1], nil
}

func quoteList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}
