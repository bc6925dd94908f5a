package warehouse_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
	"github.com/brusano/bassins/sources"
)

// insertCase is a small delivery of one dataset, read into blocks of two
// rows.
type insertCase struct {
	spec sources.Spec
	csv  string
	rows int // rows stored
}

var insertCases = []insertCase{
	{
		spec: sources.Spec{Name: "team", Format: "csv", Dataset: "contacts", Delimiter: ";",
			Fields: sources.Columns(map[string]string{"contact_date": "date", "contact_time": "time", "team": "team",
				"place_type": "place", "postcode": "postcode", "person_key": "person", "poles": "poles",
				"referral": "referral", "referral_destination": "to", "syringes": "syringes", "kits": "kits",
				"naloxone": "naloxone", "record_id": "id"})},
		csv: "date;time;team;place;postcode;person;poles;referral;to;syringes;kits;naloxone;id\n" +
			"2025-01-03;09:15;MASS;rue;1000;A-1;medical|social;1;CPAS;10;2;0;r1\n" +
			"2025-01-04;;Lama;\"hôtel; centre\";1070;a-2;;0;;0;0;1;r2\n" +
			"2025-01-05;23:59:00;Transit;gare;SDF;A-1;harm_reduction;oui;;3;0;0;\n" +
			"2025-01-06;10:00;MASS;rue;7000;A-3;;0;;1;1;1;r4\n" + // outside the Region: quarantined
			"2025-02-01;10:00;MASS;rue;1030;;medical;0;;1;1;1;r5\n" + // no person: quarantined
			"2025-02-02;07:05;MASS;squat;1210;B-9;psychological|medical|social;0;;1;1;1;r6\n",
		rows: 4,
	},
	{
		spec: sources.Spec{Name: "tdi", Format: "csv", Dataset: "treatment_demands", Delimiter: ",",
			Fields: sources.Columns(map[string]string{"demand_date": "date", "sex": "sex", "age": "age",
				"postcode": "postcode", "nis": "nis", "person_key": "person", "age_first_use": "first"})},
		csv: "date,sex,age,postcode,nis,person,first\n" +
			"2024-03-01,F,34,1080,,P1,\n" +
			"2024-03-02,M,,,21001,P2,unknown\n" +
			"2024-03-03,unknown,120,1000,,P3,15\n",
		rows: 3,
	},
	{
		spec: sources.Spec{Name: "fedito", Format: "csv", Dataset: "federation_activity", Delimiter: ";",
			DecimalComma: true, DateFormat: "dd/mm/yyyy",
			Fields: sources.Columns(map[string]string{"period": "Période", "service_id": "Code",
				"service_name": "Nom", "postcode": "CP"}),
			Constants: map[string]string{"federation": "fedito"},
			Measures:  map[string]string{"consultations": "Consultations", "hours": "Heures"}},
		csv: "Période;Code;Nom;CP;Consultations;Heures\n" +
			"15/03/2024;S01;Centre Évasion;1020;120;152,5\n" +
			"01/03/2024;S02;Le Pont;1060;;\n" + // no measure: no row
			"31/03/2024;S03;Réseau;1040;8;\n",
		rows: 3,
	},
	{
		spec: sources.Spec{Name: "offer", Format: "csv", Dataset: "services", Delimiter: ";",
			Fields: sources.Columns(map[string]string{"service_id": "id", "name": "name", "service_type": "type",
				"postcode": "postcode", "reference_date": "date"})},
		csv: "id;name;type;postcode;date\n" +
			"S1;Un;outpatient;1050;2025-01-01\n" +
			"S2;Deux;inpatient;1000;2025-01-01\n",
		rows: 2,
	},
}

// TestBlocksInsertedReadBackAsTheyWereRead inserts the blocks of every
// dataset, spread over several statements, and reads the tables back.
func TestBlocksInsertedReadBackAsTheyWereRead(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	defer warehouse.SetInsertBatch(1)() // a statement per block of two rows
	env := insertEnv(t)
	for _, tc := range insertCases {
		t.Run(tc.spec.Dataset, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "delivery.csv")
			if err := os.WriteFile(path, []byte(tc.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			d, _ := sources.LookupDataset(tc.spec.Dataset)
			ins, err := wh.BeginInsert(t.Context(), d.Table, d.Columns())
			if err != nil {
				t.Fatal(err)
			}
			var want [][]any
			_, err = sources.Read(t.Context(), &tc.spec, path, env, 2, sources.Sink{
				Rows: func(b *sources.Block) error {
					defer b.Done()
					want = append(want, blockRows(b)...)
					return ins.Write(b)
				},
				Reject: func(sources.Rejected) error { return nil },
			})
			if err != nil {
				ins.Abort()
				t.Fatal(err)
			}
			if err := ins.Close(); err != nil {
				t.Fatal(err)
			}
			if len(want) != tc.rows {
				t.Fatalf("read %d rows, want %d", len(want), tc.rows)
			}
			got := readBack(t, wh, d)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rows read back:\n%v\nwant\n%v", got, want)
			}
		})
	}
}

