package sources

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Brussels even where the host has no zoneinfo
)

func brusselsLocation(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func unixDay(t time.Time) Day {
	return Day(floorDiv64(t.Unix(), secondsPerDay))
}

func TestDayAgainstTimeDate(t *testing.T) {
	n := 0
	for tm := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() <= 2100; tm = tm.AddDate(0, 0, 1) {
		y, m, d := tm.Date()
		day := DayOf(y, m, d)
		if want := unixDay(tm); day != want {
			t.Fatalf("DayOf(%d, %d, %d) = %d, want %d", y, m, d, day, want)
		}
		if gy, gm, gd := day.Date(); gy != y || gm != m || gd != d {
			t.Fatalf("Day(%d).Date() = %d-%d-%d, want %d-%d-%d", day, gy, gm, gd, y, m, d)
		}
		if day.Year() != y || day.Month() != m {
			t.Fatalf("Day(%d): Year %d Month %d, want %d %d", day, day.Year(), day.Month(), y, m)
		}
		if got, want := day.FirstOfMonth(), unixDay(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)); got != want {
			t.Fatalf("Day(%d).FirstOfMonth() = %d, want %d", day, got, want)
		}
		if got := day.Time(); !got.Equal(tm) || got.Location() != time.UTC {
			t.Fatalf("Day(%d).Time() = %v, want %v", day, got, tm)
		}
		if got, want := day.String(), tm.Format("2006-01-02"); got != want {
			t.Fatalf("Day(%d).String() = %q, want %q", day, got, want)
		}
		n++
	}
	if n != 73414 { // 201 years, 49 of them leap years (not 1900 nor 2100)
		t.Fatalf("%d days checked, want 73414", n)
	}
}

