package catalogue

import (
	"slices"
	"testing"
)

func TestTheDefaultCatalogueLoads(t *testing.T) {
	c, err := Load(Default())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Indicators) < 30 {
		t.Errorf("%d indicators in the default catalogue, want at least 30", len(c.Indicators))
	}
	themes := map[string]int{}
	for _, ind := range c.Indicators {
		themes[ind.Theme]++
	}
	var order []string
	for _, th := range c.Themes {
		order = append(order, th.ID)
		if th.Name.FR == "" || th.Name.NL == "" {
			t.Errorf("theme %s needs a French and a Dutch name", th.ID)
		}
	}
	if want := []string{"outreach", "treatment", "offer", "federations", "completeness"}; !slices.Equal(order, want) {
		t.Errorf("themes %v, want %v", order, want)
	}
	for _, th := range []string{"outreach", "treatment", "offer", "federations", "completeness"} {
		if themes[th] == 0 {
			t.Errorf("no indicator of theme %s", th)
		}
	}
	for _, id := range []string{"federation_consultations", "federation_persons", "federation_hours"} {
		ind, _ := c.Lookup(id)
		if ind.HasTotal() || !slices.Equal(ind.Breakdowns, []string{"federation"}) {
			t.Errorf("%s must be kept apart by federation: total %v, breakdowns %v", id, ind.HasTotal(), ind.Breakdowns)
		}
	}
}
