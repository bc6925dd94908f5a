package warehouse_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

// Migrations 0004 to 0006 rebuild treatment_demands with the TDI 3.0 items:
// the rows stored before are kept, their old codes turned into the new ones
// where they say the same thing, and each migration may run again.
func TestMigrationsTDI3KeepTheRowsStoredBefore(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	ctx := t.Context()
	// treatment_demands as migration 0002 made it.
	for _, stmt := range []string{"DROP TABLE treatment_demands", `CREATE TABLE treatment_demands (
		demand_date Date, centre_type String, previously_treated String, sex String, age Nullable(UInt8),
		postcode String, nis String, referral_source String, primary_drug String, route String, frequency String,
		age_first_use Nullable(UInt8), injecting String, opioid_substitution String, person_key FixedString(16),
		area_key String, record_key String, load_id UInt64, line UInt32
	) ENGINE = MergeTree() PARTITION BY toYear(demand_date) ORDER BY (demand_date, area_key)`} {
		if err := wh.Conn().Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	age := uint8(34)
	key := "0123456789abcdef"
	old := [][]any{
		{day, "outpatient", "yes", "M", &age, "1000", "21004", "gp", "heroin", "smoke", "4_6_week", &age, "never", "current", key, "21004", "", uint64(7), uint32(2)},
		{day, "prison", "no", "F", nil, "", "", "court_police", "inhalants", "sniff", "2_3_week", nil, "last_30_days", "ever", key, "04000", "", uint64(7), uint32(3)},
		{day, "", "", "", nil, "", "", "", "", "", "", nil, "", "", key, "04000", "", uint64(7), uint32(4)},
		{day, "gp", "unknown", "M", nil, "", "", "self_family_friends", "cocaine", "sniff", "daily", nil, "never", "never", key, "04000", "", uint64(8), uint32(2)},
	}
	if err := wh.InsertRows(ctx, "treatment_demands", []string{"demand_date", "centre_type", "previously_treated", "sex", "age",
		"postcode", "nis", "referral_source", "primary_drug", "route", "frequency", "age_first_use", "injecting",
		"opioid_substitution", "person_key", "area_key", "record_key", "load_id", "line"}, old); err != nil {
		t.Fatal(err)
	}
	// 0004 and 0005 run twice, as after a crash before they were recorded.
	for _, m := range []string{"0004_tdi3_copy.sql", "0004_tdi3_copy.sql", "0005_tdi3_rebuild.sql", "0005_tdi3_rebuild.sql",
		"0006_tdi3_drop_copy.sql"} {
		if err := wh.RerunMigration(ctx, m); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
	}
	rows, err := wh.Conn().Query(ctx, `SELECT load_id, line, toString(treatment_start), centre_type, previously_treated, sex,
		referral_source, living_with, living_with_children, living_where, nationality, labour_status, education,
		primary_drug, length(secondary_drugs), route, frequency, isNull(age_first_injection), injecting, opioid_substitution,
		ifNull(age, 0)
		FROM treatment_demands ORDER BY load_id, line`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type row struct {
		load                                                        uint64
		line                                                        uint32
		start, centre, treated, sex, referral                       string
		with, children, where, nationality, labour, education, drug string
		secondary                                                   uint64
		route, frequency                                            string
		noFirstInjection                                            uint8
		injecting, substitution                                     string
		age                                                         uint8
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.load, &r.line, &r.start, &r.centre, &r.treated, &r.sex, &r.referral, &r.with, &r.children,
			&r.where, &r.nationality, &r.labour, &r.education, &r.drug, &r.secondary, &r.route, &r.frequency,
			&r.noFirstInjection, &r.injecting, &r.substitution, &r.age); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Written by hand from the old rows above. 18.16 writes day 0 as
	// 0000-00-00, later releases as 1970-01-01.
	u := "unknown"
	want := []row{
		{7, 2, "", "outpatient", "previously", "M", "gp", u, u, u, u, u, u, "heroin", 0, "smoke", "4_6_days", 1, "never", "current", 34},
		{7, 3, "", "prison", "never", "F", "court_police", u, u, u, u, u, u, "volatile_inhalants", 0, "sniff", "2_3_days", 1, "last_30_days", "ever", 0},
		{7, 4, "", u, u, u, u, u, u, u, u, u, u, u, 0, u, u, 1, u, u, 0},
		{8, 2, "", "gp", u, "M", "self_family_friends", u, u, u, u, u, u, "cocaine", 0, "sniff", "daily", 1, "never", "never", 0},
	}
	for i := range got {
		if got[i].start == "0000-00-00" || got[i].start == "1970-01-01" {
			got[i].start = ""
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows after the migrations\n got %+v\nwant %+v", got, want)
	}
	var copies uint64
	if err := wh.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'treatment_demands_tdi3'").Scan(&copies); err != nil {
		t.Fatal(err)
	}
	if copies != 0 {
		t.Error("the copy treatment_demands_tdi3 outlives migration 0006")
	}
}
