package compute

// SetJointAbove changes the number of rows from which a dataset's
// breakdowns are queried together, for tests of both ways.
func SetJointAbove(rows uint64) (restore func()) {
	old := jointAbove
	jointAbove = rows
	return func() { jointAbove = old }
}
