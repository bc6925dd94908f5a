package sources

import "testing"

func TestDateLayouts(t *testing.T) {
	for _, tt := range []struct {
		format, layout string
		ok             bool
	}{
		{"", "2006-01-02", true},
		{"dd/mm/yyyy", "02/01/2006", true},
		{"yyyy-mm-dd", "2006-01-02", true},
		{"mm/yyyy", "01/2006", true},
		{"dd/mm/yy", "", false},
		{"dd/mm/yyyy hh:mm", "", false},
		{"dd.mm.2024", "", false},
	} {
		layout, err := dateLayout(tt.format)
		if (err == nil) != tt.ok || layout != tt.layout {
			t.Errorf("dateLayout(%q) = %q, %v; want %q, ok %v", tt.format, layout, err, tt.layout, tt.ok)
		}
	}
}
