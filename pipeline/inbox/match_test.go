package inbox

import "testing"

func TestMatchGlobs(t *testing.T) {
	globs := []string{
		"mobile-teams/combo-*.jsonl",
		"federations/fedito/*.csv",
		"./offre/inventaire-*.csv",
		"tdi/tdi-[0-9][0-9][0-9][0-9].csv",
		"[", // malformed: matches nothing
	}
	tests := []struct {
		rel  string
		want bool
	}{
		{"mobile-teams/combo-2025-01.jsonl", true},
		{"mobile-teams/combo-.jsonl", true},
		{"mobile-teams/renfort-2025-01.jsonl", false},
		{"mobile-teams/combo-2025-01.jsonl.part", false},
		{"mobile-teams/old/combo-2025-01.jsonl", false}, // "*" does not cross "/"
		{"combo-2025-01.jsonl", false},
		{"federations/fedito/export 2025.csv", true},
		{"federations/fedito/sub/export.csv", false},
		{"federations/lbsm/export.csv", false},
		{"offre/inventaire-2025.csv", true}, // the glob is cleaned, as by filepath.Join
		{"./offre/inventaire-2025.csv", true},
		{"tdi/tdi-2025.csv", true},
		{"tdi/tdi-25.csv", false},
		{"[", false},
		{"", false},
	}
	match := MatchGlobs(globs)
	for _, tt := range tests {
		if got := match(tt.rel); got != tt.want {
			t.Errorf("match(%q) = %v, want %v", tt.rel, got, tt.want)
		}
	}
	if MatchGlobs(nil)("combo-2025-01.jsonl") {
		t.Error("no glob matched a file")
	}
}
