//go:build race

package sources

// raceDetector is true when the tests run with -race, which makes the
// large workbook tests several times slower.
const raceDetector = true
