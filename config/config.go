// Package config reads and checks the YAML configuration of bassins: where the
// warehouse is, the sources operators declare, the scheduled jobs.
//
// Loading applies the defaults, then decodes strictly (an unknown key is an
// error), then validates every section and the cross-references, so that a
// mistake is reported at start with its file and line, not at 3 a.m.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"github.com/brusano/bassins/pipeline/catalogue"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/sources"
)

// Default is the configuration shipped with the product, used when no file is
// given.
//
//go:embed bassins.yaml
var Default []byte

// DefaultName is how the shipped configuration is named in messages.
const DefaultName = "config/bassins.yaml"

// Config is the whole configuration.
type Config struct {
	ClickHouse ClickHouse      `yaml:"clickhouse"`
	Paths      Paths           `yaml:"paths"`
	Privacy    Privacy         `yaml:"privacy"`
	Geography  geography.Files `yaml:"geography"`
	// Timezone of the schedules and of the dates shown; Europe/Brussels.
	Timezone string  `yaml:"timezone"`
	Reports  Reports `yaml:"reports"`
	// Service is how a long-running `bassins serve` behaves.
	Service   Service   `yaml:"service"`
	Retention Retention `yaml:"retention"`
	Alerts    Alerts    `yaml:"alerts"`
	// Indicators adds the operators' catalogue files to the default
	// catalogue.
	Indicators Indicators     `yaml:"indicators"`
	Jobs       []Job          `yaml:"jobs"`
	Sources    []sources.Spec `yaml:"sources"`

	// File is where the configuration was read from.
	File string `yaml:"-"`
}

// Indicators lists the operators' indicator catalogue files, read after the
// embedded default one at each computation: an indicator added to a file is
// computed by the next run.
type Indicators struct {
	Files []string `yaml:"files"`
}

// Catalogue loads the default catalogue and the operators' files.
func (c *Config) Catalogue() (*catalogue.Catalogue, error) {
	return catalogue.LoadWithDefault(c.Indicators.Files...)
}

// ClickHouse says which server holds the warehouse.
type ClickHouse struct {
	// Address is host:port of the native protocol. Empty: the program runs
	// a managed local server itself.
	Address  string `yaml:"address"`
	Database string `yaml:"database"`
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// PasswordEnv names an environment variable holding the password; it
	// wins over Password and PasswordFile.
	PasswordEnv string `yaml:"password_env"`
	// PasswordFile holds the password when neither the environment nor
	// Password gives one. For the managed server it is created at first
	// start with a random password (mode 0600); keep it outside DataDir.
	PasswordFile string `yaml:"password_file"`
	// DataDir is the managed server's folder.
	DataDir string `yaml:"data_dir"`
	// Binary is the managed server's program; empty looks it up.
	Binary string `yaml:"binary"`
	// HTTPPort opens the managed server's HTTP interface on 127.0.0.1;
	// 0 keeps it closed.
	HTTPPort int `yaml:"http_port"`
	// Cluster names a cluster of the servers' remote_servers: the tables
	// are then local tables on every node with Distributed tables over
	// them. Empty: one server.
	Cluster string `yaml:"cluster"`
}

// Managed reports whether the program runs its own server.
func (c ClickHouse) Managed() bool { return c.Address == "" }

// PasswordSource says where the password comes from: the environment
// variable when it is set, then the password key, then the password file.
// It returns the password when it is given inline or by the environment, and
// the file to read (or create, for the managed server) otherwise.
func (c ClickHouse) PasswordSource() (password, file string) {
	if c.PasswordEnv != "" {
		if p, ok := os.LookupEnv(c.PasswordEnv); ok {
			return p, ""
		}
	}
	if c.Password != "" {
		return c.Password, ""
	}
	return "", c.PasswordFile
}