func TestAnInsertIntoAMissingTableIsRefusedByTheServer(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	_, err := wh.BeginInsert(t.Context(), "no_such_table", []string{"a"})
	var se *warehouse.ServerError
	if !errors.As(err, &se) || !strings.Contains(se.Message, "no_such_table") {
		t.Fatalf("BeginInsert into a missing table: %v, want the server's error naming the table", err)
	}
}

func TestAnInsertOfTheWrongColumnsIsRefused(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	d, _ := sources.LookupDataset("contacts")
	ins, err := wh.BeginInsert(t.Context(), "services", []string{"service_id", "name"})
	if err != nil {
		t.Fatal(err)
	}
	defer ins.Abort()
	if err := ins.Write(oneBlock(t, d)); err == nil {
		t.Fatal("a contacts block was written to services")
	}
}

func insertEnv(t *testing.T) sources.Env {
	t.Helper()
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	return sources.Env{
		Pseudonymise: func(dataset string, raw []byte) [16]byte {
			var k [16]byte
			copy(k[:], strings.ToUpper(dataset+":"+string(raw)))
			return k
		},
		RecordKey:  func(source string, id []byte) string { return source + ":" + string(id) },
		Locate:     g.ResolveNIS,
		AreaKey:    geography.AreaKey,
		RegionOnly: geography.RegionOnlyKey,
		LoadID:     7,
		Delivered:  time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		Location:   time.UTC,
	}
}

// oneBlock reads a one-row contacts delivery.
func oneBlock(t *testing.T, d *sources.Dataset) *sources.Block {
	t.Helper()
	path := filepath.Join(t.TempDir(), "one.csv")
	tc := insertCases[0]
	if err := os.WriteFile(path, []byte(strings.Join(strings.SplitN(tc.csv, "\n", 3)[:2], "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	var block *sources.Block
	if _, err := sources.Read(t.Context(), &tc.spec, path, insertEnv(t), 10, sources.Sink{
		Rows:   func(b *sources.Block) error { block = b; return nil },
		Reject: func(sources.Rejected) error { return nil },
	}); err != nil || block == nil || block.Dataset != d {
		t.Fatalf("reading one row: %v", err)
	}
	return block
}

// blockRows returns a block's rows as the warehouse gives them back.
func blockRows(b *sources.Block) [][]any {
	rows := make([][]any, b.Len())
	for _, col := range b.Values() {
		v := reflect.ValueOf(col)
		for r := range rows {
			x := v.Index(r).Interface()
			switch y := x.(type) {
			case []byte:
				x = string(y)
			case *uint8:
				if y != nil {
					x = *y
				} else {
					x = nil
				}
			}
			rows[r] = append(rows[r], x)
		}
	}
	return rows
}

// readBack reads a dataset's table in file order.
func readBack(t *testing.T, wh *warehouse.Warehouse, d *sources.Dataset) [][]any {
	t.Helper()
	cols := d.Columns()
	order := "line"
	if slices.Contains(cols, "measure") {
		order = "line, measure"
	}
	rows, err := wh.Conn().Query(t.Context(), "SELECT "+strings.Join(cols, ", ")+" FROM "+d.Table+" ORDER BY "+order)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		dest := make([]any, len(cols))
		for i, ct := range rows.ColumnTypes() {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		row := make([]any, len(cols))
		for i, p := range dest {
			v := reflect.ValueOf(p).Elem().Interface()
			switch y := v.(type) {
			case time.Time:
				v = time.Date(y.Year(), y.Month(), y.Day(), 0, 0, 0, 0, time.UTC)
			case *uint8:
				if y != nil {
					v = *y
				} else {
					v = nil
				}
			}
			row[i] = v
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The rows of a block are sent in the order of their table's key, which
// must be the one the migrations give the table.
func TestInsertsOrderRowsByTheKeyOfTheirTable(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	for table, key := range warehouse.SortingKeys {
		var create string
		if err := wh.Conn().QueryRow(t.Context(), "SHOW CREATE TABLE "+table).Scan(&create); err != nil {
			t.Fatal(err)
		}
		if want := "ORDER BY (" + strings.Join(key, ", ") + ")"; !strings.Contains(create, want) {
			t.Errorf("table %s is not ordered by %v: %s", table, key, create)
		}
	}
}
