package managed

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
)

// Cache sizes are kept small: the managed server serves one program on one
// machine, and ClickHouse's defaults (several GiB) are meant for a dedicated
// host.
const (
	markCacheSize         = 64 << 20
	uncompressedCacheSize = 64 << 20
	maxConcurrentQueries  = 50
)

// Modes of what the package creates: only the user running the server reads
// its data, logs and configuration.
const (
	privateDir  os.FileMode = 0o700
	privateFile os.FileMode = 0o600
)

// Names of the files and directories the package keeps inside DataDir.
const (
	configFile    = "config.xml"
	stateFile     = "server.json"
	lockFile      = "server.lock"
	logDir        = "log"
	serverLog     = "clickhouse-server.log"
	serverErrLog  = "clickhouse-server.err.log"
	serverOutLog  = "clickhouse-server.stdout.log"
	dataSubdir    = "data"
	tmpSubdir     = "tmp"
	userFilesDir  = "user_files"
	formatSchemas = "format_schemas"
)

// serverConfig is the server configuration file. The <yandex> root element is
// accepted by 18.16 as well as by current releases (which also accept
// <clickhouse>). Unknown elements are ignored by the server, so only what both
// generations understand is written, but for the elements marked as written
// for bassins-chdb only.
type serverConfig struct {
	XMLName               xml.Name     `xml:"yandex"`
	Logger                loggerConfig `xml:"logger"`
	ListenHost            string       `xml:"listen_host"`
	TCPPort               int          `xml:"tcp_port"`
	HTTPPort              int          `xml:"http_port,omitempty"` // 0: no HTTP interface
	Path                  string       `xml:"path"`
	TmpPath               string       `xml:"tmp_path"`
	UserFilesPath         string       `xml:"user_files_path"`
	FormatSchemaPath      string       `xml:"format_schema_path"`
	MarkCacheSize         int64        `xml:"mark_cache_size"`
	UncompressedCacheSize int64        `xml:"uncompressed_cache_size"`
	MaxConcurrentQueries  int          `xml:"max_concurrent_queries"`
	// For bassins-chdb: the system tables are read only with a grant, so
	// that the start-up user (see usersConfig) sees none of them.
	SystemDBRequiresGrant          bool `xml:"select_from_system_db_requires_grant,omitempty"`
	InformationSchemaRequiresGrant bool `xml:"select_from_information_schema_requires_grant,omitempty"`
	// UsersConfig names this very file: the users below are then read from
	// it by every release, with no users.xml beside it.
	UsersConfig string      `xml:"users_config"`
	Users       usersConfig `xml:"users"`
	Profiles    struct {
		Default struct{} `xml:"default"`
	} `xml:"profiles"`
	Quotas quotasConfig `xml:"quotas"`
	// RemoteServers defines the cluster the server is a node of.
	RemoteServers *remoteServersConfig `xml:"remote_servers,omitempty"`
}

type loggerConfig struct {
	Level    string `xml:"level"`
	Log      string `xml:"log"`
	ErrorLog string `xml:"errorlog"`
	Size     string `xml:"size"`
	Count    int    `xml:"count"`
}

// usersConfig holds the one user clients log in as (User), with the
// password's SHA-256, from loopback only.
//
// For bassins-chdb it also holds "default", without password: clickhouse-local
// logs its own connection in as "default" with an empty password (hard-coded in
// ClickHouse's LocalConnection), to run the query that opens the native port.
// That user can reach the port too (the in-process connection comes from
// 127.0.0.1 as well), so it gets no more than the start-up needs: the grant to
// start listening, no system tables, and a quota of the start-up's two
// queries. 18.16 has no "default" user at all.
type usersConfig struct {
	Default *userConfig `xml:"default,omitempty"`
	// The element name is the constant User.
	Client userConfig `xml:"bassins"`
}

