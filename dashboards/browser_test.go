package dashboards

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// chartFigure matches each chart container and what the browser put in it.
var chartFigure = regexp.MustCompile(`(?s)<figure class="chart" data-chart="(\w+)">(.*?)</figure>`)

// TestChartsDrawInBrowser loads the pages in headless chromium: ECharts must
// have drawn a canvas in every chart container, which it can only do if the
// script loaded from the server's /assets/.
func TestChartsDrawInBrowser(t *testing.T) {
	srv, err := New(Options{Store: testStore(t, testSnapshot(t), testRuns(), testLoads())})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requested []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requested = append(requested, r.URL.Path)
		mu.Unlock()
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()

	tests := []struct {
		path   string
		charts []string
	}{
		{"/", []string{"bassins_contacts_per_10k", "region_contacts"}},
		{"/bassins/nord?lang=nl", []string{"bassin_activity", "bassin_treatment_demands", "bassin_communes_contacts"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			dom, err := DumpDOM(t.Context(), ts.URL+tt.path)
			if errors.Is(err, ErrNoBrowser) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, m := range chartFigure.FindAllStringSubmatch(dom, -1) {
				found = append(found, m[1])
				if !strings.Contains(m[2], "<canvas") {
					t.Errorf("chart %s: no <canvas> in its container; ECharts did not draw it", m[1])
				}
			}
			for _, id := range tt.charts {
				if !slices.Contains(found, id) {
					t.Errorf("chart %s not in the page (found %v)", id, found)
				}
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(requested, "/assets/echarts.min.js") {
		t.Errorf("the browser never asked for /assets/echarts.min.js; requests: %v", requested)
	}
}
