//go:build chdb

// Command bassins-chdb runs a current ClickHouse from libchdb (ClickHouse
// built as a library) with clickhouse-local's command line, e.g.
//
//	bassins-chdb --config-file=CONFIG --path=DIR --multiquery \
//	  --query "SYSTEM START LISTEN TCP; SELECT sleepEachRow(1) FROM numbers(N) SETTINGS max_block_size=1 FORMAT Null"
//
// With a listen_host and a tcp_port in CONFIG, ClickHouse serves its native
// protocol while the query runs. The managed package builds that command line
// when its binary is named bassins-chdb, and stops the process by a signal.
//
// It is built with `make bin/bassins-chdb`, which installs the library (npm
// package @chdb/lib-linux-x64-gnu, pinned in package-lock.json beside this
// file) and links it with the chdb build tag.
//
// The program writes the queries' output to standard output. ClickHouse
// itself writes a failed query's error to standard error, and libchdb does
// not report it back in this mode: the exit status is 1 only when libchdb
// returns an error of its own.
package main

/*
#cgo LDFLAGS: -lchdb
#include <stddef.h>
#include <stdlib.h>

// The library's entry points used here, declared after its C API.
typedef struct chdb_result_ chdb_result;
chdb_result *chdb_query_cmdline(int argc, char **argv);
char *chdb_result_buffer(chdb_result *result);
size_t chdb_result_length(chdb_result *result);
const char *chdb_result_error(chdb_result *result);
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"
)

func init() {
	// ClickHouse runs on the thread that calls it: keep that the main
	// thread, whose stack is the largest.
	runtime.LockOSThread()
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bassins-chdb CLICKHOUSE-LOCAL-ARGUMENTS... (e.g. --config-file=FILE --path=DIR --query SQL)")
		os.Exit(2)
	}
	out, err := run(os.Args)
	os.Stdout.Write(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bassins-chdb:", err)
		os.Exit(1)
	}
}

// run passes args, program name first, to clickhouse-local inside libchdb and
// returns what the query wrote.
func run(args []string) ([]byte, error) {
	argv := make([]*C.char, len(args)+1)
	for i, a := range args {
		argv[i] = C.CString(a)
	}
	defer func() {
		for _, p := range argv {
			C.free(unsafe.Pointer(p))
		}
	}()
	// argv lives in Go memory: it holds C pointers only, which cgo allows.
	res := C.chdb_query_cmdline(C.int(len(args)), &argv[0])
	if res == nil {
		return nil, fmt.Errorf("libchdb returned no result")
	}
	// The result is left to the process's exit: the program ends here.
	if msg := C.chdb_result_error(res); msg != nil && C.GoString(msg) != "" {
		return nil, fmt.Errorf("%s", C.GoString(msg))
	}
	var out []byte
	if n := C.chdb_result_length(res); n > 0 {
		out = C.GoBytes(unsafe.Pointer(C.chdb_result_buffer(res)), C.int(n))
	}
	return out, nil
}
