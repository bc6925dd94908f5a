package inbox

import (
	"path"
	"path/filepath"
)

// MatchGlobs returns a Match function accepting the relative paths matched
// by one of the globs, with the semantics of filepath.Match on
// slash-separated paths ("*" does not cross a "/"), as the ingest job's
// filepath.Glob over the inbox. The globs are the sources' paths, such as
// "mobile-teams/combo-*.jsonl"; a malformed glob matches nothing.
func MatchGlobs(globs []string) func(rel string) bool {
	clean := make([]string, 0, len(globs))
	for _, g := range globs {
		if g == "" {
			continue
		}
		g = path.Clean(filepath.ToSlash(g))
		if _, err := path.Match(g, ""); err != nil {
			continue
		}
		clean = append(clean, g)
	}
	return func(rel string) bool {
		rel = path.Clean(filepath.ToSlash(rel))
		for _, g := range clean {
			if ok, _ := path.Match(g, rel); ok {
				return true
			}
		}
		return false
	}
}
