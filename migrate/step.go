package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// A Step is what a migration does on each database: [Models] (GORM's
// AutoMigrate), [Func] (the application's own function), [Goose]
// (versioned SQL migrations) or a [Sequence] of them. Each records what
// it applied in the database's ledger ([LedgerTable]), so that a re-run
// with nothing to do costs one query per database.
type Step interface {
	// prepare reads what the step needs once per run: the models' plan,
	// the migration files.
	prepare(ctx context.Context, db *gorm.DB) (prepared, error)
}

// prepared is a Step ready to run on databases.
type prepared interface {
	// aliases returns the reserved databases the step runs on, sorted.
	aliases() []string
	// onTenants tells whether the step runs on tenant databases.
	onTenants() bool
	// apply runs the step on t, unless its ledger says it is done, and
	// returns what happened, with a detail for the report ("" if none).
	apply(ctx context.Context, t target) (Status, string, error)
	// check tells whether t is behind, changing nothing.
	check(ctx context.Context, t target) (Status, string, error)
	// describe lists what the step does on the reserved alias, or on
	// each tenant for "".
	describe(alias string) []string
	// names returns the step's names in the ledger.
	names() []string
}

// target is one database a step runs on.
type target struct {
	// reserved is the reserved database's alias, "" for a tenant's.
	reserved string
	// db reaches the database: the application's *gorm.DB with the
	// tenant in its context, with exprs (a reserved.Use clause) for a
	// reserved database, or a plain *gorm.DB opened on the database.
	db    *gorm.DB
	exprs []clause.Expression
	// sqlDB returns the database's *sql.DB, to be released after use.
	sqlDB func(ctx context.Context) (*sql.DB, func(), error)
	// known is what the ledger held before the steps ran, nil if unread.
	known map[string]string
	// direct tells that db is a plain *gorm.DB opened on the database
	// (ApplyTo's), not the application's.
	direct bool
}

func (t target) ledger() ledger { return ledger{db: t.db, exprs: t.exprs, known: t.known} }

// Sequence returns a Step that runs steps in order on each database. A
// database's result is failed as soon as one step fails there (its
// later steps do not run), migrated when any step migrated it, and up to
// date otherwise. Each step keeps its own row in the ledger.
func Sequence(steps ...Step) Step { return sequence(steps) }

type sequence []Step

type preparedSequence []prepared

func (s sequence) prepare(ctx context.Context, db *gorm.DB) (prepared, error) {
	if len(s) == 0 {
		return nil, fmt.Errorf("%w: Sequence(): give at least one step", ErrInvalidStep)
	}
	out := make(preparedSequence, 0, len(s))
	for i, st := range s {
		if st == nil {
			return nil, fmt.Errorf("%w: Sequence: step %d is nil", ErrInvalidStep, i)
		}
		p, err := st.prepare(ctx, db)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	seen := map[string]bool{}
	for _, name := range out.names() {
		if seen[name] {
			return nil, fmt.Errorf("%w: Sequence: two steps are named %q in the ledger; each step of a sequence needs its own name (one Models, one Goose, Funcs with distinct names)", ErrInvalidStep, name)
		}
		seen[name] = true
	}
	return out, nil
}

func (s preparedSequence) names() []string {
	var out []string
	for _, p := range s {
		out = append(out, p.names()...)
	}
	return out
}

func (s preparedSequence) aliases() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range s {
		for _, a := range p.aliases() {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (s preparedSequence) onTenants() bool {
	for _, p := range s {
		if p.onTenants() {
			return true
		}
	}
	return false
}

// concerns tells whether p runs on the reserved alias, or on the
// tenants for "".
func concerns(p prepared, alias string) bool {
	if alias == "" {
		return p.onTenants()
	}
	for _, a := range p.aliases() {
		if a == alias {
			return true
		}
	}
	return false
}

func (s preparedSequence) apply(ctx context.Context, t target) (Status, string, error) {
	return s.each(t, func(p prepared) (Status, string, error) { return p.apply(ctx, t) })
}

func (s preparedSequence) check(ctx context.Context, t target) (Status, string, error) {
	return s.each(t, func(p prepared) (Status, string, error) { return p.check(ctx, t) })
}

// each runs fn for the steps that concern t's database, and folds their
// statuses: failed stops; behind or migrated wins over up to date.
func (s preparedSequence) each(t target, fn func(prepared) (Status, string, error)) (Status, string, error) {
	status := StatusUpToDate
	var details []string
	for _, p := range s {
		if !concerns(p, t.reserved) {
			continue
		}
		st, detail, err := fn(p)
		if detail != "" {
			details = append(details, detail)
		}
		if err != nil {
			return StatusFailed, strings.Join(details, "; "), err
		}
		if st != StatusUpToDate {
			status = st
		}
	}
	return status, strings.Join(details, "; "), nil
}

func (s preparedSequence) describe(alias string) []string {
	var out []string
	for _, p := range s {
		if concerns(p, alias) {
			out = append(out, p.describe(alias)...)
		}
	}
	return out
}
