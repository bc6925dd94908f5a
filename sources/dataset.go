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
	// Codes, for a text or list field, are the only values stored: a value
	// outside them (after the source's map) is quarantined, compared without
	// case and stored as the code is written here. When the codes hold
	// Unknown, an empty cell is stored as Unknown, so that counts by code add
	// up to the rows.
	Codes []string
}

// Unknown is the code of a coded field whose value is not known.
const Unknown = "unknown"

// Code returns the code of the field that text is, compared without case.
func (f *Field) Code(text string) (string, bool) {
	for _, c := range f.Codes {
		if strings.EqualFold(c, text) {
			return c, true
		}
	}
	return "", false
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
		d.Fields = append(d.Fields, Field{Name: RecordIDField, Type: RecordID,
			Doc: "the record's id in the delivery: within a source, one id counts once, the latest delivery winning"})
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

// Describe documents a dataset's fields and their codes, for `bassins datasets` and
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
		if len(f.Codes) > 0 {
			fmt.Fprintf(&b, "  %-22s codes: %s\n", "", strings.Join(f.Codes, ", "))
		}
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
			{Name: "contact_date", Type: Date, Required: true, Doc: "day of the contact"},
			{Name: "contact_time", Type: Clock, Required: false, Doc: "time of the contact, HH:MM"},
			{Name: "team", Type: String, Required: true, Doc: "team that made the contact"},
			{Name: "place_type", Type: String, Required: false, Doc: "street, shelter, hotel, home…"},
			{Name: "postcode", Type: Postcode, Required: true, Doc: "postcode of the place, or a marker (no fixed address, unknown): Region level only"},
			{Name: "nis", Type: NIS, Required: false, Doc: "commune NIS code; from the postcode when absent"},
			{Name: "person_key", Type: Person, Required: true, Doc: "identifier of the person, pseudonymised at ingest"},
			{Name: "poles", Type: List, Required: false, Doc: "poles involved: medical, psychological, social, harm_reduction"},
			{Name: "referral", Type: Bool, Required: false, Doc: "whether the person was referred"},
			{Name: "referral_destination", Type: String, Required: false, Doc: "where the person was referred"},
			{Name: "syringes", Type: Int, Required: false, Doc: "syringes handed out"},
			{Name: "kits", Type: Int, Required: false, Doc: "kits handed out"},
			{Name: "naloxone", Type: Int, Required: false, Doc: "naloxone doses handed out"},
		}})
	Register(&Dataset{Name: "federation_activity", Table: "federation_activity", DateField: "period", Measures: true,
		Doc: "federations' periodic activity exports, one row per service, month and measure",
		Fields: []Field{
			{Name: "period", Type: Month, Required: true, Doc: "month of the activity"},
			{Name: "federation", Type: String, Required: true, Doc: "federation delivering the export"},
			{Name: "service_id", Type: String, Required: true, Doc: "service code"},
			{Name: "service_name", Type: String, Required: false, Doc: "service name"},
			{Name: "postcode", Type: Postcode, Required: true, Doc: "postcode of the service"},
			{Name: "nis", Type: NIS, Required: false, Doc: "commune NIS code; from the postcode when absent"},
		}})
	Register(&Dataset{Name: "services", Table: "services", DateField: "reference_date", Stock: true,
		Doc: "the inventory of the care offer (inventaire de l'offre), one row per service and reference date",
		Fields: []Field{
			{Name: "service_id", Type: String, Required: true, Doc: "service code"},
			{Name: "name", Type: String, Required: false, Doc: "service name"},
			{Name: "service_type", Type: String, Required: true, Doc: "type of service"},
			{Name: "federation", Type: String, Required: false, Doc: "federation the service belongs to"},
			{Name: "address", Type: String, Required: false, Doc: "street address"},
			{Name: "postcode", Type: Postcode, Required: true, Doc: "postcode of the service"},
			{Name: "nis", Type: NIS, Required: false, Doc: "commune NIS code; from the postcode when absent"},
			{Name: "reference_date", Type: Date, Required: true, Doc: "date the inventory describes"},
		}})
	Register(&Dataset{Name: "treatment_demands", Table: "treatment_demands", DateField: "demand_date",
		Doc: "treatment demands (TDI protocol 3.0), one row per person entering treatment; an empty coded cell is stored as unknown",
		Fields: []Field{
			{Name: "demand_date", Type: Date, Required: true, Doc: "date of the treatment demand"},
			{Name: "treatment_start", Type: Date, Doc: "date treatment started; stored as 1970-01-01 (sources.NoDay) when not known"},
			{Name: "centre_type", Type: String, Doc: "type of treatment centre", Codes: TDICentreTypes},
			{Name: "previously_treated", Type: String, Doc: "ever treated for drug use before", Codes: TDIPreviouslyTreated},
			{Name: "sex", Type: String, Doc: "sex", Codes: []string{"M", "F", Unknown}},
			{Name: "age", Type: Age, Doc: "age in years; empty when unknown"},
			{Name: "postcode", Type: Postcode, Doc: "postcode of residence; empty or a marker (no fixed address, unknown): Region level only"},
			{Name: "nis", Type: NIS, Doc: "commune NIS code; from the postcode when absent"},
			{Name: "referral_source", Type: String, Doc: "source of referral", Codes: TDIReferralSources},
			{Name: "living_with", Type: String, Doc: "with whom the person lives", Codes: TDILivingWith},
			{Name: "living_with_children", Type: String, Doc: "lives with children (own or a partner's)", Codes: TDIYesNo},
			{Name: "living_where", Type: String, Doc: "where the person lives: stable or unstable accommodation, an institution (prison, clinic)", Codes: TDILivingWhere},
			{Name: "nationality", Type: String, Doc: "nationality", Codes: TDINationalities},
			{Name: "labour_status", Type: String, Doc: "labour status", Codes: TDILabourStatus},
			{Name: "education", Type: String, Doc: "highest level of education completed", Codes: TDIEducation},
			{Name: "primary_drug", Type: String, Doc: "primary drug (TDI 3.0 categories; pregabalin is other_hypnotics)", Codes: TDIDrugs},
			{Name: "secondary_drugs", Type: List, Doc: "secondary drugs, codes of primary_drug", Codes: TDIDrugs},
			{Name: "route", Type: String, Doc: "usual route of administration of the primary drug", Codes: TDIRoutes},
			{Name: "frequency", Type: String, Doc: "frequency of use of the primary drug in the last 30 days", Codes: TDIFrequencies},
			{Name: "age_first_use", Type: Age, Doc: "age at first use of the primary drug; empty when unknown"},
			{Name: "age_first_injection", Type: Age, Doc: "age at first injection of any drug; empty when unknown or never injected"},
			{Name: "injecting", Type: String, Doc: "injecting of any drug, last time", Codes: TDIInjecting},
			{Name: "opioid_substitution", Type: String, Doc: "opioid substitution treatment", Codes: TDISubstitution},
			{Name: "person_key", Type: Person, Required: true, Doc: "identifier of the person, pseudonymised at ingest"},
		}})
	Register(&Dataset{Name: Deliveries, DateField: "period", Virtual: true,
		Doc: "the deliveries each source owes (its expected key): one row per source and period from its first, " +
			"whether it was owed (its due date has passed), received and received on time",
		Fields: []Field{
			{Name: "period", Type: Month, Doc: "first month of the period owed (a month, quarter or year)"},
			{Name: "source", Type: String, Doc: "source owing the delivery"},
			{Name: "dataset", Type: String, Doc: "dataset the source feeds"},
			{Name: "expected", Type: Int, Doc: "1 when the delivery is owed: its due date has passed, or it was received"},
			{Name: "received", Type: Int, Doc: "1 when rows of the period arrived"},
			{Name: "on_time", Type: Int, Doc: "1 when they arrived by the end of the due day, in the configured time zone"},
		}})
}
