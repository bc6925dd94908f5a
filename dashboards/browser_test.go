package dashboards

import (
	"bytes"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
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
	srv, err := New(Options{Location: brussels(), Store: testStore(t, testSnapshot(t), testRuns(), testLoads())})
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

// bannerColour is the background of the banner of pages served from the last
// snapshot read (.stale in layout.html); no other part of a page uses it.
var bannerColour = [3]uint8{0xfd, 0xec, 0xc8}

// TestStaleBannerInBrowser checks, in headless chromium, that a page served
// from the last snapshot read shows its banner at the top of the window and
// still draws its charts, and that a page served fresh shows none.
func TestStaleBannerInBrowser(t *testing.T) {
	store := &flakyStore{Store: testStore(t, testSnapshot(t), testRuns(), testLoads())}
	srv, err := New(Options{Location: brussels(), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tests := []struct {
		path   string
		down   bool
		banner string // empty: no banner
	}{
		{"/", false, ""},
		{"/", true, staleFR},
		{"/bassins/nord?lang=nl", true, staleNL},
	}
	for _, tt := range tests {
		t.Run(tt.path+" down="+strconv.FormatBool(tt.down), func(t *testing.T) {
			// The server reads the snapshot once while the store answers,
			// then serves the page with the store up or down.
			store.setDown(false)
			if rec := get(t, srv, "/"); rec.Code != http.StatusOK {
				t.Fatalf("overview: status %d", rec.Code)
			}
			store.setDown(tt.down)
			dom, err := DumpDOM(t.Context(), ts.URL+tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(html.UnescapeString(dom), tt.banner); tt.banner != "" && !got {
				t.Errorf("the page lacks the banner %q", tt.banner)
			}
			if tt.banner == "" && strings.Contains(dom, `class="stale"`) {
				t.Error("a fresh page shows the banner")
			}
			charts := chartFigure.FindAllStringSubmatch(dom, -1)
			if len(charts) == 0 {
				t.Error("no chart in the page")
			}
			for _, m := range charts {
				if !strings.Contains(m[2], "<canvas") {
					t.Errorf("chart %s: not drawn", m[1])
				}
			}
			shot, err := Screenshot(t.Context(), ts.URL+tt.path, 1280, 900)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatal(err)
			}
			// Pixels of the banner's colour, and the highest row holding one.
			var n int
			top := -1
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, g, bl, _ := img.At(x, y).RGBA()
					if near(r, bannerColour[0]) && near(g, bannerColour[1]) && near(bl, bannerColour[2]) {
						n++
						if top < 0 {
							top = y - b.Min.Y
						}
					}
				}
			}
			switch {
			case tt.banner == "" && n > 0:
				t.Errorf("a fresh page paints %d pixels in the banner's colour", n)
			case tt.banner != "" && n < 20000:
				t.Errorf("the banner paints %d pixels, want a visible block of at least 20000", n)
			case tt.banner != "" && top > 200:
				t.Errorf("the banner starts %d pixels down the window, want it at the top", top)
			}
		})
	}
}

// near compares a 16-bit colour channel with an 8-bit one, within 3 steps.
func near(c uint32, want uint8) bool {
	d := int(c>>8) - int(want)
	return d >= -3 && d <= 3
}
