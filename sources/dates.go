package sources

import (
	"fmt"
	"math"
	"time"
)

// Day is a calendar day, counted in days since 1970-01-01 (negative before):
// the number a ClickHouse Date column stores (as a UInt16, so from
// 1970-01-01 to 2149-06-06) and a Date32 column stores (as an Int32). Its
// conversions are integer arithmetic on the proleptic Gregorian calendar;
// they are exact for years -999999 to 999999.
type Day int32

// NoDay is the day stored for an optional date left empty: 1970-01-01, what
// a ClickHouse Date column holds by default.
const NoDay Day = 0

// DayOf returns the day of a date. Like time.Date, it normalises values out
// of their usual range: month 13 is January of the next year, day 0 the last
// day of the previous month.
func DayOf(year int, month time.Month, day int) Day {
	m := int(month) - 1
	year += floorDiv(m, 12)
	m = m - floorDiv(m, 12)*12 + 1
	return Day(daysFromCivil(year, m, 1) + day - 1)
}

// Date returns the year, month and day of month of d.
func (d Day) Date() (year int, month time.Month, day int) {
	y, m, dd := civilFromDays(int(d))
	return y, time.Month(m), dd
}

// Year returns the year of d.
func (d Day) Year() int {
	y, _, _ := civilFromDays(int(d))
	return y
}

// Month returns the month of d.
func (d Day) Month() time.Month {
	_, m, _ := civilFromDays(int(d))
	return time.Month(m)
}

// FirstOfMonth returns the first day of d's month.
func (d Day) FirstOfMonth() Day {
	_, _, dd := civilFromDays(int(d))
	return d - Day(dd-1)
}

// Time returns midnight UTC at the start of d, as the ClickHouse driver
// expects for a Date column.
func (d Day) Time() time.Time {
	return time.Unix(int64(d)*secondsPerDay, 0).UTC()
}

// String writes d as yyyy-mm-dd.
func (d Day) String() string {
	return string(d.AppendFormat(make([]byte, 0, 10)))
}

// AppendFormat appends d written yyyy-mm-dd to b. Years outside 0-9999 are
// written with as many digits as they need and a sign when negative.
func (d Day) AppendFormat(b []byte) []byte {
	y, m, dd := civilFromDays(int(d))
	if y < 0 || y > 9999 {
		b = fmt.Appendf(b, "%d", y)
	} else {
		b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	}
	return append(b, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+dd/10), byte('0'+dd%10))
}

const secondsPerDay = 86400

// daysFromCivil is Howard Hinnant's days_from_civil: the days since
// 1970-01-01 of a valid year, month (1-12) and day.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400 // [0, 399]
	mp := m - 3        // March is month 0: the leap day ends the year
	if mp < 0 {
		mp += 12
	}
	doy := (153*mp+2)/5 + d - 1            // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468
}

