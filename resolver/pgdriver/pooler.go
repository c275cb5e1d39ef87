package pgdriver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrPreparedThroughPooler is returned (wrapped) for a data source that
// declares a transaction-mode pooler (pgbouncer=transaction) while its
// connections would keep prepared statements on the server: the pooler
// hands a server session to other clients between transactions, which
// then find statements they never prepared, or miss their own.
var ErrPreparedThroughPooler = errors.New("pgdriver: prepared statements through a transaction-mode pooler")

// Parameters this driver reads from a DSN, or a tenant's params, and
// never sends to the server.
const (
	// PoolerParam declares how the database is reached: "transaction"
	// or "statement" through PgBouncer (or a pooler like it) in that
	// pool mode, "session" through one in session mode. See the package
	// documentation.
	PoolerParam = "pgbouncer"
	// execModeParam is pgx's own DSN parameter; as a tenant's param it
	// sets the mode of that tenant's connections.
	execModeParam = "default_query_exec_mode"
)

// execModes are pgx's names of its query exec modes, as its DSN
// parameter default_query_exec_mode spells them.
var execModes = map[string]pgx.QueryExecMode{
	"cache_statement": pgx.QueryExecModeCacheStatement,
	"cache_describe":  pgx.QueryExecModeCacheDescribe,
	"describe_exec":   pgx.QueryExecModeDescribeExec,
	"exec":            pgx.QueryExecModeExec,
	"simple_protocol": pgx.QueryExecModeSimpleProtocol,
}

// pooler is what a data source declares of the pooler in front of it.
type pooler struct {
	mode string // "", "session", "transaction" or "statement"
}

// parsePooler checks a pgbouncer= value.
func parsePooler(v string) (pooler, error) {
	switch v {
	case "session", "transaction", "statement":
		return pooler{mode: v}, nil
	}
	return pooler{}, fmt.Errorf("pgdriver: %s=%s: want transaction, statement or session (the pool mode of the PgBouncer in front of the database)",
		PoolerParam, strconv.Quote(v))
}

// takePooler removes the pgbouncer parameter from params (pgx puts the
// DSN's unknown parameters there, and the server would refuse it) and
// returns what it declared; ok is false when params has none.
func takePooler(params map[string]string) (p pooler, ok bool, err error) {
	for k, v := range params {
		if strings.EqualFold(k, PoolerParam) {
			delete(params, k)
			p, err = parsePooler(v)
			return p, true, err
		}
	}
	return pooler{}, false, nil
}

// takeExecMode removes default_query_exec_mode from a tenant's params
// and returns the mode it names; ok is false when params has none.
func takeExecMode(params map[string]string) (m pgx.QueryExecMode, ok bool, err error) {
	for k, v := range params {
		if strings.EqualFold(k, execModeParam) {
			delete(params, k)
			m, known := execModes[v]
			if !known {
				return 0, true, fmt.Errorf("pgdriver: param %s=%s: want cache_statement, cache_describe, describe_exec, exec or simple_protocol",
					execModeParam, strconv.Quote(v))
			}
			return m, true, nil
		}
	}
	return 0, false, nil
}

// transactional reports whether the pooler may hand the connection's
// server session to another client between transactions.
func (p pooler) transactional() bool { return p.mode == "transaction" || p.mode == "statement" }

// unprepared reports whether connections in mode, behind p, must keep
// no prepared statement on the server: behind a transaction-mode
// pooler, and when the mode prepares nothing itself (a statement cache
// of the resolver would prepare them anyway). It refuses modes that
// keep statements on the server behind a transaction-mode pooler:
// cache_statement (named statements), and describe_exec (the unnamed
// statement it prepares in one round trip is executed in the next, maybe
// on another server session).
func (p pooler) unprepared(mode pgx.QueryExecMode) (bool, error) {
	if !p.transactional() {
		return mode == pgx.QueryExecModeSimpleProtocol || mode == pgx.QueryExecModeExec, nil
	}
	switch mode {
	case pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeCacheDescribe:
		return true, nil
	}
	return false, fmt.Errorf("%w: %s=%s, but the connections use pgx's default_query_exec_mode %s, which keeps statements prepared on a server session the pooler hands to other clients: set PreferSimpleProtocol: true on the gorm.io/driver/postgres dialector, or default_query_exec_mode=simple_protocol (or exec) in the DSN or the tenant's params",
		ErrPreparedThroughPooler, PoolerParam, p.mode, modeName(mode))
}

// modeName is the DSN spelling of mode.
func modeName(mode pgx.QueryExecMode) string {
	for name, m := range execModes {
		if m == mode {
			return name
		}
	}
	return mode.String()
}