// Service configures a long-running `bassins serve`.
type Service struct {
	// ShutdownGrace is how long running jobs get to end after SIGTERM
	// before they are cancelled; a second signal stops at once.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// WatchInbox ingests a delivered file as soon as it is complete, rather
	// than at the next scheduled ingest.
	WatchInbox bool `yaml:"watch_inbox"`
	// Settle is how long a file's size must stay the same to be complete.
	Settle time.Duration `yaml:"settle"`
	// LeaseCheck is how often a process that does not schedule checks
	// whether the scheduling process is gone, to take over.
	LeaseCheck time.Duration `yaml:"lease_check"`
	// Heartbeat is how often a running job says it goes on; a run
	// without heartbeat for 3 periods is marked interrupted.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// MaxComputationAge makes /readyz answer 503 when the last computation
	// is older; 0 does not check.
	MaxComputationAge time.Duration `yaml:"max_computation_age"`
	// CatchUp runs, at start, the jobs whose scheduled runs were missed
	// while no process ran: once per job.
	CatchUp bool `yaml:"catch_up"`
}

// Retention says how long the maintenance job keeps history, in days; 0
// keeps it for ever.
type Retention struct {
	RunsDays       int `yaml:"runs_days"`
	QuarantineDays int `yaml:"quarantine_days"`
	// ValuesDays keeps the values of earlier computations; the latest one
	// is always kept.
	ValuesDays int `yaml:"values_days"`
}

// Alerts says where alerts go.
type Alerts struct {
	// WebhookURL receives a JSON POST per incident and per recovery;
	// empty sends none.
	WebhookURL string `yaml:"webhook_url"`
	// WebhookURLEnv names an environment variable holding the URL (it may
	// carry a token); it wins over WebhookURL.
	WebhookURLEnv string `yaml:"webhook_url_env"`
}

// Webhook returns the webhook URL, from the environment when named and set.
func (a Alerts) Webhook() string {
	if a.WebhookURLEnv != "" {
		if u, ok := os.LookupEnv(a.WebhookURLEnv); ok {
			return u
		}
	}
	return a.WebhookURL
}

// Paths are the folders the program reads and writes.
type Paths struct {
	// Inbox is where deliveries arrive; source globs are relative to it.
	Inbox string `yaml:"inbox"`
	// Reports is where rendered reports are written.
	Reports string `yaml:"reports"`
	// State holds locks and other small files of the running program.
	State string `yaml:"state"`
}

// Privacy holds the pseudonymisation secret's location and the suppression
// threshold.
type Privacy struct {
	// KeyEnv names an environment variable holding the pseudonymisation
	// secret; it wins over KeyFile.
	KeyEnv string `yaml:"key_env"`
	// KeyFile holds the secret; created with a random secret when missing.
	// Keep it outside the warehouse's data and back it up: without it, new
	// deliveries no longer link to the persons already stored.
	KeyFile string `yaml:"key_file"`
	// MinCount is the smallest count published; smaller ones are suppressed.
	MinCount int `yaml:"min_count"`
}

// Reports configures the periodic reports.
type Reports struct {
	Languages []string `yaml:"languages"`
}

// Job kinds.
const (
	KindIngest      = "ingest"
	KindCompute     = "compute"
	KindReport      = "report"
	KindMaintenance = "maintenance"
)

// Job is a scheduled job.
type Job struct {
	Name string `yaml:"name"`
	// Kind is what the job does: ingest, compute, report or maintenance.
	Kind string `yaml:"kind"`
	// Schedule is a cron spec (minute hour day-of-month month day-of-week)
	// in the configured time zone, or a descriptor such as @hourly.
	Schedule string `yaml:"schedule"`
	// Retries is how many times a failed run is tried again.
	Retries int `yaml:"retries"`
	// Backoff is the wait before the first retry; it doubles each time.
	Backoff time.Duration `yaml:"backoff"`
	// Timeout cancels a run that lasts longer; 0: no deadline.
	Timeout time.Duration `yaml:"timeout"`
}

