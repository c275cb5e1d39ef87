package migrate

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/tenantrouter/tenantplugin/reserved"
)

// Check tells, for each database [AutoMigrate] would migrate with the
// same models, whether it is behind, without changing anything: a
// database whose ledger ([LedgerTable]) has no row for AutoMigrate, or
// one with another fingerprint (the models changed since), is
// [StatusBehind]; the others are [StatusUpToDate]. It costs one query
// per database (two when the ledger is missing). [Report.Behind] lists
// the databases behind.
//
// The error joins those of the databases that could not be read
// ([StatusFailed]), as AutoMigrate's does; a database behind is not an
// error. Options are AutoMigrate's: WithParallel and WithProgress.
func Check(ctx context.Context, db *gorm.DB, tenants []string, models []any, opts ...Option) (*Report, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	p, err := planFingerprints(ctx, db, models)
	if err != nil {
		return nil, err
	}
	prog := newProgress(o)
	report := &Report{}
	for _, alias := range p.aliases {
		start := time.Now()
		l := ledger{db: db.WithContext(ctx), exprs: []clause.Expression{reserved.Use(alias)}}
		status, err := checkOne(l, p.fingerprints[alias])
		r := Result{Reserved: alias, Status: status, Err: err, Duration: time.Since(start)}
		report.Results = append(report.Results, r)
		prog.done(r)
	}
	if len(p.tenant) > 0 {
		fp := p.fingerprints[""]
		tr := forEach(ctx, db, tenants, func(_ context.Context, tdb *gorm.DB) (Status, error) {
			return checkOne(ledger{db: tdb}, fp)
		}, o, prog)
		report.Results = append(report.Results, tr.Results...)
	}
	return report, report.err()
}

func checkOne(l ledger, fp string) (Status, error) {
	ok, err := l.current(AutoMigrateStep, fp)
	switch {
	case err != nil:
		return StatusFailed, err
	case ok:
		return StatusUpToDate, nil
	}
	return StatusBehind, nil
}
