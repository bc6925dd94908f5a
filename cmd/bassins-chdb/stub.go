//go:build !chdb

// Command bassins-chdb runs a current ClickHouse from libchdb. Without the
// chdb build tag (and the library to link) it is this stub, so that the module
// builds everywhere: build the real one with `make bin/bassins-chdb`.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bassins-chdb: built without libchdb; build it with `make bin/bassins-chdb`")
	os.Exit(2)
}