// Job returns the named job.
func (c *Config) Job(name string) (Job, bool) {
	for _, j := range c.Jobs {
		if j.Name == name {
			return j, true
		}
	}
	return Job{}, false
}

// Location returns the configured time zone.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC // Validate has already rejected an unknown zone
	}
	return loc
}

func defaults() Config {
	return Config{
		ClickHouse: ClickHouse{Database: "bassins", User: "default", PasswordEnv: "BASSINS_CLICKHOUSE_PASSWORD",
			PasswordFile: "var/secret/clickhouse.password", DataDir: "var/clickhouse"},
		Paths:    Paths{Inbox: "var/inbox", Reports: "var/reports", State: "var/state"},
		Privacy:  Privacy{KeyEnv: "BASSINS_PSEUDONYM_KEY", KeyFile: "var/secret/pseudonym.key", MinCount: 5},
		Timezone: "Europe/Brussels",
		Reports:  Reports{Languages: []string{"fr", "nl"}},
		Service: Service{ShutdownGrace: 30 * time.Second, WatchInbox: true, Settle: 2 * time.Second,
			LeaseCheck: 5 * time.Second, Heartbeat: 15 * time.Second, CatchUp: true},
		Retention: Retention{RunsDays: 400, QuarantineDays: 400, ValuesDays: 90},
		Alerts:    Alerts{WebhookURLEnv: "BASSINS_ALERT_WEBHOOK"},
	}
}

// Problem is one mistake in a configuration file.
type Problem struct {
	File    string
	Line    int
	Path    string
	Message string
}

func (p Problem) String() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Path, p.Message)
	}
	return fmt.Sprintf("%s: %s", loc, p.Message)
}

// Error lists every problem found in a configuration.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "config: " + strings.Join(lines, "\nconfig: ")
}

// LoadFile reads a configuration file; an empty path reads the default.
func LoadFile(path string) (*Config, error) {
	if path == "" {
		return Parse(DefaultName, Default)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

var (
	lineInMessage = regexp.MustCompile(`^line (\d+): (.*)$`)
	anyLine       = regexp.MustCompile(`line (\d+)`)
)

// Parse decodes and validates a configuration; name is used in messages.
func Parse(name string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{[]Problem{yamlProblem(name, err.Error())}}
	}
	cfg := defaults()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && err != io.EOF { // an empty document keeps the defaults
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var ps []Problem
			for _, m := range te.Errors {
				ps = append(ps, yamlProblem(name, m))
			}
			return nil, &Error{ps}
		}
		return nil, &Error{[]Problem{yamlProblem(name, err.Error())}}
	}
	cfg.File = name
	if ps := cfg.validate(); len(ps) > 0 {
		for i := range ps {
			if ps[i].File != "" {
				continue // a problem in another file (a catalogue file), placed there
			}
			ps[i].File = name
			ps[i].Line = lineOf(&root, ps[i].Path)
		}
		return nil, &Error{ps}
	}
	return &cfg, nil
}

func yamlProblem(name, msg string) Problem {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := lineInMessage.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{File: name, Line: n, Message: strings.Replace(m[2], "not found in type", "is unknown in", 1)}
	}
	// Syntax errors name the line where the parser gave up last.
	if all := anyLine.FindAllStringSubmatch(msg, -1); all != nil {
		n, _ := strconv.Atoi(all[len(all)-1][1])
		return Problem{File: name, Line: n, Message: msg}
	}
	return Problem{File: name, Message: msg}
}