func TestDayFarAndNormalised(t *testing.T) {
	// Far from 1970, every 97 days (so every day of the month comes up).
	for tm := time.Date(-3000, 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() <= 12000; tm = tm.AddDate(0, 0, 97) {
		y, m, d := tm.Date()
		if got, want := DayOf(y, m, d), unixDay(tm); got != want {
			t.Fatalf("DayOf(%d, %d, %d) = %d, want %d", y, m, d, got, want)
		}
		if gy, gm, gd := unixDay(tm).Date(); gy != y || gm != m || gd != d {
			t.Fatalf("Day(%d).Date() = %d-%d-%d, want %d-%d-%d", unixDay(tm), gy, gm, gd, y, m, d)
		}
	}
	// Out-of-range months and days are normalised as time.Date does.
	for _, c := range []struct{ y, m, d int }{
		{2025, 13, 1}, {2025, 0, 1}, {2025, -11, 15}, {2025, 25, 31}, {2025, 2, 29},
		{2024, 2, 30}, {2025, 3, 0}, {2025, 1, -1}, {2025, 1, 400}, {1969, 12, 32},
	} {
		want := unixDay(time.Date(c.y, time.Month(c.m), c.d, 0, 0, 0, 0, time.UTC))
		if got := DayOf(c.y, time.Month(c.m), c.d); got != want {
			t.Errorf("DayOf(%d, %d, %d) = %v, want %v", c.y, c.m, c.d, got, want)
		}
	}
	// Hand-written values.
	for _, c := range []struct {
		day  Day
		text string
	}{
		{0, "1970-01-01"}, {-1, "1969-12-31"}, {20155, "2025-03-08"}, {65535, "2149-06-06"},
		{-25567, "1900-01-01"}, {-719528, "0000-01-01"}, {2932896, "9999-12-31"},
	} {
		if got := c.day.String(); got != c.text {
			t.Errorf("Day(%d).String() = %q, want %q", c.day, got, c.text)
		}
	}
	if got := Day(-719529).String(); got != "-1-12-31" {
		t.Errorf("Day(-719529).String() = %q", got)
	}
}

// dateCase is a text, how one parser reads it: the day written yyyy-mm-dd
// ("" for none), the minute of the day (-1 for none), the problem code.
type dateCase struct {
	text   string
	day    string
	minute int
	code   string
}

func dateOK(text, day string) dateCase { return dateCase{text, day, -1, ""} }
func dateOKAt(text, day string, hh, mm int) dateCase {
	return dateCase{text, day, hh*60 + mm, ""}
}
func dateBad(text string) dateCase     { return dateCase{text, "", -1, ProblemDate} }
func dateInvalid(text string) dateCase { return dateCase{text, "", -1, problemDateInvalid} }

func TestDateParser(t *testing.T) {
	loc := brusselsLocation(t)
	for _, tt := range []struct {
		format string
		serial bool
		forms  string
		cases  []dateCase
	}{
		{"", false, "yyyy-mm-dd, ISO 8601 date-time", []dateCase{
			dateOK("2025-03-08", "2025-03-08"),
			dateOK("2024-02-29", "2024-02-29"),
			dateOK("2000-02-29", "2000-02-29"),
			dateOK("1970-01-01", "1970-01-01"),
			dateOK("0000-01-01", "0000-01-01"),
			dateOK("9999-12-31", "9999-12-31"),
			dateInvalid("2025-02-29"),
			dateInvalid("1900-02-29"),
			dateInvalid("2025-13-01"),
			dateInvalid("2025-00-10"),
			dateInvalid("2025-04-31"),
			dateInvalid("2025-01-00"),
			dateInvalid("2025-01-32"),
			// One-digit month and day: nothing else can be meant.
			dateOK("2025-3-8", "2025-03-08"),
			dateOK("2025-03-8", "2025-03-08"),
			dateOK("2025-3-08", "2025-03-08"),
			dateInvalid("2025-2-30"),
			dateBad("2025-003-08"),
			dateBad("2025-03-008"),
			dateBad("25-03-08"),
			dateBad("02025-03-08"),
			dateBad("2025/03/08"),
			dateBad("2025-03"),
			dateBad("2025-03-"),
			dateBad("2025--08"),
			dateBad("20250308"),
			dateBad("abc"),
			dateBad("08/03/2025"),
			dateBad("2025-03-08 "), // trimmed by the caller
			dateBad(" 2025-03-08"),
			dateBad("2025-03-08x"),
			dateBad("2025-03-08T"),
			dateBad("+025-03-08"),
			dateBad("45724"), // a serial number, not accepted here

			// ISO 8601 date-times with an offset: the day in Brussels.
			dateOKAt("2025-03-08T15:28:00+01:00", "2025-03-08", 15, 28),
			dateOKAt("2025-03-08T15:28:00Z", "2025-03-08", 16, 28),
			dateOKAt("2025-03-08T23:30:00Z", "2025-03-09", 0, 30),  // CET, UTC+1
			dateOKAt("2025-07-01T23:30:00Z", "2025-07-02", 1, 30),  // CEST, UTC+2
			dateOKAt("2025-07-01T21:59:59Z", "2025-07-01", 23, 59), // CEST
			dateOKAt("2025-07-01T22:00:00Z", "2025-07-02", 0, 0),   // CEST
			dateOKAt("2025-03-30T00:59:00Z", "2025-03-30", 1, 59),  // last minute of CET
			dateOKAt("2025-03-30T01:00:00Z", "2025-03-30", 3, 0),   // first of CEST
			dateOKAt("2025-10-26T00:59:00Z", "2025-10-26", 2, 59),  // CEST
			dateOKAt("2025-10-26T01:00:00Z", "2025-10-26", 2, 0),   // CET again
			dateOKAt("2025-10-25T22:30:00Z", "2025-10-26", 0, 30),  // CEST
			dateOKAt("2025-12-31T23:00:00Z", "2026-01-01", 0, 0),   // a new year
			dateOKAt("2025-03-08T00:30:00+05:00", "2025-03-07", 20, 30),
			dateOKAt("2025-03-08T20:00:00-05:00", "2025-03-09", 2, 0),
			dateOKAt("2025-03-08T20:00:00-0500", "2025-03-09", 2, 0),
			dateOKAt("2025-03-08T20:00:00-05", "2025-03-09", 2, 0),
			dateOKAt("2025-03-08T20:00-05:00", "2025-03-09", 2, 0),
			dateOKAt("2025-03-08T15:28:00.123Z", "2025-03-08", 16, 28),
			dateOKAt("2025-03-08T15:28:00.1234567+01:00", "2025-03-08", 15, 28),
			dateOKAt("2025-03-08T15:28:59,999+01:00", "2025-03-08", 15, 28),
			dateOKAt("2025-03-08 23:30:00Z", "2025-03-09", 0, 30),
			dateOKAt("2025-03-08t23:30:00z", "2025-03-09", 0, 30),
			dateOKAt("2024-02-28T23:30:00Z", "2024-02-29", 0, 30),
			dateOKAt("2025-02-28T23:30:00Z", "2025-03-01", 0, 30),
			dateOKAt("1969-12-31T23:30:00Z", "1970-01-01", 0, 30),
			dateOKAt("2025-03-08T00:00:00+23:59", "2025-03-07", 1, 1),
			// Without an offset: the date as written, local to Brussels.
			dateOKAt("2025-03-08T23:30:00", "2025-03-08", 23, 30),
			dateOKAt("2025-03-08 23:30", "2025-03-08", 23, 30),
			dateOKAt("2025-03-30T02:30:00", "2025-03-30", 2, 30), // skipped by DST, kept as written
			dateOKAt("2025-03-08T00:00:00.5", "2025-03-08", 0, 0),
			dateInvalid("2025-02-29T10:00:00Z"),
			dateInvalid("2025-03-08T24:00:00Z"),
			dateInvalid("2025-03-08T23:60:00Z"),
			dateInvalid("2025-03-08T23:59:60Z"),
			dateInvalid("2025-03-08T10:00:00+24:00"),
			dateInvalid("2025-03-08T10:00:00+01:60"),
			dateInvalid("2025-13-08T10:00"),
			dateOKAt("2025-03-08T9:05:00+01:00", "2025-03-08", 9, 5), // as time.Parse reads it
			dateOKAt("2025-03-08 9:05", "2025-03-08", 9, 5),
			dateBad("2025-03-08T123:00:00Z"),
			dateBad("2025-03-08T:00:00Z"),
			dateBad("2025-03-08T10:0:00Z"),
			dateBad("2025-03-08T10"),
			dateBad("2025-03-08T10:00:0Z"),
			dateBad("2025-03-08T10:00:00."),
			dateBad("2025-03-08T10:00:00.Z"),
			dateBad("2025-03-08T10:00:00+1"),
			dateBad("2025-03-08T10:00:00+01:0"),
			dateBad("2025-03-08T10:00:00+01:00:00"),
			dateBad("2025-03-08T10:00:00 +01:00"),
			dateBad("2025-03-08T10:00:00UTC"),
			dateBad("2025-03-08T10:00:00ZZ"),
			dateBad("2025-03-08X10:00:00"),
			dateBad("2025-03-08  10:00:00"),
			dateBad("2025-03-08T10:00:00.123.4"),
		}},
		{"yyyy-mm-dd", false, "yyyy-mm-dd, ISO 8601 date-time", []dateCase{
			dateOK("2025-03-08", "2025-03-08"),
			dateOKAt("2025-03-08T23:30:00Z", "2025-03-09", 0, 30),
		}},
		{"", true, "yyyy-mm-dd, ISO 8601 date-time", []dateCase{
			dateOK("2025-03-08", "2025-03-08"),
			dateOKAt("2025-03-08T15:28:00+01:00", "2025-03-08", 15, 28),
			dateOK("45724", "2025-03-08"),
			dateOKAt("45724.6375", "2025-03-08", 15, 18),
			dateOKAt("45724.637499999997", "2025-03-08", 15, 18), // Excel's float noise
			dateOKAt("45724.5", "2025-03-08", 12, 0),
			dateOKAt("45724.0", "2025-03-08", 0, 0),
			dateOKAt("45724.99999999", "2025-03-09", 0, 0), // 23:59:59.9991 is rounded
			dateOKAt("45724.9999", "2025-03-08", 23, 59),   // 23:59:51
			dateOK("25569", "1970-01-01"),
			dateOK("1", "1900-01-01"),
			dateOK("59", "1900-02-28"),
			dateInvalid("60"), // Excel's 1900-02-29
			dateInvalid("60.5"),
			dateOK("61", "1900-03-01"),
			dateOK("2958465", "9999-12-31"),
			dateOK("0045724", "2025-03-08"),
			dateInvalid("0"),
			dateInvalid("0.5"),
			dateInvalid("2958466"),
			dateInvalid("99999999999999999999"),
			dateBad("-45724"),
			dateBad("45724."),
			dateBad(".5"),
			dateBad("45724,5"),
			dateBad("4.5724E4"),
			dateBad("45 724"),
			dateBad("abc"),
		}},
		{"dd/mm/yyyy", false, "dd/mm/yyyy", []dateCase{
			dateOK("08/03/2025", "2025-03-08"),
			dateOK("31/12/1999", "1999-12-31"),
			dateOK("29/02/2024", "2024-02-29"),
			dateOK("8/3/2025", "2025-03-08"),
			dateOK("8/03/2025", "2025-03-08"),
			dateOK("08/3/2025", "2025-03-08"),
			dateInvalid("31/02/2025"),
			dateInvalid("29/02/2025"),
			dateInvalid("32/01/2025"),
			dateInvalid("00/01/2025"),
			dateInvalid("01/13/2025"),
			dateInvalid("01/00/2025"),
			dateBad("008/03/2025"),
			dateBad("08/003/2025"),
			dateBad("08/03/25"),
			dateBad("08/03/02025"),
			dateBad("08-03-2025"),
			dateBad("2025-03-08"),
			dateBad("08/03/2025 15:28"),
			dateBad("/03/2025"),
			dateBad("08//2025"),
			dateBad("08/03"),
			dateBad("abc"),
			dateBad("45724"), // no serials for this source
		}},
		{"dd/mm/yyyy", true, "dd/mm/yyyy", []dateCase{
			dateOK("08/03/2025", "2025-03-08"),
			dateOK("45724", "2025-03-08"),
			dateOKAt("45724.6375", "2025-03-08", 15, 18),
			dateInvalid("31/02/2025"),
			dateInvalid("60"),
			dateBad("2025-03-08"),
		}},
		{"dd.mm.yyyy", false, "dd.mm.yyyy", []dateCase{
			dateOK("08.03.2025", "2025-03-08"),
			dateOK("8.3.2025", "2025-03-08"),
			dateBad("08/03/2025"),
		}},
		{"mm/dd/yyyy", false, "mm/dd/yyyy", []dateCase{
			dateOK("03/08/2025", "2025-03-08"),
			dateOK("3/8/2025", "2025-03-08"),
			dateInvalid("13/08/2025"),
		}},
		{"mm/yyyy", false, "mm/yyyy", []dateCase{
			dateOK("03/2025", "2025-03-01"),
			dateOK("3/2025", "2025-03-01"),
			dateOK("12/2024", "2024-12-01"),
			dateInvalid("13/2025"),
			dateInvalid("00/2025"),
			dateBad("08/03/2025"),
			dateBad("2025-03"),
		}},
		{"yyyy-mm", false, "yyyy-mm", []dateCase{
			dateOK("2025-03", "2025-03-01"),
			dateOK("2025-3", "2025-03-01"),
			dateBad("2025-03-08"),
		}},
		{"ddmmyyyy", false, "ddmmyyyy", []dateCase{
			dateOK("08032025", "2025-03-08"),
			dateInvalid("31022025"),
			dateBad("8032025"),
			dateBad("832025"),
		}},
		{"yyyymmdd", true, "yyyymmdd", []dateCase{
			dateOK("20250308", "2025-03-08"),
			dateOK("2025038", "2025-03-08"), // the last field may lose its leading zero
			dateInvalid("20250230"),
			dateOK("45724", "2025-03-08"), // too short for the format: a serial
			dateBad("2025-03-08"),
		}},
		{"dd mm yyyy", false, "dd mm yyyy", []dateCase{
			dateOK("08 03 2025", "2025-03-08"),
			dateOK("8  3   2025", "2025-03-08"), // a space matches a run of spaces, as in time.Parse
			dateBad("08032025"),
			dateBad("08-03-2025"),
		}},
		{"dd – mm – yyyy", false, "dd – mm – yyyy", []dateCase{
			dateOK("08 – 03 – 2025", "2025-03-08"),
			dateOK("8 – 3 – 2025", "2025-03-08"),
			dateBad("08 - 03 - 2025"),
			dateBad("08 – 03 –"),
		}},
	} {
		p, err := newDateParser(tt.format, loc, tt.serial)
		if err != nil {
			t.Fatalf("newDateParser(%q): %v", tt.format, err)
		}
		if got := p.acceptedForms(); got != tt.forms {
			t.Errorf("format %q: acceptedForms() = %q, want %q", tt.format, got, tt.forms)
		}
		for _, c := range tt.cases {
			name := strconv.Quote(tt.format) + " serial=" + strconv.FormatBool(tt.serial) + " " + strconv.Quote(c.text)
			day, minute, code := p.parseDateTime([]byte(c.text))
			gotDay := ""
			if code == "" {
				gotDay = day.String()
			} else if day != 0 || minute != -1 {
				t.Errorf("%s: code %q with day %v and minute %d", name, code, day, minute)
			}
			if gotDay != c.day || minute != c.minute || code != c.code {
				t.Errorf("%s: parseDateTime = %q, %d, %q; want %q, %d, %q", name, gotDay, minute, code, c.day, c.minute, c.code)
			}
			if d2, code2 := p.parse([]byte(c.text)); d2 != day || code2 != code {
				t.Errorf("%s: parse = %v, %q; parseDateTime gives %v, %q", name, d2, code2, day, code)
			}
		}
	}
}

func TestDateParserFormats(t *testing.T) {
	for _, format := range []string{"dd/mm/yy", "dd/mm/yyyy hh:mm", "dd.mm.2024", "dd/yyyy", "yyyy", "dd/mm/yyyy/yyyy", "mm/mm/yyyy", "ddd/mm/yyyy"} {
		if _, err := newDateParser(format, nil, false); err == nil {
			t.Errorf("newDateParser(%q) accepted a bad format", format)
		} else if !strings.Contains(err.Error(), "is not a date format") {
			t.Errorf("newDateParser(%q): %v", format, err)
		}
	}
	p, err := newDateParser("", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	// Without a location, the days of instants are UTC days.
	if d, m, code := p.parseDateTime([]byte("2025-03-08T23:30:00Z")); d.String() != "2025-03-08" || m != 23*60+30 || code != "" {
		t.Errorf("UTC: %v %d %q", d, m, code)
	}
}

func TestSerialMinute(t *testing.T) {
	for _, c := range []struct {
		text   string
		minute int
		ok     bool
	}{
		{"0.6375", 15*60 + 18, true},
		{"0.63749999999999996", 15*60 + 18, true},
		{"0", 0, true},
		{"0.5", 12 * 60, true},
		{"0.999999999", 0, true}, // rounds to midnight
		{"0.99930555555555556", 23*60 + 59, true},
		{"45724.6375", 15*60 + 18, true},
		{"", 0, false},
		{"15:18", 0, false},
		{".5", 0, false},
		{"0.", 0, false},
		{"-0.5", 0, false},
	} {
		minute, ok := serialMinute([]byte(c.text))
		if ok != c.ok || (ok && minute != c.minute) {
			t.Errorf("serialMinute(%q) = %d, %v; want %d, %v", c.text, minute, ok, c.minute, c.ok)
		}
	}
}

func TestDateParserAllocations(t *testing.T) {
	loc := brusselsLocation(t)
	iso, _ := newDateParser("", loc, true)
	dmy, _ := newDateParser("dd/mm/yyyy", loc, true)
	for _, c := range []struct {
		p    *dateParser
		text string
	}{
		{iso, "2025-03-08"},
		{iso, "2025-03-08T23:30:00Z"},
		{iso, "2025-07-01T23:30:00.123+01:00"},
		{iso, "2025-03-08T23:30"},
		{iso, "45724.6375"},
		{iso, "2025-02-29"},
		{iso, "abc"},
		{dmy, "08/03/2025"},
		{dmy, "8/3/2025"},
		{dmy, "31/02/2025"},
		{dmy, "45724"},
		{dmy, "abc"},
	} {
		b := []byte(c.text)
		if n := testing.AllocsPerRun(1000, func() { c.p.parseDateTime(b) }); n != 0 {
			t.Errorf("parseDateTime(%q): %v allocations", c.text, n)
		}
		if n := testing.AllocsPerRun(1000, func() { c.p.parse(b) }); n != 0 {
			t.Errorf("parse(%q): %v allocations", c.text, n)
		}
		// A short string converted at the call does not allocate either.
		s := c.text
		if n := testing.AllocsPerRun(1000, func() { c.p.parse([]byte(s)) }); n != 0 {
			t.Errorf("parse([]byte(%q)): %v allocations", c.text, n)
		}
	}
}

func BenchmarkDateParser(b *testing.B) {
	loc := brusselsLocation(b)
	iso, _ := newDateParser("", loc, true)
	dmy, _ := newDateParser("dd/mm/yyyy", loc, true)
	for _, c := range []struct {
		name   string
		p      *dateParser
		layout string
		text   string
	}{
		{"iso-date", iso, "2006-01-02", "2025-03-08"},
		{"dd-mm-yyyy", dmy, "02/01/2006", "08/03/2025"},
		{"iso-datetime-offset", iso, time.RFC3339, "2025-03-08T15:28:00+01:00"},
		{"iso-datetime-zulu", iso, time.RFC3339, "2025-07-01T23:30:00Z"},
		{"serial", iso, "", "45724.6375"},
		{"bad", dmy, "02/01/2006", "31/02/2025"},
	} {
		text := []byte(c.text)
		b.Run(c.name+"/dateParser", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.p.parseDateTime(text)
			}
		})
		if c.layout == "" {
			continue
		}
		b.Run(c.name+"/time.Parse", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				t, err := time.Parse(c.layout, c.text)
				if err == nil && c.layout == time.RFC3339 {
					t = t.In(loc) // the day in Brussels, as the parser gives
				}
				if err == nil {
					t.Date()
				}
			}
		})
	}
}

