package memstore

import (
	"context"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// The sums are of each config encoded in JSON (encoding/json, whose
// output for a Config is deterministic: struct fields in order, map keys
// sorted).

// setSumLocked replaces tenant id's Sum in the digest, or removes it
// when present is false. s.mu must be held.
func (s *Store) setSumLocked(id string, sum tenantconfig.Sum, present bool) {
	if old, ok := s.sums[id]; ok {
		s.digest = s.digest.Xor(old)
		delete(s.sums, id)
	}
	if present {
		s.sums[id] = sum
		s.digest = s.digest.Xor(sum)
	}
}

// Digest implements tenantconfig.Digester.
func (s *Store) Digest(ctx context.Context) (tenantconfig.Digest, error) {
	if err := ctx.Err(); err != nil {
		return tenantconfig.Digest{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return tenantconfig.Digest{Sum: s.digest, Revision: s.version, Tenants: len(s.records)}, nil
}

// scanChunk is how many tenants ScanSums gives at a time.
const scanChunk = 1000

// ScanSums implements tenantconfig.Digester. The store's lock is taken
// for each chunk, not for the whole scan.
func (s *Store) ScanSums(ctx context.Context, fn func(map[string]tenantconfig.Sum) error) error {
	s.mu.Lock()
	ids := make([]string, 0, len(s.sums))
	for id := range s.sums {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for len(ids) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(ids), scanChunk)
		chunk := make(map[string]tenantconfig.Sum, n)
		s.mu.Lock()
		for _, id := range ids[:n] {
			if sum, ok := s.sums[id]; ok {
				chunk[id] = sum
			}
		}
		s.mu.Unlock()
		ids = ids[n:]
		if err := fn(chunk); err != nil {
			return err
		}
	}
	return nil
}

// Records implements tenantconfig.Digester.
func (s *Store) Records(ctx context.Context, ids []string) (map[string]tenantconfig.SummedRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]tenantconfig.SummedRecord, len(ids))
	for _, id := range ids {
		if r, ok := s.records[id]; ok {
			out[id] = tenantconfig.SummedRecord{Record: clone(r), Sum: s.sums[id]}
		}
	}
	return out, nil
}

var _ tenantconfig.Digester = (*Store)(nil)