type userConfig struct {
	// Password is only written for the start-up user, as an empty element.
	Password          *string  `xml:"password,omitempty"`
	PasswordSHA256Hex string   `xml:"password_sha256_hex,omitempty"`
	Networks          []string `xml:"networks>ip"`
	Profile           string   `xml:"profile"`
	Quota             string   `xml:"quota"`
	// Grants replace the default (all rights) when present.
	Grants *grantsConfig `xml:"grants,omitempty"`
}

type grantsConfig struct {
	Queries []string `xml:"query"`
}

type quotasConfig struct {
	Default struct{}     `xml:"default"`
	Startup *quotaConfig `xml:"startup,omitempty"`
}

type quotaConfig struct {
	Interval struct {
		Duration int `xml:"duration"` // seconds
		Queries  int `xml:"queries"`
	} `xml:"interval"`
}

const (
	// startupQuota names the quota of the bassins-chdb start-up user.
	startupQuota = "startup"
	// startupQueries is the number of statements in chdbServe.
	startupQueries = 2
	// startupQuotaPeriod is the quota's interval, as long as chdbServe's
	// sleep; the server reads it as a 32-bit number of seconds.
	startupQuotaPeriod = 1_000_000_000
)

// loopback is where clients may connect from.
var loopback = []string{"127.0.0.1", "::1"}

// newServerConfig returns the configuration of a server keeping everything
// under dataDir (an absolute path) and listening on loopback only, whose one
// client user has the password whose SHA-256 is passwordHash (hex). httpPort
// 0 means no HTTP interface; chdb adds what bassins-chdb needs.
func newServerConfig(dataDir string, tcpPort, httpPort int, passwordHash string, chdb bool) serverConfig {
	// ClickHouse concatenates file names to these paths, so they must end
	// with a separator.
	dir := func(name string) string {
		return filepath.Join(dataDir, name) + string(filepath.Separator)
	}
	cfg := serverConfig{
		Logger: loggerConfig{
			Level:    "warning",
			Log:      filepath.Join(dataDir, logDir, serverLog),
			ErrorLog: filepath.Join(dataDir, logDir, serverErrLog),
			Size:     "10M",
			Count:    2,
		},
		ListenHost:            "127.0.0.1",
		TCPPort:               tcpPort,
		HTTPPort:              httpPort,
		Path:                  dir(dataSubdir),
		TmpPath:               dir(tmpSubdir),
		UserFilesPath:         dir(userFilesDir),
		FormatSchemaPath:      dir(formatSchemas),
		MarkCacheSize:         markCacheSize,
		UncompressedCacheSize: uncompressedCacheSize,
		MaxConcurrentQueries:  maxConcurrentQueries,
		UsersConfig:           filepath.Join(dataDir, configFile),
	}
	cfg.Users.Client = userConfig{
		PasswordSHA256Hex: passwordHash,
		Networks:          loopback,
		Profile:           "default",
		Quota:             "default",
	}
	if chdb {
		cfg.SystemDBRequiresGrant = true
		cfg.InformationSchemaRequiresGrant = true
		empty := ""
		cfg.Users.Default = &userConfig{
			Password: &empty,
			Networks: loopback,
			Profile:  "default",
			Quota:    startupQuota,
			Grants:   &grantsConfig{Queries: []string{"GRANT SYSTEM LISTEN ON *.*"}},
		}
		q := &quotaConfig{}
		q.Interval.Duration = startupQuotaPeriod
		q.Interval.Queries = startupQueries
		cfg.Quotas.Startup = q
	}
	return cfg
}

// passwordHash is the hex SHA-256 of password, as <password_sha256_hex>
// wants it.
func passwordHash(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// writeConfig writes cfg to path, replacing any previous file.
func writeConfig(path string, cfg serverConfig) error {
	body, err := xml.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	body = append([]byte(xml.Header), body...)
	body = append(body, '\n')
	if err := writeFileAtomic(path, body, privateFile); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// writeFileAtomic writes body to a temporary file next to path and renames it
// into place, so a reader never sees a half-written file.
func writeFileAtomic(path string, body []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