// FuzzDateParser checks that the parsers never panic, agree with each other
// and with time.Parse, and give back what they read.
func FuzzDateParser(f *testing.F) {
	for _, s := range []string{
		"2025-03-08", "2024-02-29", "2025-02-29", "2025-3-8", "0000-01-01", "9999-12-31",
		"2025-03-08T15:28:00+01:00", "2025-03-08T23:30:00Z", "2025-07-01T23:30:00Z",
		"2025-03-08T23:30:00.123456789-05:30", "2025-03-08 23:30", "2025-03-08t23:30:00z",
		"2025-03-08T20:00:00-0500", "2025-03-08T24:00:00Z", "2025-10-26T01:00:00Z",
		"45724", "45724.6375", "60", "0.5", "2958465", "45724.99999999",
		"08/03/2025", "8/3/2025", "31/02/2025", "32/01/2025", "08.03.2025", "03/2025",
		"08032025", "20250308", "08 03 2025", "abc", "", "-", "2025-03-08T", "1e5",
	} {
		f.Add(s)
	}
	loc := brusselsLocation(f)
	type parser struct {
		format, layout string
		serial         bool
		p              *dateParser
	}
	var parsers []parser
	for _, format := range []string{"", "dd/mm/yyyy", "dd.mm.yyyy", "mm/yyyy", "yyyymmdd", "ddmmyyyy", "dd mm yyyy", "yyyy-mm"} {
		layout, err := dateLayout(format)
		if err != nil {
			f.Fatal(err)
		}
		for _, serial := range []bool{false, true} {
			p, err := newDateParser(format, loc, serial)
			if err != nil {
				f.Fatal(err)
			}
			parsers = append(parsers, parser{format, layout, serial, p})
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, ps := range parsers {
			day, minute, code := ps.p.parseDateTime([]byte(text))
			if d2, c2 := ps.p.parse([]byte(text)); d2 != day || c2 != code {
				t.Fatalf("%q %q: parse %v %q, parseDateTime %v %q", ps.format, text, d2, c2, day, code)
			}
			switch code {
			case "":
				if minute < -1 || minute >= 1440 {
					t.Fatalf("%q %q: minute %d", ps.format, text, minute)
				}
			case ProblemDate, problemDateInvalid:
				if day != 0 || minute != -1 {
					t.Fatalf("%q %q: %q with day %v minute %d", ps.format, text, code, day, minute)
				}
			default:
				t.Fatalf("%q %q: code %q", ps.format, text, code)
			}

			// time.Parse reads two-digit fields only: what it accepts, the
			// parser reads the same, and the parser accepts no more of
			// those.
			tp, err := time.Parse(ps.layout, text)
			if err == nil {
				if code != "" || day != unixDay(tp) {
					t.Fatalf("%q %q: %v %q; time.Parse gives %v", ps.format, text, day, code, tp)
				}
			} else if code == "" && len(text) == len(ps.layout) && !strings.Contains(ps.format, " ") && !isSerialText(text, ps.serial) {
				t.Fatalf("%q %q: read as %v; time.Parse: %v", ps.format, text, day, err)
			}
			// A date read back gives the text, its fields zero-padded.
			if code == "" && ps.format == "" && len(text) == 10 && text[4] == '-' {
				if day.String() != text {
					t.Fatalf("%q: read as %v", text, day)
				}
			}

			if ps.format == "" {
				checkRFC3339(t, loc, text, day, minute, code)
			}
			if ps.serial && ps.format == "" {
				checkSerial(t, text, day, minute, code)
			}
		}
	})
}

