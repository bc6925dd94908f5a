package managed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// errRefused marks a server that answered but refused the password.
var errRefused = errors.New("the server refused the password")

// refusalCodes are the ClickHouse error codes of a refused login: unknown
// user (192), wrong password (193), password required (194), address not
// allowed (195), authentication failed (516, current releases).
var refusalCodes = []int32{192, 193, 194, 195, 516}

// answers checks that the server answers an authenticated native protocol
// ping on tcpPort and, when httpPort is not 0, accepts connections there. A
// refused login is errRefused.
func answers(ctx context.Context, tcpPort, httpPort int, password string) error {
	if err := ping(ctx, tcpPort, password); err != nil {
		return err
	}
	if httpPort == 0 {
		return nil
	}
	return dial(ctx, httpPort)
}

// ping opens a native protocol connection as User and pings. It speaks the
// protocol properly: libchdb's server stops on a malformed first packet.
func ping(ctx context.Context, port int, password string) error {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(port))},
		Auth:        clickhouse.Auth{Username: User, Password: password},
		DialTimeout: probeTimeout,
		ReadTimeout: probeTimeout,
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	err = conn.Ping(ctx)
	if exc, ok := errors.AsType[*clickhouse.Exception](err); ok && slices.Contains(refusalCodes, exc.Code) {
		return fmt.Errorf("%w (code %d)", errRefused, exc.Code)
	}
	return err
}

// dial checks that a port accepts connections.
func dial(ctx context.Context, port int) error {
	d := net.Dialer{Timeout: probeTimeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return conn.Close()
}
