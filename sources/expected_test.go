package sources_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/brusano/bassins/sources"
)

func TestExpectedPeriodsAndDueDates(t *testing.T) {
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	month := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		every      string
		t          time.Time
		period     time.Time
		due        time.Time
		deadline   time.Time
		hoursOfDay float64
	}{
		{"month", time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), month(2024, 3),
			time.Date(2024, 4, 10, 0, 0, 0, 0, brussels), time.Date(2024, 4, 11, 0, 0, 0, 0, brussels), 24},
		{"month", month(2024, 12), month(2024, 12),
			time.Date(2025, 1, 10, 0, 0, 0, 0, brussels), time.Date(2025, 1, 11, 0, 0, 0, 0, brussels), 24},
		{"quarter", month(2024, 5), month(2024, 4),
			time.Date(2024, 7, 10, 0, 0, 0, 0, brussels), time.Date(2024, 7, 11, 0, 0, 0, 0, brussels), 24},
		{"quarter", month(2024, 12), month(2024, 10),
			time.Date(2025, 1, 10, 0, 0, 0, 0, brussels), time.Date(2025, 1, 11, 0, 0, 0, 0, brussels), 24},
		{"year", month(2024, 7), month(2024, 1),
			time.Date(2025, 1, 10, 0, 0, 0, 0, brussels), time.Date(2025, 1, 11, 0, 0, 0, 0, brussels), 24},
		// Summer time starts on 31 March 2024 at 2:00: that day has 23 hours.
		{"month", month(2024, 2), month(2024, 2),
			time.Date(2024, 3, 31, 0, 0, 0, 0, brussels), time.Date(2024, 4, 1, 0, 0, 0, 0, brussels), 23},
	}
	for _, tt := range tests {
		e := sources.Expected{Every: tt.every, DueDay: tt.due.Day()}
		if got := e.Period(tt.t); !got.Equal(tt.period) {
			t.Errorf("%s: Period(%s) = %s, want %s", tt.every, tt.t.Format(time.DateOnly), got, tt.period)
		}
		if got := e.Due(tt.t, brussels); !got.Equal(tt.due) {
			t.Errorf("%s: Due(%s) = %s, want %s", tt.every, tt.t.Format(time.DateOnly), got, tt.due)
		}
		got := e.Deadline(tt.t, brussels)
		if !got.Equal(tt.deadline) {
			t.Errorf("%s: Deadline(%s) = %s, want %s", tt.every, tt.t.Format(time.DateOnly), got, tt.deadline)
		}
		if h := got.Sub(e.Due(tt.t, brussels)).Hours(); h != tt.hoursOfDay {
			t.Errorf("%s: the due day of %s lasts %v hours, want %v", tt.every, tt.t.Format(time.DateOnly), h, tt.hoursOfDay)
		}
	}
}

func TestExpectationReadsTheDeprecatedDueDay(t *testing.T) {
	s := contactsSpec()
	if _, ok := s.Expectation(); ok {
		t.Errorf("a source without expected nor due_day owes deliveries")
	}
	s.DueDay = 15
	if e, ok := s.Expectation(); !ok || e != (sources.Expected{Every: "month", DueDay: 15}) {
		t.Errorf("due_day 15 reads as %+v, %v; want every month, due day 15", e, ok)
	}
	s.DueDay, s.Expected = 0, &sources.Expected{Every: "quarter", DueDay: 5, From: "2024-01"}
	if e, ok := s.Expectation(); !ok || e != *s.Expected {
		t.Errorf("expected reads as %+v, %v", e, ok)
	}
	if p, ok := s.Expected.FromPeriod(); !ok || !p.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("FromPeriod = %s, %v; want January 2024", p, ok)
	}
}

func TestTheDeliveriesDatasetIsVirtual(t *testing.T) {
	d, ok := sources.LookupDataset(sources.Deliveries)
	if !ok || !d.Virtual || d.Table != "" {
		t.Fatalf("dataset deliveries: %+v, %v; want a virtual dataset without a table", d, ok)
	}
	var names []string
	for _, f := range d.Fields {
		names = append(names, f.Name+":"+string(f.Type))
	}
	if got, want := strings.Join(names, " "), "period:month source:string dataset:string expected:integer received:integer on_time:integer"; got != want {
		t.Errorf("fields %s, want %s", got, want)
	}
	if !strings.Contains(d.Describe(), "computed by bassins, not delivered") {
		t.Errorf("the description does not say the dataset is computed:\n%s", d.Describe())
	}
	for _, n := range sources.DeliveredDatasetNames() {
		if n == sources.Deliveries {
			t.Errorf("DeliveredDatasetNames lists the virtual dataset")
		}
	}
}