func isSerialText(text string, serial bool) bool {
	_, _, _, ok := serialNumber([]byte(text))
	return serial && ok
}

// checkRFC3339 compares the day and minute of a date-time with those
// time.Parse gives.
func checkRFC3339(t *testing.T, loc *time.Location, text string, day Day, minute int, code string) {
	tp, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return
	}
	if n := len(text); code == problemDateInvalid && n > 6 && (text[n-6] == '+' || text[n-6] == '-') {
		if text[n-5:n-3] == "24" || text[n-2:] == "60" {
			return // time.Parse takes offsets up to +24:60; the parser up to +23:59
		}
	}
	lt := tp.In(loc)
	y, m, d := lt.Date()
	if code != "" || day != DayOf(y, m, d) || minute != lt.Hour()*60+lt.Minute() {
		t.Fatalf("%q: %v %d %q; time.Parse gives %v", text, day, minute, code, lt)
	}
}

// checkSerial compares the reading of a serial number with one computed
// from the float64 it is, which may differ by a second in rounding.
func checkSerial(t *testing.T, text string, day Day, minute int, code string) {
	whole, frac, found := strings.Cut(text, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || (found && (frac == "" || strings.Trim(frac, "0123456789") != "")) {
		if code == "" && !strings.Contains(text, "-") {
			t.Fatalf("%q: read as %v, but it is neither a date nor a serial", text, day)
		}
		return
	}
	if len(strings.TrimLeft(whole, "0")) > 7 {
		if code != problemDateInvalid {
			t.Fatalf("%q: %v %q, want %q", text, day, code, problemDateInvalid)
		}
		return
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		t.Fatal(err)
	}
	ref := int64(math.Round(v * secondsPerDay))
	valid := func(total int64) bool {
		serial := floorDiv64(total, secondsPerDay)
		return serial >= 1 && serial != 60 && serial <= excelMaxSerial
	}
	if code != "" {
		if code != problemDateInvalid || (valid(ref-1) && valid(ref) && valid(ref+1)) {
			t.Fatalf("%q: %q; the serial is %d seconds", text, code, ref)
		}
		return
	}
	serial := int64(day) + excelEpoch
	if serial < 61 {
		serial--
	}
	got := serial * secondsPerDay
	if minute >= 0 {
		got += int64(minute) * 60
	} else if found {
		t.Fatalf("%q: no minute", text)
	}
	for _, r := range []int64{ref - 1, ref, ref + 1} {
		if got == r-r%60 && valid(r) {
			return
		}
	}
	t.Fatalf("%q: %v at minute %d (serial %d seconds %d), want serial seconds %d", text, day, minute, serial, got, ref)
}
