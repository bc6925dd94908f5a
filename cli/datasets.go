package cli

import (
	"fmt"
	"io"

	"github.com/brusano/bassins/sources"
)

func runDatasets(stdout io.Writer) error {
	for _, d := range sources.Datasets() {
		fmt.Fprintln(stdout, d.Describe())
	}
	fmt.Fprintf(stdout, "formats: %v\n", sources.FormatNames())
	return nil
}
