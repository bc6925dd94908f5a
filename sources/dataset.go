// Package sources reads delivered files (CSV, JSON Lines) into the canonical
// datasets the warehouse stores. A source is declared by an operator in the
// configuration: where its files are, how they are written, and which column
// feeds which canonical field.
package sources

import (
	"fmt"
	"sort"
	"strings"
)

// FieldType is the canonical type of a dataset field; it says how a cell is
// parsed and which Go value the warehouse receives.
type FieldType string

const (
	String   FieldType = "string"   // string
	Date     FieldType = "date"     // time.Time (UTC midnight)
	Month    FieldType = "month"    // time.Time, first day of the month
	Clock    FieldType = "time"     // string "HH:MM"
	Int      FieldType = "integer"  // uint32, empty = 0
	Age      FieldType = "age"      // *uint8, empty = unknown
	Decimal  FieldType = "decimal"  // float64
	Bool     FieldType = "boolean"  // uint8 0/1
	List     FieldType = "list"     // []string
	Person   FieldType = "person"   // 16-byte pseudonym, from the raw identifier at ingest
	Postcode FieldType = "postcode" // string, 4 digits in the Region, or a region-only marker
	NIS      FieldType = "nis"      // string, 5 digits, empty = from postcode
	RecordID FieldType = "record"   // the delivery's record id, stored as a keyed hash
)

// RecordIDField is the canonical field every dataset has for the record id
// a source may declare: within a source, rows with the same id count once,
// the latest delivery winning.
const RecordIDField = "record_id"

// Field is one canonical field of a dataset.
type Field struct {
	Name     string
	Type     FieldType
	Required bool
	Doc      string
}

// Dataset is a canonical dataset: what its rows mean and which table holds
// them. Every dataset with a postcode also stores the resolved commune (nis)
// and area key, and every row carries its load id, source and line.
type Dataset struct {
	Name  string
	Table string
	Doc   string
	// DateField dates a row: deliveries are replaced month by month of it.
	DateField string
	Fields    []Field
	// Measures is true when a source lists measure columns, each file row
	// becoming one stored row per measure (columns measure and value).
	Measures bool
	// Stock is true when rows describe a state at their date (an
	// inventory) rather than events: a period shows the latest state
	// dated before its end, never a sum over dates.
	Stock bool
	// Virtual is true for a dataset bassins computes rather than receives
	// (Deliveries): no source feeds it and no table stores it (Table is "").
	Virtual bool
}

// Deliveries names the virtual dataset of the deliveries owed and received,
// per source and period, as package pipeline/completeness computes them.
const Deliveries = "deliveries"

