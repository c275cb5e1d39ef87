package migrate

import (
	"context"
	"fmt"
	"sync"

	"gorm.io/gorm"
)

// Models returns the Step of GORM's AutoMigrate for models, each table
// on the database the plugin's strategies send it to (asked with
// [tenantplugin.OpMigrate]): a reserved alias's tables once on that
// alias, the others on every tenant. The tables GORM adds for
// associations (the models they point at, many2many join tables) are
// migrated too, where the strategies send them.
//
// Each database gets exactly the schema plain GORM makes for its tables,
// foreign keys and their ON DELETE and ON UPDATE actions included, but
// for the foreign keys that would point at a table of another database
// (a tenant's table referencing a central one): those are left out.
//
// The ledger records the step as [AutoMigrateStep] with a fingerprint of
// the schema planned for the database: a database whose ledger already
// has it is left alone, at the cost of one query. The others are
// migrated in one transaction holding the database's lock (a PostgreSQL
// advisory lock; SQLite's write lock), so that two runners never migrate
// the same database at once: the second waits, then finds the ledger up
// to date. A failed migration leaves the database as it was.
func Models(models ...any) Step { return modelsStep(models) }

type modelsStep []any

func (m modelsStep) prepare(ctx context.Context, db *gorm.DB) (prepared, error) {
	if len(m) == 0 {
		return nil, fmt.Errorf("%w: Models(): give at least one model", ErrInvalidStep)
	}
	return planFingerprints(ctx, db, m)
}

func (p *plan) aliases() []string { return p.aliasList }

func (p *plan) onTenants() bool { return len(p.tenant) > 0 }

// stepsOn returns the tables of the reserved alias, or of each tenant
// for "", and their fingerprint.
func (p *plan) stepsOn(alias string) ([]step, string) {
	if alias == "" {
		return p.tenant, p.fingerprints[""]
	}
	return p.reserved[alias], p.fingerprints[alias]
}

func (p *plan) apply(ctx context.Context, t target) (Status, string, error) {
	steps, fp := p.stepsOn(t.reserved)
	l := t.ledger()
	// Read before: nothing to do, and no pool to lease. Unread, the
	// ledger is read by apply.
	if l.known != nil && l.known[AutoMigrateStep] == fp {
		return StatusUpToDate, "", nil
	}
	if t.reserved == "" && !t.direct {
		// A tenant: on a *gorm.DB of its own (see openPlain), over its
		// leased *sql.DB.
		db, release, err := t.sqlDB(ctx)
		if err != nil {
			return StatusFailed, "", err
		}
		defer release()
		plain, err := openPlain(t.db, db, steps)
		if err != nil {
			return StatusFailed, "", err
		}
		if plain != nil {
			l.db, l.exprs = plain.WithContext(ctx), nil
		} else {
			// A dialector openPlain does not know: one tenant's
			// migration at a time in this process.
			plainMu.Lock()
			defer plainMu.Unlock()
		}
	}
	st, err := l.apply(AutoMigrateStep, fp, func(tx *gorm.DB) error {
		return migrateSteps(tx, steps)
	})
	return st, "", err
}

// plainMu serialises tenant migrations on dialectors openPlain does not
// know.
var plainMu sync.Mutex

func (p *plan) check(_ context.Context, t target) (Status, string, error) {
	_, fp := p.stepsOn(t.reserved)
	st, err := checkOne(t.ledger(), AutoMigrateStep, fp)
	return st, "", err
}

func (p *plan) describe(alias string) []string {
	steps, _ := p.stepsOn(alias)
	out := make([]string, 0, len(steps))
	for _, st := range steps {
		out = append(out, "table "+st.table)
	}
	return out
}

func (*plan) names() []string { return []string{AutoMigrateStep} }
