package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/tenantrouter/tenantplugin/tenant"
)

const (
	// pollInterval is the pause between two queries of /wait and
	// /wait-gone.
	pollInterval = 200 * time.Microsecond
	// defaultWait and maxWait bound the timeout parameter of the waits.
	defaultWait = 2 * time.Second
	maxWait     = time.Minute
)

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /where", a.handleWhere)
	mux.HandleFunc("GET /wait", a.handleWait)
	mux.HandleFunc("GET /wait-gone", a.handleWaitGone)
	mux.HandleFunc("GET /stats", a.handleStats)
	return mux
}

// where runs SELECT current_database() through the plugin as tenant.
func (a *app) where(ctx context.Context, id string) (string, error) {
	var name string
	err := a.db.WithContext(tenant.NewContext(ctx, id)).
		Raw("SELECT current_database()").Row().Scan(&name)
	return name, err
}

type whereReply struct {
	Tenant   string `json:"tenant"`
	Database string `json:"database,omitempty"`
	Error    string `json:"error,omitempty"`
}

func (a *app) handleWhere(w http.ResponseWriter, r *http.Request) {
	tenant := r.URL.Query().Get("tenant")
	db, err := a.where(r.Context(), tenant)
	if err != nil {
		writeJSON(w, statusOf(err), whereReply{Tenant: tenant, Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, whereReply{Tenant: tenant, Database: db})
}

// waitReply is the answer of /wait and /wait-gone.
type waitReply struct {
	Tenant string `json:"tenant"`
	// AtUnixNano is when a query first returned the awaited answer.
	AtUnixNano int64 `json:"at_unix_nano,omitempty"`
	// KnownUnixNano is when the resolver was first seen to know the
	// tenant during the wait (for an added tenant: before its pool
	// opened).
	KnownUnixNano int64  `json:"known_unix_nano,omitempty"`
	Tries         int    `json:"tries"`
	LastDatabase  string `json:"last_database,omitempty"`
	Error         string `json:"error,omitempty"`
}

// handleWait waits until a query for tenant returns database.
func (a *app) handleWait(w http.ResponseWriter, r *http.Request) {
	tenant, want := r.URL.Query().Get("tenant"), r.URL.Query().Get("database")
	if want == "" {
		writeJSON(w, http.StatusBadRequest, waitReply{Tenant: tenant, Error: "missing database parameter"})
		return
	}
	a.poll(w, r, tenant, func(db string, err error) bool { return err == nil && db == want })
}

// handleWaitGone waits until tenant is unknown.
func (a *app) handleWaitGone(w http.ResponseWriter, r *http.Request) {
	a.poll(w, r, r.URL.Query().Get("tenant"), func(_ string, err error) bool {
		return errors.Is(err, tenant.ErrUnknown)
	})
}

// poll queries as tenant every pollInterval until done says so or the
// timeout parameter expires (504).
func (a *app) poll(w http.ResponseWriter, r *http.Request, id string, done func(string, error) bool) {
	timeout := defaultWait
	if s := r.URL.Query().Get("timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > maxWait {
			writeJSON(w, http.StatusBadRequest, waitReply{Tenant: id, Error: "timeout: a duration in (0, 1m]"})
			return
		}
		timeout = d
	}
	if err := tenant.ValidateID(id); err != nil {
		writeJSON(w, http.StatusBadRequest, waitReply{Tenant: id, Error: err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	reply := waitReply{Tenant: id}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		if reply.KnownUnixNano == 0 && a.res.Has(id) {
			reply.KnownUnixNano = time.Now().UnixNano()
		}
		db, err := a.where(ctx, id)
		reply.Tries++
		if done(db, err) {
			reply.AtUnixNano = time.Now().UnixNano()
			reply.LastDatabase = db
			writeJSON(w, http.StatusOK, reply)
			return
		}
		if ctx.Err() == nil { // keep the last answer before the timeout
			reply.LastDatabase = db
			reply.Error = ""
			if err != nil {
				reply.Error = err.Error()
			}
		}
		timer.Reset(pollInterval)
		select {
		case <-ctx.Done():
			reply.Error = "gave up after " + timeout.String() + "; last error: " + reply.Error
			writeJSON(w, http.StatusGatewayTimeout, reply)
			return
		case <-timer.C:
		}
	}
}

type statsReply struct {
	Load    loadStats  `json:"load"`
	Sync    syncStats  `json:"sync"`
	Tenants []string   `json:"tenants"`
	Pools   poolsStats `json:"pools"`
}

// syncStats is tenantsync.Stats with JSON names.
type syncStats struct {
	Tenants     int    `json:"tenants"`
	Applied     uint64 `json:"applied"`
	Refused     uint64 `json:"refused"`
	Stale       uint64 `json:"stale"`
	StaleReads  uint64 `json:"stale_reads"`
	Resyncs     uint64 `json:"resyncs"`
	EmptyStore  uint64 `json:"empty_store"`
	LastVersion uint64 `json:"last_version"`
	Corrected   uint64 `json:"corrected"`
}

type poolsStats struct {
	Open        int    `json:"open"`
	Opened      uint64 `json:"opened"`
	Swapped     uint64 `json:"swapped"`
	Evicted     uint64 `json:"evicted"`
	ConnsInUse  int    `json:"conns_in_use"`
	MaxConns    int    `json:"max_conns"`
	BudgetWaits uint64 `json:"budget_waits"`
}

func (a *app) handleStats(w http.ResponseWriter, _ *http.Request) {
	s := a.syncer.Stats()
	rs := a.res.Stats()
	tenants := a.res.Tenants()
	slices.Sort(tenants)
	writeJSON(w, http.StatusOK, statsReply{
		Load:    a.load.snapshot(),
		Sync:    syncStats(s),
		Tenants: tenants,
		Pools: poolsStats{
			Open: rs.OpenPools, Opened: rs.Opened, Swapped: rs.Swapped, Evicted: rs.Evicted,
			ConnsInUse: rs.ConnsInUse, MaxConns: rs.MaxConns, BudgetWaits: rs.BudgetWaits,
		},
	})
}

// statusOf maps a query error to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, tenant.ErrUnknown):
		return http.StatusNotFound
	case errors.Is(err, tenant.ErrInvalidID), errors.Is(err, tenant.ErrMissing):
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("write reply", slog.String("error", err.Error()))
	}
}
