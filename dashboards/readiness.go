package dashboards

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Readiness is the state of the warehouse behind the dashboards, as /readyz
// reports it.
type Readiness struct {
	// ServerVersion is the version of the database server.
	ServerVersion string
	// MigrationsApplied and MigrationsKnown count the schema migrations the
	// warehouse has applied and the ones this build knows of;
	// PendingMigrations names those not applied yet.
	MigrationsApplied, MigrationsKnown int
	PendingMigrations                  []string
	// LastComputedAt is when the latest indicators were computed; zero
	// when nothing has been computed yet.
	LastComputedAt time.Time
}

// SchedulingStatus says which process runs the scheduled jobs.
type SchedulingStatus struct {
	// Scheduling is true when this process runs them.
	Scheduling bool
	// Holder names the process that runs them when it is not this one, such
	// as "host 1234"; empty when unknown.
	Holder string
	// Since is when Holder took over the scheduling; zero when unknown.
	Since time.Time
}

// Problems /readyz lists when it answers "unready".
const (
	problemUnreachable = "warehouse_unreachable"
	problemMigrations  = "migrations_pending"
	problemNoComputed  = "no_computation"
	problemTooOld      = "computation_too_old"
)

// readyReport is the body of /readyz.
type readyReport struct {
	Status    string `json:"status"`
	Warehouse struct {
		Reachable bool   `json:"reachable"`
		Version   string `json:"version"`
	} `json:"warehouse"`
	Migrations struct {
		Applied int      `json:"applied"`
		Known   int      `json:"known"`
		Pending []string `json:"pending"`
	} `json:"migrations"`
	LastComputation struct {
		// At and AgeSeconds are null when nothing has been computed.
		At            *string `json:"at"`
		AgeSeconds    *int64  `json:"age_seconds"`
		MaxAgeSeconds int64   `json:"max_age_seconds,omitempty"`
	} `json:"last_computation"`
	Problems []string `json:"problems"`
}

// readiness asks the warehouse how it is: through Options.Ready, or by
// reading the snapshot when there is none.
func (s *Server) readiness(ctx context.Context) (Readiness, error) {
	ctx, cancel := s.storeContext(ctx)
	defer cancel()
	if s.ready != nil {
		return s.ready(ctx)
	}
	snap, err := s.store.Snapshot(ctx)
	if err != nil {
		return Readiness{}, err
	}
	var rd Readiness
	if !isEmpty(snap) {
		rd.LastComputedAt = snap.ComputedAt
	}
	return rd, nil
}

// serveReady answers 200 when the warehouse is reachable, has every
// migration applied and, when MaxComputationAge is set, holds a recent
// enough computation; 503 otherwise. The warehouse's error is logged, never
// shown: it may name internal addresses.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rd, err := s.readiness(ctx)
	var rep readyReport
	rep.Migrations.Pending = []string{}
	rep.Problems = []string{}
	if err != nil {
		s.noteFailure(ctx, "readiness", err)
		rep.Problems = append(rep.Problems, problemUnreachable)
		// What the pages show is still known.
		rd = Readiness{}
		s.mu.Lock()
		if !isEmpty(s.last) {
			rd.LastComputedAt = s.last.ComputedAt
		}
		s.mu.Unlock()
	} else {
		s.noteRead(ctx)
		rep.Warehouse.Reachable = true
		rep.Warehouse.Version = rd.ServerVersion
		rep.Migrations.Applied = rd.MigrationsApplied
		rep.Migrations.Known = rd.MigrationsKnown
		if len(rd.PendingMigrations) > 0 {
			rep.Migrations.Pending = rd.PendingMigrations
			rep.Problems = append(rep.Problems, problemMigrations)
		}
	}
	if !rd.LastComputedAt.IsZero() {
		at := rd.LastComputedAt.UTC().Format(time.RFC3339)
		age := int64(s.now().Sub(rd.LastComputedAt) / time.Second)
		rep.LastComputation.At, rep.LastComputation.AgeSeconds = &at, &age
	}
	if s.maxAge > 0 {
		rep.LastComputation.MaxAgeSeconds = int64(s.maxAge / time.Second)
		switch {
		case rd.LastComputedAt.IsZero():
			rep.Problems = append(rep.Problems, problemNoComputed)
		case s.now().Sub(rd.LastComputedAt) > s.maxAge:
			rep.Problems = append(rep.Problems, problemTooOld)
		}
	}
	status := http.StatusOK
	rep.Status = "ready"
	if len(rep.Problems) > 0 {
		status = http.StatusServiceUnavailable
		rep.Status = "unready"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		s.log.DebugContext(ctx, "write readiness", "error", err)
	}
}
