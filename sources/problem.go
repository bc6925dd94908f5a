package sources

import (
	"fmt"
	"strings"
)

// Problem codes: what is wrong with a value, a row or a file. They let the
// product say it in French and Dutch; Reason.Message gives the English text.
// Messages never quote the value: pages and logs must not show what a
// rejected row holds.
const (
	ProblemRequired     = "required"       // no value where one is required
	ProblemDate         = "date"           // not a date written Detail
	ProblemDateInvalid  = "date_invalid"   // written right, but the day does not exist
	ProblemDateFuture   = "date_future"    // after the delivery day (Detail)
	ProblemDateEarly    = "date_early"     // before the source's start (Detail)
	ProblemTime         = "time"           // not a time of day
	ProblemInteger      = "integer"        // not a whole number
	ProblemNegative     = "negative"       // a count or measure below 0
	ProblemRange        = "range"          // outside the field's min/max (Detail)
	ProblemAge          = "age"            // not an age in years
	ProblemNumber       = "number"         // not a number
	ProblemBoolean      = "boolean"        // not yes or no
	ProblemPostcode     = "postcode"       // not a 4-digit postcode
	ProblemOutside      = "outside"        // a postcode or NIS code outside the Region
	ProblemNIS          = "nis"            // not a 5-digit NIS code
	ProblemUnmapped     = "unmapped"       // a value the field's code table does not list
	ProblemValue        = "value"          // a value outside the field's accepted values
	ProblemList         = "list"           // a list where one value is expected
	ProblemCells        = "cells"          // not as many cells as the header (Detail: "12/13")
	ProblemEncoding     = "encoding"       // text invalid in the declared encoding (Detail: byte offset)
	ProblemFieldTooLong = "field_too_long" // a value over max_field_bytes (Detail: the limit)
	ProblemLineTooLong  = "line_too_long"  // a line over max_line_bytes (Detail: the limit)
	ProblemDuplicateID  = "duplicate_id"   // the same record id with other content (Detail: the other lines)
	ProblemColumn       = "column"         // a column missing from the header (Column)
	ProblemEmpty        = "empty"          // no header line
	ProblemSyntax       = "syntax"         // the file's syntax (CSV quotes, JSON): Detail says how
	ProblemSheet        = "sheet"          // the workbook or its sheet cannot be read as declared (Detail)
)

// Reason is one problem of a row or a file.
type Reason struct {
	Code string
	// Field is the canonical field (or measure), Column the file's column
	// or key; both empty for a problem of the whole row.
	Field, Column string
	// Detail is what the message needs besides the value: the expected
	// format, a limit, a byte offset, the other lines.
	Detail string
	// Value is the value read, cut to 256 bytes; for operators only.
	Value string
}

// Message is the English description of the reason, without the value.
func (r Reason) Message() string {
	var b strings.Builder
	switch {
	case r.Field != "" && r.Column != "" && r.Column != r.Field:
		fmt.Fprintf(&b, "field %s (column %q): ", r.Field, r.Column)
	case r.Field != "":
		fmt.Fprintf(&b, "field %s: ", r.Field)
	case r.Column != "" && r.Code != ProblemColumn:
		fmt.Fprintf(&b, "column %q: ", r.Column)
	}
	b.WriteString(englishProblem(r.Code, r.Column, r.Detail))
	return b.String()
}

// englishProblem is the English wording of a problem.
func englishProblem(code, column, detail string) string {
	switch code {
	case ProblemRequired:
		return "a value is required"
	case ProblemDate:
		return "not a date written " + detail
	case ProblemDateInvalid:
		return "this day does not exist"
	case ProblemDateFuture:
		return "a date after the delivery day (" + detail + ")"
	case ProblemDateEarly:
		return "a date before the source's start (" + detail + ")"
	case ProblemTime:
		return "not a time of day (HH:MM)"
	case ProblemInteger:
		return "not a whole number"
	case ProblemNegative:
		return "a count or measure below 0"
	case ProblemRange:
		return "outside the accepted range (" + detail + ")"
	case ProblemAge:
		return "not an age in years"
	case ProblemNumber:
		return "not a number"
	case ProblemBoolean:
		return "not yes or no (1/0, true/false, oui/non)"
	case ProblemPostcode:
		return "not a Belgian postcode (4 digits)"
	case ProblemOutside:
		return "not in the Brussels-Capital Region"
	case ProblemNIS:
		return "not a NIS code (5 digits)"
	case ProblemUnmapped:
		return "a value the field's code table does not list"
	case ProblemValue:
		return "not one of the accepted values (" + detail + ")"
	case ProblemList:
		return "a list where one value is expected"
	case ProblemCells:
		return "not as many cells as the header (" + detail + ")"
	case ProblemEncoding:
		return "invalid text in the declared encoding at byte " + detail
	case ProblemFieldTooLong:
		return "a value longer than " + detail + " bytes"
	case ProblemLineTooLong:
		return "a line longer than " + detail + " bytes"
	case ProblemDuplicateID:
		return "the same record id with other content on line " + detail
	case ProblemColumn:
		return fmt.Sprintf("column %q not found in the header", column)
	case ProblemEmpty:
		return "the file is empty: a header line is expected"
	case ProblemSheet:
		return "the workbook or its sheet cannot be read as declared: " + detail
	}
	return detail
}

// Rejected is a record set aside, with every reason.
type Rejected struct {
	Line int
	// Raw is the record as delivered, cut to 4 KiB, with person
	// identifiers already pseudonymised.
	Raw     string
	Reasons []Reason
}

// FileError is a problem that makes a whole file unreadable: a missing
// column, no header, an unknown sheet. It names the file and the line.
type FileError struct {
	File   string
	Line   int
	Reason Reason
	// Raw is the line concerned (the header), cut to 4 KiB.
	Raw string
}

func (e *FileError) Error() string {
	return fmt.Sprintf("sources: %s: line %d: %s", e.File, e.Line, e.Reason.Message())
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-4 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i]
}
