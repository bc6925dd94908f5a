package scheduler

// ParseSchedule exposes the schedule the scheduler and Missed use.
var ParseSchedule = parseSchedule
