package managed

import (
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
// generations understand is written.
type serverConfig struct {
	XMLName               xml.Name     `xml:"yandex"`
	Logger                loggerConfig `xml:"logger"`
	ListenHost            string       `xml:"listen_host"`
	TCPPort               int          `xml:"tcp_port"`
	HTTPPort              int          `xml:"http_port,omitempty"` // 0: none (bassins-chdb)
	Path                  string       `xml:"path"`
	TmpPath               string       `xml:"tmp_path"`
	UserFilesPath         string       `xml:"user_files_path"`
	FormatSchemaPath      string       `xml:"format_schema_path"`
	MarkCacheSize         int64        `xml:"mark_cache_size"`
	UncompressedCacheSize int64        `xml:"uncompressed_cache_size"`
	MaxConcurrentQueries  int          `xml:"max_concurrent_queries"`
	// UsersConfig names this very file: the users below are then read from
	// it by every release, with no users.xml beside it.
	UsersConfig string      `xml:"users_config"`
	Users       usersConfig `xml:"users"`
	Profiles    struct {
		Default struct{} `xml:"default"`
	} `xml:"profiles"`
	Quotas struct {
		Default struct{} `xml:"default"`
	} `xml:"quotas"`
}

type loggerConfig struct {
	Level    string `xml:"level"`
	Log      string `xml:"log"`
	ErrorLog string `xml:"errorlog"`
	Size     string `xml:"size"`
	Count    int    `xml:"count"`
}

type usersConfig struct {
	Default struct {
		Password string   `xml:"password"`
		Networks []string `xml:"networks>ip"`
		Profile  string   `xml:"profile"`
		Quota    string   `xml:"quota"`
	} `xml:"default"`
}

// newServerConfig returns the configuration of a server keeping everything
// under dataDir (an absolute path) and listening on loopback only.
func newServerConfig(dataDir string, tcpPort, httpPort int) serverConfig {
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
	cfg.Users.Default.Networks = []string{"127.0.0.1", "::1"}
	cfg.Users.Default.Profile = "default"
	cfg.Users.Default.Quota = "default"
	return cfg
}

// writeConfig writes cfg to path, replacing any previous file.
func writeConfig(path string, cfg serverConfig) error {
	body, err := xml.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	body = append([]byte(xml.Header), body...)
	body = append(body, '\n')
	if err := writeFileAtomic(path, body, 0o640); err != nil {
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
