package sources

import (
	"fmt"
	"strings"
)

// Problem codes: what is wrong with a value or a file. They let the product
// say it in French and Dutch; RowError.Error gives the English text.
const (
	ProblemRequired = "required" // no value where one is required
	ProblemDate     = "date"     // Value is not a date written Detail
	ProblemTime     = "time"     // not a time of day
	ProblemInteger  = "integer"  // not a whole number of 0 or more
	ProblemAge      = "age"      // not an age in years
	ProblemNumber   = "number"   // not a number
	ProblemBoolean  = "boolean"  // not yes or no
	ProblemPostcode = "postcode" // not a 4-digit postcode
	ProblemNIS      = "nis"      // not a 5-digit NIS code
	ProblemCommune  = "commune"  // a NIS code outside the region
	ProblemList     = "list"     // a list where one value is expected
	ProblemColumn   = "column"   // Value is a column missing from the header (Detail)
	ProblemEmpty    = "empty"    // no header line
	ProblemSyntax   = "syntax"   // the file's syntax (CSV quotes, JSON): Detail says how
)

// valueError is a cell that cannot be read as its field's type.
type valueError struct {
	code, value, detail string
}

func (e *valueError) Error() string { return englishProblem(e.code, e.value, e.detail) }

// englishProblem is the English wording of a problem.
func englishProblem(code, value, detail string) string {
	switch code {
	case ProblemRequired:
		return "a value is required"
	case ProblemDate:
		return fmt.Sprintf("%q is not a date written %s", value, detail)
	case ProblemTime:
		return fmt.Sprintf("%q is not a time of day (HH:MM)", value)
	case ProblemInteger:
		return fmt.Sprintf("%q is not a whole number of 0 or more", value)
	case ProblemAge:
		return fmt.Sprintf("%q is not an age in years", value)
	case ProblemNumber:
		return fmt.Sprintf("%q is not a number", value)
	case ProblemBoolean:
		return fmt.Sprintf("%q is not yes or no (1/0, true/false, oui/non)", value)
	case ProblemPostcode:
		return fmt.Sprintf("%q is not a Belgian postcode (4 digits)", value)
	case ProblemNIS:
		return fmt.Sprintf("%q is not a NIS code (5 digits)", value)
	case ProblemCommune:
		return fmt.Sprintf("%q is not a commune of the region", value)
	case ProblemList:
		return "a list where one value is expected"
	case ProblemColumn:
		return fmt.Sprintf("column %q not found in the header (%s)", value, detail)
	case ProblemEmpty:
		return "the file is empty: a header line is expected"
	}
	return detail
}

// RowError is a value that could not be read: it names the file, the line and
// the field, so the person who delivered the file can correct it.
type RowError struct {
	File string
	Line int
	// Field names the field in messages, with its column when read from
	// one: `period (column "Période")`; empty for a problem of the file's
	// structure.
	Field string
	// Name is the canonical field and Column the file's column or key.
	Name, Column string
	// Code says what is wrong (Problem*), Value the value read, Detail the
	// expected format or the parser's words.
	Code, Value, Detail string
	// Message is the English description.
	Message string
}

func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString("sources: ")
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	fmt.Fprintf(&b, "line %d: ", e.Line)
	if e.Field != "" {
		b.WriteString("field " + e.Field + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// rowProblem builds a RowError from a code.
func rowProblem(line int, code, value, detail string) *RowError {
	return &RowError{Line: line, Code: code, Value: value, Detail: detail, Message: englishProblem(code, value, detail)}
}
