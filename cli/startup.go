package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
)

// startupError is a cause that stops the program before it can work, told in
// one sentence that names what to fix. The command exits with status 1.
type startupError struct {
	msg string
	err error
}

func (e startupError) Error() string { return e.msg }
func (e startupError) Unwrap() error { return e.err }

// ClickHouse error codes that mean the credentials were refused: 192 unknown
// user, 193 wrong password (18.16), 516 authentication failed (current
// releases).
var authCodes = map[int32]bool{192: true, 193: true, 516: true}

// explainWarehouse turns a failure to reach or use the warehouse into one
// sentence naming what to fix.
func explainWarehouse(err error, cfg *config.Config, addr string) error {
	if err == nil {
		return nil
	}
	var se startupError
	if errors.As(err, &se) {
		return err
	}
	file := cfg.File
	var ex *clickhouse.Exception
	if errors.As(err, &ex) && authCodes[ex.Code] {
		return startupError{fmt.Sprintf("ClickHouse at %s refuses user %q with the password from %s: set the password of that user in %s, or correct clickhouse.user in %s",
			addr, cfg.ClickHouse.User, passwordOrigin(cfg), passwordPlaces(cfg), file), err}
	}
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return startupError{fmt.Sprintf("cannot find the ClickHouse host of %s (%v): correct clickhouse.address in %s", addr, dns.Err, file), err}
	case errors.Is(err, syscall.ECONNREFUSED):
		if cfg.ClickHouse.Managed() {
			return startupError{fmt.Sprintf("the managed ClickHouse server at %s refuses connections: see its logs in %s/log", addr, cfg.ClickHouse.DataDir), err}
		}
		return startupError{fmt.Sprintf("cannot reach ClickHouse at %s (connection refused): start the server, or correct clickhouse.address in %s (leave it empty to let bassins run its own server)", addr, file), err}
	case errors.As(err, &op) && op.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return startupError{fmt.Sprintf("cannot reach ClickHouse at %s (no answer in time): check that the server runs and that no firewall blocks the port, or correct clickhouse.address in %s", addr, file), err}
	case errors.As(err, &op):
		return startupError{fmt.Sprintf("cannot reach ClickHouse at %s (%v): check clickhouse.address in %s", addr, op.Err, file), err}
	}
	return startupError{fmt.Sprintf("the warehouse at %s cannot be used: %v", addr, err), err}
}

// explainManaged turns a failure to start the managed server into one
// sentence naming what to fix.
func explainManaged(err error, cfg *config.Config) error {
	if err == nil {
		return nil
	}
	var se startupError
	if errors.As(err, &se) {
		return err
	}
	dir := cfg.ClickHouse.DataDir
	switch {
	case errors.Is(err, managed.ErrNoBinary):
		return startupError{fmt.Sprintf("no ClickHouse server is installed: run `make run` once (it installs Debian's clickhouse-server), or name the server program in clickhouse.binary in %s", cfg.File), err}
	case errors.Is(err, fs.ErrPermission):
		return startupError{fmt.Sprintf("the managed ClickHouse server cannot use its folder %s (permission denied): give this user that folder, or choose another clickhouse.data_dir in %s", dir, cfg.File), err}
	case errors.Is(err, fs.ErrNotExist) && cfg.ClickHouse.Binary != "":
		return startupError{fmt.Sprintf("the ClickHouse server program %q does not exist: correct clickhouse.binary in %s", cfg.ClickHouse.Binary, cfg.File), err}
	}
	return startupError{fmt.Sprintf("the managed ClickHouse server in %s did not start: %v", dir, err), err}
}

// passwordOrigin says where the password in use came from, never the
// password itself.
func passwordOrigin(cfg *config.Config) string {
	ch := cfg.ClickHouse
	password, file := ch.PasswordSource()
	switch {
	case file != "":
		return file
	case password != "" && ch.PasswordEnv != "" && os.Getenv(ch.PasswordEnv) != "":
		return ch.PasswordEnv
	case password != "":
		return "clickhouse.password"
	}
	return "none"
}

func passwordPlaces(cfg *config.Config) string {
	ch := cfg.ClickHouse
	if ch.PasswordEnv != "" {
		return ch.PasswordEnv + ", clickhouse.password or clickhouse.password_file"
	}
	return "clickhouse.password or clickhouse.password_file"
}
