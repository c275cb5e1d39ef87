package resolver

import "gorm.io/gorm"

// LeaseCount returns the leases held on the pool behind a pool that
// ConnPool returned.
func LeaseCount(c gorm.ConnPool) int64 { return c.(*handle).p.refs.Load() &^ retiredBit }
