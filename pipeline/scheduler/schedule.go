package scheduler

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// specParser reads the five-field cron schedules of the configuration and
// the @descriptors.
var specParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parseSchedule reads a schedule in loc (a CRON_TZ= prefix overrides it).
// A cron expression becomes a wallSchedule, so that a daylight saving change
// neither skips nor repeats a run; an @every schedule is left as it is.
func parseSchedule(spec string, loc *time.Location) (cron.Schedule, error) {
	s, err := specParser.Parse(spec)
	if err != nil {
		return nil, err
	}
	ss, ok := s.(*cron.SpecSchedule)
	if !ok {
		return s, nil
	}
	if ss.Location != time.Local { // CRON_TZ= was given
		loc = ss.Location
	}
	if loc == nil {
		loc = time.UTC
	}
	wall := *ss
	wall.Location = time.UTC
	return wallSchedule{spec: &wall, loc: loc}, nil
}

// wallSchedule matches the cron expression against the wall clock of loc and
// gives each matching wall-clock time once:
//   - a time that does not exist (skipped when clocks go forward) is read in
//     the offset before the change: 02:30 on the last Sunday of March in
//     Brussels runs at 03:30 CEST;
//   - a time that happens twice (when clocks go back) runs at its first
//     occurrence only.
//
// robfig/cron's own SpecSchedule gives no run in the first case and two in
// the second.
type wallSchedule struct {
	spec *cron.SpecSchedule // matched against wall-clock times written in UTC
	loc  *time.Location
}

// Next returns the first run strictly after t.
func (w wallSchedule) Next(t time.Time) time.Time {
	// Wall times are walked in order from a little before t: the instants
	// they name are in order too, except around a gap, where a skipped
	// wall time names an instant after later ones. So the earliest instant
	// after t is kept until the walk is far enough past it.
	const margin = 3 * time.Hour // more than any daylight saving shift
	wall := wallClock(t.In(w.loc)).Add(-margin)
	var best, bestWall time.Time
	for range 1 << 20 {
		wall = w.spec.Next(wall)
		if wall.IsZero() || (!best.IsZero() && wall.Sub(bestWall) > margin) {
			break
		}
		if r := w.instant(wall); r.After(t) && (best.IsZero() || r.Before(best)) {
			best, bestWall = r, wall
		}
	}
	return best
}

// wallClock writes t's wall-clock reading as a UTC time.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// instant returns the first instant whose wall clock in w.loc reads wall, or
// for a wall time in a gap the instant it names in the offset before the gap.
func (w wallSchedule) instant(wall time.Time) time.Time {
	u := wall.Unix()
	_, before := time.Unix(u-86400, 0).In(w.loc).Zone()
	_, after := time.Unix(u+86400, 0).In(w.loc).Zone()
	var first time.Time
	for _, off := range []int{before, after} {
		c := time.Unix(u-int64(off), int64(wall.Nanosecond()))
		if _, o := c.In(w.loc).Zone(); o == off && (first.IsZero() || c.Before(first)) {
			first = c
		}
	}
	if first.IsZero() {
		first = time.Unix(u-int64(before), int64(wall.Nanosecond()))
	}
	return first.In(w.loc)
}

// Missed returns the latest run of schedule (in loc) after last and at or
// before now, and whether there is one. A job down over several runs is
// caught up once, as of the latest run it missed. An invalid schedule has
// none.
func Missed(schedule string, loc *time.Location, last, now time.Time) (time.Time, bool) {
	s, err := parseSchedule(schedule, loc)
	if err != nil {
		return time.Time{}, false
	}
	return missed(s, last, now)
}

func missed(s cron.Schedule, last, now time.Time) (time.Time, bool) {
	if !now.After(last) {
		return time.Time{}, false
	}
	// Look for a run in growing windows before now, so that a frequent
	// schedule down for long is not walked run by run from last.
	start := last
	for _, d := range []time.Duration{time.Hour, 48 * time.Hour, 32 * 24 * time.Hour, 400 * 24 * time.Hour} {
		from := now.Add(-d)
		if !from.After(last) {
			break
		}
		if n := s.Next(from); !n.IsZero() && !n.After(now) {
			start = from
			break
		}
	}
	var latest time.Time
	for t := s.Next(start); !t.IsZero() && !t.After(now); t = s.Next(t) {
		latest = t
	}
	return latest, !latest.IsZero()
}

// checkSchedule is parseSchedule with the package's error.
func checkSchedule(job, spec string, loc *time.Location) (cron.Schedule, error) {
	s, err := parseSchedule(spec, loc)
	if err != nil {
		return nil, fmt.Errorf("scheduler: job %s: schedule %q: %w", job, spec, err)
	}
	return s, nil
}
