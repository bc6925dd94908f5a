package alerts_test

import (
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/brusano/bassins/pipeline/alerts"
	"github.com/brusano/bassins/sources"
)

func TestOverdue(t *testing.T) {
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, brussels) }
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, brussels) }
	month := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name         string
		dueDay       int
		latest       time.Time
		now          time.Time
		wantExpected time.Time
		wantOverdue  bool
	}{
		{"March data due 10 April, last minute of the day", 10, month(2024, 2), at(2024, 4, 10, 23, 59), day(2024, 4, 10), false},
		{"March data late at midnight", 10, month(2024, 2), at(2024, 4, 11, 0, 0), day(2024, 4, 10), true},
		{"midnight in Brussels, still 10 April in UTC", 10, month(2024, 2), time.Date(2024, 4, 10, 22, 30, 0, 0, time.UTC), day(2024, 4, 10), true},
		{"11 PM in UTC is the next day in Brussels in winter", 10, month(2024, 1), time.Date(2024, 3, 10, 23, 0, 0, 0, time.UTC), day(2024, 3, 10), true},
		{"a month early", 10, month(2024, 2), at(2024, 3, 20, 12, 0), day(2024, 4, 10), false},
		{"December data due in January", 10, month(2023, 11), at(2024, 1, 5, 9, 0), day(2024, 1, 10), false},
		{"December data late in January", 10, month(2023, 11), at(2024, 1, 11, 9, 0), day(2024, 1, 10), true},
		{"January data due in February, after a December", 10, month(2023, 12), at(2024, 2, 9, 9, 0), day(2024, 2, 10), false},
		{"November data, due day 28, late on the 29th of December", 28, month(2023, 10), at(2023, 12, 29, 0, 0), day(2023, 12, 28), true},
		{"February of a leap year: data due 28 March", 28, month(2024, 1), at(2024, 2, 29, 12, 0), day(2024, 3, 28), false},
		{"end of year: December 2024 data due 15 January 2025", 15, month(2024, 11), at(2024, 12, 31, 23, 59), day(2025, 1, 15), false},
		{"January 2025 data late", 15, month(2024, 12), at(2025, 2, 16, 0, 0), day(2025, 2, 15), true},
		{"months behind: the oldest missing month counts", 10, month(2024, 1), at(2024, 6, 1, 8, 0), day(2024, 3, 10), true},
		{"current month partly delivered", 10, month(2024, 3), at(2024, 3, 20, 8, 0), day(2024, 5, 10), false},
		{"a day other than the first: its month counts", 10, time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), at(2024, 3, 10, 8, 0), day(2024, 3, 10), false},
		{"due day 1", 1, month(2024, 1), at(2024, 3, 1, 23, 0), day(2024, 3, 1), false},
		{"due day 1, late on the 2nd", 1, month(2024, 1), at(2024, 3, 2, 0, 0), day(2024, 3, 1), true},
		{"never delivered, before this month's due day", 10, time.Time{}, at(2024, 3, 5, 8, 0), day(2024, 2, 10), true},
		{"never delivered, after this month's due day", 10, time.Time{}, at(2024, 3, 11, 8, 0), day(2024, 3, 10), true},
		{"never delivered, early January", 10, time.Time{}, at(2024, 1, 5, 8, 0), day(2023, 12, 10), true},
		{"no due day", 0, month(2020, 1), at(2024, 3, 11, 8, 0), time.Time{}, false},
		{"no due day, never delivered", 0, time.Time{}, at(2024, 3, 11, 8, 0), time.Time{}, false},
		{"due day out of range", 31, month(2020, 1), at(2024, 3, 11, 8, 0), time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sources.Expected{Every: sources.EveryMonth, DueDay: tt.dueDay}
			expected, overdue := alerts.Overdue(e, tt.latest, tt.now, brussels)
			if !expected.Equal(tt.wantExpected) || overdue != tt.wantOverdue {
				t.Errorf("Overdue(%d, %s, %s) = %s, %v; want %s, %v", tt.dueDay, tt.latest.Format(time.DateOnly), tt.now,
					expected, overdue, tt.wantExpected, tt.wantOverdue)
			}
		})
	}
}

func TestOverdueOfQuartersAndYears(t *testing.T) {
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, brussels) }
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, brussels) }
	month := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }
	quarter := sources.Expected{Every: sources.EveryQuarter, DueDay: 10}
	year := sources.Expected{Every: sources.EveryYear, DueDay: 28}
	from := sources.Expected{Every: sources.EveryQuarter, DueDay: 10, From: "2024-07"}
	tests := []struct {
		name         string
		e            sources.Expected
		latest       time.Time
		now          time.Time
		wantExpected time.Time
		wantOverdue  bool
	}{
		{"Q1 delivered (its February), Q2 due 10 July", quarter, month(2024, 2), at(2024, 7, 10, 23, 59), day(2024, 7, 10), false},
		{"Q2 late on 11 July", quarter, month(2024, 3), at(2024, 7, 11, 0, 0), day(2024, 7, 10), true},
		{"Q4 due in January of the next year", quarter, month(2024, 7), at(2025, 1, 10, 12, 0), day(2025, 1, 10), false},
		{"never delivered, early in a quarter: the quarter before last", quarter, time.Time{}, at(2024, 4, 5, 8, 0), day(2024, 1, 10), true},
		{"never delivered, after the due day: the last quarter", quarter, time.Time{}, at(2024, 5, 5, 8, 0), day(2024, 4, 10), true},
		{"year 2023 delivered, 2024 due 28 January 2025", year, month(2023, 6), at(2024, 12, 31, 8, 0), day(2025, 1, 28), false},
		{"never delivered, From in the future", from, time.Time{}, at(2024, 5, 5, 8, 0), day(2024, 10, 10), false},
		{"never delivered, From passed", from, time.Time{}, at(2024, 10, 11, 8, 0), day(2024, 10, 10), true},
		{"delivered before From: From's period is owed next", from, month(2023, 1), at(2024, 5, 5, 8, 0), day(2024, 10, 10), false},
		{"unknown period", sources.Expected{Every: "week", DueDay: 10}, month(2020, 1), at(2024, 3, 11, 8, 0), time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expected, overdue := alerts.Overdue(tt.e, tt.latest, tt.now, brussels)
			if !expected.Equal(tt.wantExpected) || overdue != tt.wantOverdue {
				t.Errorf("Overdue(%+v, %s, %s) = %s, %v; want %s, %v", tt.e, tt.latest.Format(time.DateOnly), tt.now,
					expected, overdue, tt.wantExpected, tt.wantOverdue)
			}
		})
	}
}

func TestDataMonth(t *testing.T) {
	tests := []struct{ due, want time.Time }{
		{time.Date(2024, 4, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{time.Date(2024, 1, 28, 0, 0, 0, 0, time.UTC), time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := alerts.DataMonth(tt.due); !got.Equal(tt.want) {
			t.Errorf("DataMonth(%s) = %s, want %s", tt.due, got, tt.want)
		}
	}
}
