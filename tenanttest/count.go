package tenanttest

import (
	"database/sql/driver"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/drvwrap"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Counts is the number of statements each database of an [Env] has
// received: every statement, prepare and BEGIN sent on a connection,
// counted by a wrapper around the database/sql driver, below GORM and the
// plugin. Pings are not counted.
type Counts struct {
	// Tenants counts by tenant id. A database the Env did not make (a
	// tenant set on the resolver by hand) is counted under its name.
	Tenants map[string]int64
	// Reserved counts by reserved alias; [tenantplugin.DefaultAlias] is
	// the database Env.DB was opened with.
	Reserved map[string]int64
}

// Total returns the number of statements all databases received.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c.Tenants {
		n += v
	}
	for _, v := range c.Reserved {
		n += v
	}
	return n
}

// Sub returns c minus before, database by database, leaving out those
// whose count did not change.
func (c Counts) Sub(before Counts) Counts {
	diff := func(now, then map[string]int64) map[string]int64 {
		out := map[string]int64{}
		for k, v := range now {
			if d := v - then[k]; d != 0 {
				out[k] = d
			}
		}
		return out
	}
	return Counts{Tenants: diff(c.Tenants, before.Tenants), Reserved: diff(c.Reserved, before.Reserved)}
}

// String lists the counts that are not zero, in order: "tenant-1=3
// reserved:default=1".
func (c Counts) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c.Tenants)) {
		if c.Tenants[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, c.Tenants[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Reserved)) {
		if c.Reserved[k] != 0 {
			parts = append(parts, fmt.Sprintf("reserved:%s=%d", k, c.Reserved[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// cell counts the statements of one database.
type cell struct {
	reserved bool   // label is a reserved alias, else a tenant id
	label    string // tenant id, alias, or database name when unknown
	n        atomic.Int64
}

// sent is one statement seen while a recording runs.
type sent struct {
	where string
	query string
}

// maxRecorded bounds the statements a recording keeps for its report.
const maxRecorded = 10

// recording keeps the first statements sent while it runs.
type recording struct {
	mu    sync.Mutex
	seen  []sent
	total int
}

func (r *recording) add(where, query string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	if len(r.seen) < maxRecorded {
		r.seen = append(r.seen, sent{where, query})
	}
}

// counter counts statements per database, keyed by the database's name
// (a PostgreSQL database name or a SQLite file).
type counter struct {
	mu    sync.Mutex
	cells map[string]*cell
	rec   atomic.Pointer[recording]
}

func newCounter() *counter { return &counter{cells: map[string]*cell{}} }

// label names database name as a tenant's or a reserved alias's. It is
// called before any connection to the database opens.
func (c *counter) label(name, label string, reserved bool) *cell {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := &cell{reserved: reserved, label: label}
	c.cells[name] = cl
	return cl
}

// cell returns the cell of database name, making one labelled by the
// name itself when the database is unknown.
func (c *counter) cell(name string) *cell {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.cells[name]
	if !ok {
		cl = &cell{label: name}
		c.cells[name] = cl
	}
	return cl
}

// wrap counts every statement of the connections conn makes in cl.
func (c *counter) wrap(cl *cell, conn driver.Connector) driver.Connector {
	where := cl.label
	if cl.reserved {
		where = "reserved:" + where
	}
	return drvwrap.Connector(conn, drvwrap.Hooks{Statement: func(q string) {
		cl.n.Add(1)
		if r := c.rec.Load(); r != nil {
			r.add(where, q)
		}
	}})
}

// counts reads every cell.
func (c *counter) counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Counts{Tenants: map[string]int64{}, Reserved: map[string]int64{}}
	for _, cl := range c.cells {
		if cl.reserved {
			out.Reserved[cl.label] += cl.n.Load()
		} else {
			out.Tenants[cl.label] += cl.n.Load()
		}
	}
	return out
}

// reset sets every count to zero.
func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cl := range c.cells {
		cl.n.Store(0)
	}
}

// record starts keeping the statements sent until stop is called. One
// recording runs at a time per counter.
func (c *counter) record() (stop func() *recording) {
	r := &recording{}
	c.rec.Store(r)
	return func() *recording {
		c.rec.CompareAndSwap(r, nil)
		return r
	}
}

// countingDriver wraps the resolver's driver so that each tenant
// database's statements are counted. It keeps the inner driver's name
// and, through WithDialector, its handling of the *gorm.DB's dialector.
type countingDriver struct {
	inner resolver.DialectorDriver
	c     *counter
}

func (d countingDriver) Name() string { return d.inner.Name() }

func (d countingDriver) Connector(tmpl string, src tenantconfig.DataSource) (driver.Connector, error) {
	conn, err := d.inner.Connector(tmpl, src)
	if err != nil {
		return nil, err
	}
	name := src.Name
	if src.DSN != "" {
		name = "dsn" // never the DSN itself: it may hold a password
	}
	return d.c.wrap(d.c.cell(name), conn), nil
}

func (d countingDriver) WithDialector(gd gorm.Dialector) (resolver.DialectorDriver, error) {
	next, err := d.inner.WithDialector(gd)
	if err != nil {
		return nil, err
	}
	return countingDriver{inner: next, c: d.c}, nil
}

var (
	_ dbdriver.Driver          = countingDriver{}
	_ resolver.DialectorDriver = countingDriver{}
)
