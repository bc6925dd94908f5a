package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOperatorCommands drives the commands an operator uses on a delivery
// with a bad row: the dry run, the list of loads, the quarantine and a
// withdrawal.
func TestOperatorCommands(t *testing.T) {
	dir := t.TempDir()
	cfgPath := testConfig(t, dir)
	var body strings.Builder
	for i := range 12 {
		fmt.Fprintf(&body, `{"date":"2025-03-%02d","team":"COMBO","postcode":"1000","person":"P-%d","syringes":1}`+"\n", i+1, i)
	}
	// Line 13: a name and a national number typed into the date.
	body.WriteString(`{"date":"Jean Dupont 85.07.30-033.61","team":"COMBO","postcode":"1000","person":"P-X","syringes":1}` + "\n")
	file := filepath.Join(dir, "var", "inbox", "mobile-teams", "combo-2025-03.jsonl")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Run(t.Context(), append(args, "--config", cfgPath), &stdout, &stderr); code != exitOK {
			t.Fatalf("bassins %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
		}
		if strings.Contains(stderr.String(), "Dupont") {
			t.Errorf("bassins %s logged a rejected value:\n%s", strings.Join(args, " "), stderr.String())
		}
		return stdout.String()
	}

	dry := run("sources", "check", "combo", "--file", file)
	for _, want := range []string{"13 rows read, 12 would load", "line 13: field contact_date", "1 quarantined"} {
		if !strings.Contains(dry, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, dry)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "var", "clickhouse")); err == nil {
		t.Errorf("the dry run started the warehouse")
	}

	run("run", "ingest")
	var loads []loadJSON
	if err := json.Unmarshal([]byte(run("loads", "--format", "json")), &loads); err != nil {
		t.Fatal(err)
	}
	if len(loads) != 1 {
		t.Fatalf("loads %+v, want one", loads)
	}
	l := loads[0]
	if l.Source != "combo" || l.Status != "loaded" || l.RowsRead != 13 || l.RowsLoaded != 12 || l.RowsQuarantined != 1 ||
		len(l.SHA256) != 64 || strings.Join(l.Months, ",") != "2025-03" {
		t.Errorf("load %+v, want combo loaded: 13 read, 12 loaded, 1 quarantined, March 2025", l)
	}
	var q []quarantinedJSON
	if err := json.Unmarshal([]byte(run("quarantine", "--format", "json")), &q); err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].Line != 13 || q[0].Reasons[0].Code != "date" || q[0].Reasons[0].Value != "Jean Dupont 85.07.30-033.61" {
		t.Errorf("quarantine %+v, want line 13 with the date's value, for the operator", q)
	}
	if strings.Contains(q[0].Raw, "P-X") {
		t.Errorf("the quarantined raw line holds the raw person id: %s", q[0].Raw)
	}
	if table := run("loads"); !strings.Contains(table, "combo-2025-03.jsonl") || !strings.Contains(table, "loaded") {
		t.Errorf("loads table:\n%s", table)
	}

	out := run("loads", "retract", fmt.Sprint(l.LoadID), "--reason", "sent to the wrong team")
	if !strings.Contains(out, "retracted") {
		t.Errorf("retract said %q", out)
	}
	if err := json.Unmarshal([]byte(run("loads", "--format", "json")), &loads); err != nil {
		t.Fatal(err)
	}
	if loads[0].Status != "retracted" || !strings.Contains(loads[0].Message, "sent to the wrong team") {
		t.Errorf("after the withdrawal: %+v", loads[0])
	}
	var stderr bytes.Buffer
	if code := Run(t.Context(), []string{"loads", "retract", fmt.Sprint(l.LoadID), "--config", cfgPath}, &bytes.Buffer{}, &stderr); code != exitUsage {
		t.Errorf("retract without a reason: exit %d, want %d", code, exitUsage)
	}
}
