package warehouse_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

// loadStatbel loads the default geography with a Statbel file of 2024 in
// which every commune has 1,000 women aged 30 and 500 men of the given age.
func loadStatbel(t *testing.T, menAge int) *geography.Geography {
	t.Helper()
	var b strings.Builder
	b.WriteString("CD_REFNIS|TX_DESCR_FR|CD_SEX|CD_AGE|MS_POPULATION\n")
	for i := 1; i <= 19; i++ {
		fmt.Fprintf(&b, "210%02d|Commune|F|30|1000\n210%02d|Commune|M|%d|500\n", i, i, menAge)
	}
	path := filepath.Join(t.TempDir(), "TF_SOC_POP_STRUCT_2024.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := geography.Load(geography.Files{Population: geography.PathList{path}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGeographyVersionChangesWithTheAgeStructure(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	young, old := loadStatbel(t, 40), loadStatbel(t, 70)
	// The areas, which geo_areas stores, are the same: 1,500 per commune.
	for i := range young.Areas {
		if young.Areas[i] != old.Areas[i] {
			t.Fatalf("area %s differs: %+v, %+v", young.Areas[i].Key, young.Areas[i], old.Areas[i])
		}
	}
	v1, err := wh.SaveGeography(t.Context(), young)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := wh.SaveGeography(t.Context(), old)
	if err != nil {
		t.Fatal(err)
	}
	if v1 == v2 {
		t.Errorf("another age structure must give another geography version")
	}
	v3, err := wh.SaveGeography(t.Context(), loadStatbel(t, 40))
	if err != nil {
		t.Fatal(err)
	}
	if v3 != v1 {
		t.Errorf("the same files loaded again give version %d, want %d", v3, v1)
	}
}
