// Package repo has helpers used from another package.
package repo

import (
	"context"

	"gorm.io/gorm"
)

type Store struct{ db *gorm.DB }

func New(db *gorm.DB) *Store { return &Store{db: db} }

// Root returns the stored chain, without context.
func (s *Store) Root() *gorm.DB { // want Root:`returns\(noctx\)`
	return s.db
}

// Ctx returns the chain with ctx.
func (s *Store) Ctx(ctx context.Context) *gorm.DB { // want Ctx:`returns\(ctx\)`
	return s.db.WithContext(ctx)
}

// Scoped continues the caller's chain.
func Scoped(db *gorm.DB, tenantless bool) *gorm.DB { // want Scoped:`returns\(param\(0\)\)`
	if tenantless {
		return db.Unscoped()
	}
	return db.Where("deleted_at IS NULL")
}

// Pair returns two chains and an error.
func (s *Store) Pair(ctx context.Context) (*gorm.DB, *gorm.DB, error) { // want Pair:`returns\(ctx, noctx, unknown\)`
	return s.db.WithContext(ctx), s.db, nil
}