// civilFromDays is Howard Hinnant's civil_from_days, the inverse of
// daysFromCivil.
func civilFromDays(z int) (y, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], March first
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(m, y int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// problemDateInvalid is a date written in an accepted form whose day does
// not exist, such as 31/02/2025 (ProblemDate is a text in no accepted form).
const problemDateInvalid = ProblemDateInvalid

// Excel's 1900 date system: serial 1 is 1900-01-01 and serial 60 the
// 1900-02-29 that Lotus 1-2-3 invented; from serial 61 (1900-03-01) on, day
// = serial - excelEpoch. The largest serial Excel shows is 9999-12-31.
const (
	excelEpoch     = 25569 // serial of 1970-01-01
	excelLeapBug   = 60
	excelMaxSerial = 2958465
)

// dateParser reads the date cells of one source. It is not safe for
// concurrent use: a reader makes one per file (it caches the time zone
// offsets it has looked up).
//
// Without a format it reads yyyy-mm-dd and ISO 8601 date-times:
//
//	yyyy-mm-ddTHH:MM[:SS[.fff…]][Z|±HH:MM|±HHMM|±HH]
//
// with T or a space between the date and the time (T and Z in either case,
// a comma also accepted before the fraction, and as in time.Parse an hour
// of one digit). A date-time with an offset is
// an instant: its day is the calendar day of that instant in the parser's
// location (2025-03-08T23:30:00Z is 2025-03-09 in Brussels). A date-time
// without an offset is already local: its day is its date as written. The
// format "yyyy-mm-dd" reads the same.
//
// Another format, made of dd, mm, yyyy and separators (see dateLayout), is
// read exactly, a day defaulting to 1 when the format has no dd. In every
// format, a day or a month followed by a separator or ending the text may be
// written with one digit ("8/3/2025" with dd/mm/yyyy, "2025-3-8" by
// default): Excel and many programs drop the leading zero and nothing else
// can be meant. Fields written side by side (ddmmyyyy) take two digits, and
// a year always takes four. A space in a format matches a run of spaces, as
// time.Parse does. Such a format reads dates only: "08/03/2025 15:28" is not
// a date written dd/mm/yyyy.
//
// With acceptSerial, for the cells of spreadsheets, a text in no form of
// the format that is an Excel serial number (digits, and a fraction for a
// time of day: 45724 or 45724.6375, both 2025-03-08) is read in Excel's 1900
// date system. The serial is rounded to the second before its day is taken,
// so 45724.99999999 is 2025-03-09 00:00:00 as Excel shows it. Serials below
// 1, the nonexistent 60 (1900-02-29) and those above 2958465 (9999-12-31)
// are date_invalid. The 1904 date system is not read (see xlsxRows).
//
// Years run from 0000 to 9999; whether a day fits the column it is stored in
// is for the caller to check.
type dateParser struct {
	iso    bool         // yyyy-mm-dd and ISO 8601 date-times
	parts  []layoutPart // the format, when not iso
	serial bool
	forms  string // the accepted forms, for messages
	loc    *time.Location

	// The offset of loc for the instants in [zoneStart, zoneEnd): most
	// date-times of a file share one.
	zoneStart, zoneEnd, zoneOffset int64
}

// layoutPart is a field of a format, or the separator between two fields.
type layoutPart struct {
	field byte   // 'd', 'm' or 'y'; 0 for a separator
	sep   string // the separator
	short bool   // a day or month that may be written with one digit
}

// newDateParser returns the parser of a date_format ("" for the default);
// loc is the location of the days of date-times with an offset (nil: UTC).
func newDateParser(format string, loc *time.Location, acceptSerial bool) (*dateParser, error) {
	if _, err := dateLayout(format); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	p := &dateParser{serial: acceptSerial, loc: loc}
	if format == "" || format == "yyyy-mm-dd" {
		p.iso = true
		p.forms = "yyyy-mm-dd, ISO 8601 date-time"
		return p, nil
	}
	p.forms = format
	for i := 0; i < len(format); {
		switch {
		case hasPrefixAt(format, i, "yyyy"):
			p.parts = append(p.parts, layoutPart{field: 'y'})
			i += 4
		case hasPrefixAt(format, i, "dd"), hasPrefixAt(format, i, "mm"):
			p.parts = append(p.parts, layoutPart{field: format[i]})
			i += 2
		default:
			j := i
			for j < len(format) && !hasPrefixAt(format, j, "yyyy") && !hasPrefixAt(format, j, "dd") && !hasPrefixAt(format, j, "mm") {
				j++
			}
			p.parts = append(p.parts, layoutPart{sep: format[i:j]})
			i = j
		}
	}
	for i := range p.parts {
		f := p.parts[i].field
		p.parts[i].short = (f == 'd' || f == 'm') && (i+1 == len(p.parts) || p.parts[i+1].field == 0)
	}
	return p, nil
}

func hasPrefixAt(s string, i int, prefix string) bool {
	return len(s)-i >= len(prefix) && s[i:i+len(prefix)] == prefix
}

// acceptedForms names the accepted forms in messages, e.g. "dd/mm/yyyy":
// the Detail of ProblemDate.
func (p *dateParser) acceptedForms() string { return p.forms }

// parse returns the calendar day of a trimmed, non-empty text, or a problem
// code: ProblemDate for a text in no accepted form (acceptedForms says
// which), problemDateInvalid for a day that does not exist, such as
// 31/02/2025, 2025-02-29 or 2025-13-01.
func (p *dateParser) parse(text []byte) (day Day, code string) {
	day, _, code = p.parseDateTime(text)
	return day, code
}

// parseDateTime is parse that also returns the minute of the day (0-1439)
// of a text holding a time: an ISO 8601 date-time (in the parser's location
// when it has an offset) or an Excel serial with a fraction. minuteOfDay is
// -1 for a date alone.
func (p *dateParser) parseDateTime(text []byte) (day Day, minuteOfDay int, code string) {
	var matched bool
	if p.iso {
		day, minuteOfDay, code, matched = p.readISO(text)
	} else {
		day, code, matched = p.readLayout(text)
		minuteOfDay = -1
	}
	if !matched && p.serial {
		if d, m, c, ok := readSerial(text); ok {
			return d, m, c
		}
	}
	if code != "" {
		return 0, -1, code
	}
	return day, minuteOfDay, ""
}

// readLayout reads text with p's format; matched is false when text is not
// written in it.
func (p *dateParser) readLayout(text []byte) (day Day, code string, matched bool) {
	i := 0
	y, m, d := -1, -1, 1
	for _, part := range p.parts {
		switch part.field {
		case 0:
			var ok bool
			if i, ok = skipSeparator(text, i, part.sep); !ok {
				return 0, ProblemDate, false
			}
		case 'y':
			v, ok := digits(text, i, 4)
			if !ok {
				return 0, ProblemDate, false
			}
			y, i = v, i+4
		default:
			v, n := twoDigits(text, i, part.short)
			if n == 0 {
				return 0, ProblemDate, false
			}
			if part.field == 'd' {
				d = v
			} else {
				m = v
			}
			i += n
		}
	}
	if i != len(text) {
		return 0, ProblemDate, false
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return 0, problemDateInvalid, true
	}
	return Day(daysFromCivil(y, m, d)), "", true
}

// skipSeparator matches sep at text[i:], a space in sep matching one or
// more spaces.
func skipSeparator(text []byte, i int, sep string) (int, bool) {
	for j := 0; j < len(sep); {
		if sep[j] == ' ' {
			if i >= len(text) || text[i] != ' ' {
				return i, false
			}
			for i < len(text) && text[i] == ' ' {
				i++
			}
			for j < len(sep) && sep[j] == ' ' {
				j++
			}
			continue
		}
		if i >= len(text) || text[i] != sep[j] {
			return i, false
		}
		i++
		j++
	}
	return i, true
}

// digits reads exactly n digits at text[i:].
func digits(text []byte, i, n int) (int, bool) {
	if len(text)-i < n {
		return 0, false
	}
	v := 0
	for _, c := range text[i : i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// twoDigits reads a day or a month at text[i:]: two digits, or one when
// short and no digit follows. n is the number of digits read, 0 when the
// text has no such field there.
func twoDigits(text []byte, i int, short bool) (v, n int) {
	for n < 2 && i+n < len(text) && text[i+n] >= '0' && text[i+n] <= '9' {
		v = v*10 + int(text[i+n]-'0')
		n++
	}
	switch {
	case n == 2 && short && i+2 < len(text) && text[i+2] >= '0' && text[i+2] <= '9':
		return 0, 0 // three digits where one or two are expected
	case n == 2, n == 1 && short:
		return v, n
	}
	return 0, 0
}

// readISO reads yyyy-mm-dd and ISO 8601 date-times.
func (p *dateParser) readISO(text []byte) (day Day, minute int, code string, matched bool) {
	y, ok := digits(text, 0, 4)
	if !ok || len(text) < 5 || text[4] != '-' {
		return 0, -1, ProblemDate, false
	}
	m, n := twoDigits(text, 5, true)
	i := 5 + n
	if n == 0 || i >= len(text) || text[i] != '-' {
		return 0, -1, ProblemDate, false
	}
	d, n := twoDigits(text, i+1, true)
	if n == 0 {
		return 0, -1, ProblemDate, false
	}
	i += 1 + n
	valid := m >= 1 && m <= 12 && d >= 1 && d <= daysIn(m, y)
	if i == len(text) {
		if !valid {
			return 0, -1, problemDateInvalid, true
		}
		return Day(daysFromCivil(y, m, d)), -1, "", true
	}

	// The time: [Tt ]H[H]:MM[:SS[.fff…]]
	if c := text[i]; c != 'T' && c != 't' && c != ' ' {
		return 0, -1, ProblemDate, false
	}
	hh, n := twoDigits(text, i+1, true)
	i += 1 + n
	if n == 0 || i >= len(text) || text[i] != ':' {
		return 0, -1, ProblemDate, false
	}
	mm, ok := digits(text, i+1, 2)
	if !ok {
		return 0, -1, ProblemDate, false
	}
	i += 3
	ss := 0
	if i < len(text) && text[i] == ':' {
		if ss, ok = digits(text, i+1, 2); !ok {
			return 0, -1, ProblemDate, false
		}
		i += 3
		if i < len(text) && (text[i] == '.' || text[i] == ',') {
			j := i + 1
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
			if j == i+1 {
				return 0, -1, ProblemDate, false
			}
			i = j // the fraction of a second changes neither day nor minute
		}
	}
	valid = valid && hh <= 23 && mm <= 59 && ss <= 59

	// The offset: Z, ±HH:MM, ±HHMM, ±HH, or none.
	offset, hasOffset := 0, false
	if i < len(text) {
		switch c := text[i]; c {
		case 'Z', 'z':
			hasOffset = true
			i++
		case '+', '-':
			var oh int
			if oh, ok = digits(text, i+1, 2); !ok {
				return 0, -1, ProblemDate, false
			}
			i += 3
			om := 0
			if i < len(text) {
				if text[i] == ':' {
					i++
				}
				if om, ok = digits(text, i, 2); !ok {
					return 0, -1, ProblemDate, false
				}
				i += 2
			}
			valid = valid && oh <= 23 && om <= 59
			offset, hasOffset = (oh*60+om)*60, true
			if c == '-' {
				offset = -offset
			}
		default:
			return 0, -1, ProblemDate, false
		}
	}
	if i != len(text) {
		return 0, -1, ProblemDate, false
	}
	if !valid {
		return 0, -1, problemDateInvalid, true
	}
	days := daysFromCivil(y, m, d)
	if !hasOffset {
		return Day(days), hh*60 + mm, "", true
	}
	local := int64(days)*secondsPerDay + int64(hh*3600+mm*60+ss-offset)
	local += p.offsetAt(local)
	ld := floorDiv64(local, secondsPerDay)
	return Day(ld), int(local-ld*secondsPerDay) / 60, "", true
}

// offsetAt returns the offset of p.loc at an instant in Unix seconds.
func (p *dateParser) offsetAt(sec int64) int64 {
	if p.zoneStart <= sec && sec < p.zoneEnd {
		return p.zoneOffset
	}
	t := time.Unix(sec, 0).In(p.loc)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	p.zoneStart, p.zoneEnd, p.zoneOffset = math.MinInt64, math.MaxInt64, int64(off)
	if !start.IsZero() {
		p.zoneStart = start.Unix()
	}
	if !end.IsZero() {
		p.zoneEnd = end.Unix()
	}
	return p.zoneOffset
}

func floorDiv64(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// readSerial reads an Excel serial number. ok is false for a text of
// another form.
func readSerial(text []byte) (day Day, minute int, code string, ok bool) {
	whole, sec, fraction, ok := serialNumber(text)
	if !ok {
		return 0, -1, "", false
	}
	if sec == secondsPerDay {
		whole, sec = whole+1, 0
	}
	if whole < 1 || whole == excelLeapBug || whole > excelMaxSerial {
		return 0, -1, problemDateInvalid, true
	}
	days := whole - excelEpoch
	if whole < excelLeapBug {
		days++ // before Excel's 1900-02-29
	}
	minute = -1
	if fraction {
		minute = sec / 60
	}
	return Day(days), minute, "", true
}

// serialMinute reads the time of day of an Excel serial number, such as
// 0.6375 (15:18) in a cell formatted as a time: the minute of the day of
// its fraction, rounded to the second. ok is false for a text that is no
// serial number.
func serialMinute(text []byte) (minuteOfDay int, ok bool) {
	_, sec, _, ok := serialNumber(text)
	return sec % secondsPerDay / 60, ok
}

// serialNumber splits a serial number, digits optionally followed by a
// point and more digits, into its whole part (capped above excelMaxSerial)
// and its fraction in seconds of a day, rounded (86400 when it rounds up to
// the next day).
func serialNumber(text []byte) (whole, sec int, fraction, ok bool) {
	i := 0
	for i < len(text) && text[i] >= '0' && text[i] <= '9' {
		if whole <= excelMaxSerial {
			whole = whole*10 + int(text[i]-'0')
		}
		i++
	}
	if i == 0 {
		return 0, 0, false, false
	}
	if i == len(text) {
		return whole, 0, false, true
	}
	if text[i] != '.' {
		return 0, 0, false, false
	}
	// The first 15 digits of the fraction are far more than the second
	// needs, and exact in a float64.
	var num, den uint64 = 0, 1
	j := i + 1
	for j < len(text) && text[j] >= '0' && text[j] <= '9' {
		if den < 1e15 {
			num, den = num*10+uint64(text[j]-'0'), den*10
		}
		j++
	}
	if j == i+1 || j != len(text) {
		return 0, 0, false, false
	}
	return whole, int(math.Round(float64(num) / float64(den) * secondsPerDay)), true, true
}