var (
	jobName    = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

// CronParser parses job schedules: five fields or a descriptor.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (c *Config) validate() []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	ch := c.ClickHouse
	if !identifier.MatchString(ch.Database) {
		add("clickhouse.database", "%q is not a valid database name (letters, digits and _)", ch.Database)
	}
	if ch.Address != "" {
		if _, port, err := net.SplitHostPort(ch.Address); err != nil || port == "" {
			add("clickhouse.address", "%q is not host:port", ch.Address)
		}
	} else {
		if ch.DataDir == "" {
			add("clickhouse.data_dir", "a folder is required for the managed server")
		}
		if ch.PasswordEnv == "" && ch.Password == "" && ch.PasswordFile == "" {
			add("clickhouse.password_file", "the managed server needs a password: give password_file (created at first start), password_env or password")
		}
		if ch.PasswordFile != "" && ch.DataDir != "" && inside(ch.PasswordFile, ch.DataDir) {
			add("clickhouse.password_file", "%s is inside data_dir %s: keep the password outside the server's folder", ch.PasswordFile, ch.DataDir)
		}
	}
	if ch.Cluster != "" {
		if !identifier.MatchString(ch.Cluster) {
			add("clickhouse.cluster", "%q is not a valid cluster name (letters, digits and _)", ch.Cluster)
		}
		if ch.Address == "" {
			add("clickhouse.cluster", "a cluster needs the address of one of its servers in clickhouse.address")
		}
	}
	if ch.HTTPPort < 0 || ch.HTTPPort > 65535 {
		add("clickhouse.http_port", "%d is not a port (0 keeps the HTTP interface closed)", ch.HTTPPort)
	}
	sv := c.Service
	for key, d := range map[string]time.Duration{"shutdown_grace": sv.ShutdownGrace, "settle": sv.Settle,
		"lease_check": sv.LeaseCheck, "heartbeat": sv.Heartbeat, "max_computation_age": sv.MaxComputationAge} {
		if d < 0 {
			add("service."+key, "must not be negative, not %s", d)
		}
	}
	if sv.LeaseCheck == 0 {
		add("service.lease_check", "must be more than 0, e.g. 5s")
	}
	if sv.Heartbeat == 0 {
		add("service.heartbeat", "must be more than 0, e.g. 15s")
	}
	for key, days := range map[string]int{"runs_days": c.Retention.RunsDays, "quarantine_days": c.Retention.QuarantineDays,
		"values_days": c.Retention.ValuesDays} {
		if days < 0 {
			add("retention."+key, "must be 0 (keep for ever) or a number of days, not %d", days)
		}
	}
	if u := c.Alerts.WebhookURL; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		add("alerts.webhook_url", "%q is not an http(s) URL", u)
	}
	if c.Paths.Inbox == "" {
		add("paths.inbox", "a folder is required")
	}
	if c.Paths.Reports == "" {
		add("paths.reports", "a folder is required")
	}
	if c.Paths.State == "" {
		add("paths.state", "a folder is required")
	}
	readable := []catalogue.File{catalogue.Default()}
	for i, f := range c.Indicators.Files {
		data, err := os.ReadFile(f)
		if err != nil {
			add(fmt.Sprintf("indicators.files[%d]", i), "cannot read %s: %v", f, errors.Unwrap(err))
			continue
		}
		readable = append(readable, catalogue.File{Name: f, Data: data})
	}
	if _, err := catalogue.Load(readable...); err != nil {
		var ce *catalogue.Error
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				msg := p.Message
				if p.ID != "" {
					msg = "indicator " + p.ID + ": " + msg
				}
				ps = append(ps, Problem{File: p.File, Line: p.Line, Message: msg})
			}
		}
	}
	if c.Privacy.MinCount < 1 {
		add("privacy.min_count", "must be 1 or more, not %d", c.Privacy.MinCount)
	}
	if c.Privacy.KeyEnv == "" && c.Privacy.KeyFile == "" {
		add("privacy", "key_env or key_file is required for pseudonymisation")
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" {
		add("timezone", "%q is not a known time zone", c.Timezone)
	}
	for i, l := range c.Reports.Languages {
		if l != "fr" && l != "nl" {
			add(fmt.Sprintf("reports.languages[%d]", i), "%q is not a report language (fr, nl)", l)
		}
	}
	for key, path := range map[string]string{"communes": c.Geography.Communes, "bassins": c.Geography.Bassins,
		"bruxelles_ville_split": c.Geography.Split, "bruxelles_ville_population": c.Geography.SplitPopulation,
		"postcodes": c.Geography.Postcodes} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			add("geography."+key, "cannot read %s: %v", path, errors.Unwrap(err))
		}
	}
	// The population may be several files, each a path or a glob pattern.
	for i, path := range c.Geography.Population {
		at := "geography.population"
		if len(c.Geography.Population) > 1 {
			at = fmt.Sprintf("geography.population[%d]", i)
		}
		if !geography.IsPattern(path) {
			if _, err := os.Stat(path); err != nil {
				add(at, "cannot read %s: %v", path, errors.Unwrap(err))
			}
			continue
		}
		if matches, err := filepath.Glob(path); err != nil {
			add(at, "%q is not a valid file pattern: %v", path, err)
		} else if len(matches) == 0 {
			add(at, "no file matches %s", path)
		}
	}

	seenJobs := map[string]bool{}
	for i, j := range c.Jobs {
		at := fmt.Sprintf("jobs[%d]", i)
		if !jobName.MatchString(j.Name) {
			add(at+".name", "%q is not a valid job name (lower-case letters, digits, - and _)", j.Name)
		} else if seenJobs[j.Name] {
			add(at+".name", "job %q is declared twice", j.Name)
		}
		seenJobs[j.Name] = true
		switch j.Kind {
		case KindIngest, KindCompute, KindReport, KindMaintenance:
		default:
			add(at+".kind", "unknown job kind %q (ingest, compute, report, maintenance)", j.Kind)
		}
		if j.Retries < 0 || j.Retries > 20 {
			add(at+".retries", "must be between 0 and 20, not %d", j.Retries)
		}
		if j.Backoff < 0 {
			add(at+".backoff", "must not be negative, not %s", j.Backoff)
		}
		if j.Timeout < 0 {
			add(at+".timeout", "must not be negative, not %s", j.Timeout)
		}
		if _, err := CronParser.Parse(j.Schedule); err != nil {
			add(at+".schedule", "%q is not a cron schedule: %v", j.Schedule, err)
		}
	}

	seenSources := map[string]bool{}
	for i := range c.Sources {
		s := &c.Sources[i]
		at := fmt.Sprintf("sources[%d]", i)
		if seenSources[s.Name] {
			add(at+".name", "source %q is declared twice", s.Name)
		}
		seenSources[s.Name] = true
		// LoadCodeTables checks the codes of the code tables' lines itself,
		// naming each line, and leaves out of the map those with a problem:
		// Validate's check of the map then only ever reports inline entries.
		for _, p := range s.LoadCodeTables() {
			add(at+"."+p.Path, "%s", p.Message)
		}
		for _, p := range s.Validate() {
			add(at+"."+p.Path, "%s", p.Message)
		}
	}
	return ps
}

// inside reports whether path lies in dir (both relative to the same
// folder, or absolute).
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// lineOf finds the line of a path such as "jobs[1].schedule" in the document,
// falling back to the nearest existing parent.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, seg := range splitPath(path) {
		var next *yaml.Node
		if idx, err := strconv.Atoi(seg); err == nil && n.Kind == yaml.SequenceNode {
			if idx < len(n.Content) {
				next = n.Content[idx]
			}
		} else if n.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(n.Content); k += 2 {
				if n.Content[k].Value == seg {
					line = n.Content[k].Line
					next = n.Content[k+1]
					break
				}
			}
		}
		if next == nil {
			return line
		}
		if n.Kind == yaml.SequenceNode {
			line = next.Line
		}
		n = next
	}
	return line
}

func splitPath(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				out = append(out, part)
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part, ']')
			if j < i {
				break
			}
			out = append(out, part[i+1:j])
			part = part[j+1:]
		}
	}
	return out
}
