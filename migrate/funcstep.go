package migrate

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Func returns a Step that runs fn on every tenant's database, in a
// transaction holding the database's lock (db is that transaction, the
// tenant in its context): a data fix, a backfill, DDL that AutoMigrate
// cannot express. The ledger records it by name with version: fn runs
// again on a database only when version changes, so give each new
// version of fn a new version. A failed fn rolls its transaction back.
//
// name must be non-empty, at most 100 bytes, printable, and neither
// [AutoMigrateStep] nor [GooseStep]; version non-empty; fn non-nil.
// Otherwise the run does not start and its error wraps [ErrInvalidStep].
func Func(name, version string, fn func(ctx context.Context, db *gorm.DB) error) Step {
	return funcStep{name: name, version: version, fn: fn}
}

type funcStep struct {
	name, version string
	fn            func(ctx context.Context, db *gorm.DB) error
}

func (f funcStep) prepare(context.Context, *gorm.DB) (prepared, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: Func(%q, %q): %s", ErrInvalidStep, f.name, f.version, why)
	}
	switch {
	case f.name == "" || len(f.name) > 100:
		return nil, bad("the name must have 1 to 100 bytes")
	case strings.ContainsFunc(f.name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return nil, bad("the name must be printable")
	case f.name == AutoMigrateStep || f.name == GooseStep:
		return nil, bad("the name is the ledger's name of a built-in step")
	case f.version == "":
		return nil, bad("give a version, changed whenever fn changes")
	case f.fn == nil:
		return nil, bad("fn is nil")
	}
	return f, nil
}

func (f funcStep) fingerprint() string { return "func " + f.version }

func (funcStep) aliases() []string { return nil }

func (funcStep) onTenants() bool { return true }

func (f funcStep) apply(ctx context.Context, t target) (Status, string, error) {
	st, err := t.ledger().apply(f.name, f.fingerprint(), func(tx *gorm.DB) error {
		return f.fn(ctx, tx)
	})
	return st, "", err
}

func (f funcStep) check(_ context.Context, t target) (Status, string, error) {
	st, err := checkOne(t.ledger(), f.name, f.fingerprint())
	return st, "", err
}

func (f funcStep) describe(string) []string {
	return []string{"func " + f.name + "@" + f.version}
}

func (f funcStep) names() []string { return []string{f.name} }