// Field returns the named field.
func (d *Dataset) Field(name string) (Field, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Columns returns the stored columns in the order of a Block's columns: the
// fields (the record id stored as record_key), the area key of located
// datasets, measure and value, then the load id and the file line.
func (d *Dataset) Columns() []string {
	var cols []string
	for _, f := range d.Fields {
		if f.Type == RecordID {
			continue
		}
		cols = append(cols, f.Name)
	}
	if d.located() {
		cols = append(cols, "area_key")
	}
	if d.Measures {
		cols = append(cols, "measure", "value")
	}
	return append(cols, "record_key", "load_id", "line")
}

var datasets = map[string]*Dataset{}

// Register adds a dataset; a duplicate name panics at start-up.
func Register(d *Dataset) {
	if _, dup := datasets[d.Name]; dup {
		panic("sources: dataset registered twice: " + d.Name)
	}
	if f, ok := d.Field(d.DateField); !ok || (f.Type != Date && f.Type != Month) {
		panic("sources: dataset " + d.Name + " has no date field " + d.DateField)
	}
	if d.Virtual != (d.Table == "") {
		panic("sources: dataset " + d.Name + ": a virtual dataset, and only one, has no table")
	}
	if _, ok := d.Field(RecordIDField); !ok && !d.Virtual {
		d.Fields = append(d.Fields, Field{RecordIDField, RecordID, false,
			"the record's id in the delivery: within a source, one id counts once, the latest delivery winning"})
	}
	datasets[d.Name] = d
}

// LookupDataset returns a registered dataset.
func LookupDataset(name string) (*Dataset, bool) {
	d, ok := datasets[name]
	return d, ok
}

// DatasetNames lists the registered datasets, sorted.
func DatasetNames() []string {
	var names []string
	for n := range datasets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DeliveredDatasetNames lists the registered datasets sources can feed (not
// virtual), sorted.
func DeliveredDatasetNames() []string {
	var names []string
	for _, d := range Datasets() {
		if !d.Virtual {
			names = append(names, d.Name)
		}
	}
	return names
}

// Datasets returns the registered datasets sorted by name, virtual ones
// included.
func Datasets() []*Dataset {
	var out []*Dataset
	for _, n := range DatasetNames() {
		out = append(out, datasets[n])
	}
	return out
}

// located reports whether rows have a place: a postcode and a commune.
func (d *Dataset) located() bool {
	_, ok := d.Field("postcode")
	return ok
}

// Describe documents a dataset's fields, for `bassins check --datasets` and
// the README.
func (d *Dataset) Describe() string {
	var b strings.Builder
	if d.Virtual {
		fmt.Fprintf(&b, "%s (computed by bassins, not delivered: no source feeds it): %s\n", d.Name, d.Doc)
	} else {
		fmt.Fprintf(&b, "%s (table %s): %s\n", d.Name, d.Table, d.Doc)
	}
	for _, f := range d.Fields {
		req := ""
		if f.Required {
			req = ", required"
		}
		fmt.Fprintf(&b, "  %-22s %s%s: %s\n", f.Name, f.Type, req, f.Doc)
	}
	if d.Measures {
		b.WriteString("  (measures)             each listed measure column becomes a row (measure, value)\n")
	}
	return b.String()
}

func init() {
	Register(&Dataset{Name: "contacts", Table: "contacts", DateField: "contact_date",
		Doc: "mobile outreach teams' contacts, one row per contact",
		Fields: []Field{
			{"contact_date", Date, true, "day of the contact"},
			{"contact_time", Clock, false, "time of the contact, HH:MM"},
			{"team", String, true, "team that made the contact"},
			{"place_type", String, false, "street, shelter, hotel, home…"},
			{"postcode", Postcode, true, "postcode of the place, or a marker (no fixed address, unknown): Region level only"},
			{"nis", NIS, false, "commune NIS code; from the postcode when absent"},
			{"person_key", Person, true, "identifier of the person, pseudonymised at ingest"},
			{"poles", List, false, "poles involved: medical, psychological, social, harm_reduction"},
			{"referral", Bool, false, "whether the person was referred"},
			{"referral_destination", String, false, "where the person was referred"},
			{"syringes", Int, false, "syringes handed out"},
			{"kits", Int, false, "kits handed out"},
			{"naloxone", Int, false, "naloxone doses handed out"},
		}})
	Register(&Dataset{Name: "federation_activity", Table: "federation_activity", DateField: "period", Measures: true,
		Doc: "federations' periodic activity exports, one row per service, month and measure",
		Fields: []Field{
			{"period", Month, true, "month of the activity"},
			{"federation", String, true, "federation delivering the export"},
			{"service_id", String, true, "service code"},
			{"service_name", String, false, "service name"},
			{"postcode", Postcode, true, "postcode of the service"},
			{"nis", NIS, false, "commune NIS code; from the postcode when absent"},
		}})
	Register(&Dataset{Name: "services", Table: "services", DateField: "reference_date", Stock: true,
		Doc: "the inventory of the care offer (inventaire de l'offre), one row per service and reference date",
		Fields: []Field{
			{"service_id", String, true, "service code"},
			{"name", String, false, "service name"},
			{"service_type", String, true, "type of service"},
			{"federation", String, false, "federation the service belongs to"},
			{"address", String, false, "street address"},
			{"postcode", Postcode, true, "postcode of the service"},
			{"nis", NIS, false, "commune NIS code; from the postcode when absent"},
			{"reference_date", Date, true, "date the inventory describes"},
		}})
	Register(&Dataset{Name: "treatment_demands", Table: "treatment_demands", DateField: "demand_date",
		Doc: "treatment demands (TDI protocol 3.0), one row per person entering treatment",
		Fields: []Field{
			{"demand_date", Date, true, "date of the treatment demand"},
			{"centre_type", String, false, "outpatient, inpatient, prison, gp, low_threshold, other"},
			{"previously_treated", String, false, "yes, no, unknown"},
			{"sex", String, false, "M, F, unknown"},
			{"age", Age, false, "age in years; empty when unknown"},
			{"postcode", Postcode, false, "postcode of residence; empty or a marker (no fixed address, unknown): Region level only"},
			{"nis", NIS, false, "commune NIS code; from the postcode when absent"},
			{"referral_source", String, false, "source of referral"},
			{"primary_drug", String, false, "primary drug (TDI 3.0 categories)"},
			{"route", String, false, "route of administration"},
			{"frequency", String, false, "frequency of use in the last 30 days"},
			{"age_first_use", Age, false, "age at first use; empty when unknown"},
			{"injecting", String, false, "never, last_30_days, last_12_months, over_12_months, unknown"},
			{"opioid_substitution", String, false, "never, ever, current, unknown"},
			{"person_key", Person, true, "identifier of the person, pseudonymised at ingest"},
		}})
	Register(&Dataset{Name: Deliveries, DateField: "period", Virtual: true,
		Doc: "the deliveries each source owes (its expected key): one row per source and period from its first, " +
			"whether it was owed (its due date has passed), received and received on time",
		Fields: []Field{
			{"period", Month, false, "first month of the period owed (a month, quarter or year)"},
			{"source", String, false, "source owing the delivery"},
			{"dataset", String, false, "dataset the source feeds"},
			{"expected", Int, false, "1 when the delivery is owed: its due date has passed, or it was received"},
			{"received", Int, false, "1 when rows of the period arrived"},
			{"on_time", Int, false, "1 when they arrived by the end of the due day, in the configured time zone"},
		}})
}
