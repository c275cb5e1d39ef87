package tenantconfig

import (
	"context"
	"crypto/sha1" //nolint:gosec // a change detector, not a security boundary
	"encoding/hex"
	"fmt"
	"strconv"
)

// Sum identifies one tenant's record as a store keeps it: the first 16
// bytes of SHA-1 over the tenant id, the version in decimal and the
// encoded config, each of the first two followed by a newline. Two
// records with the same tenant, version and encoded config have the same
// Sum; any other difference changes it (but for a SHA-1 collision).
type Sum [16]byte

// RecordSum returns the Sum of tenant id's record at version, with its
// config as the store encodes it.
func RecordSum(id, version string, encoded []byte) Sum {
	h := sha1.New() //nolint:gosec // see Sum
	h.Write([]byte(id))
	h.Write([]byte{'\n'})
	h.Write([]byte(version))
	h.Write([]byte{'\n'})
	h.Write(encoded)
	var full [sha1.Size]byte
	var s Sum
	copy(s[:], h.Sum(full[:0]))
	return s
}

// VersionString is the decimal form of a version that RecordSum takes.
func VersionString(v uint64) string { return strconv.FormatUint(v, 10) }

// Xor returns s XOR o: the digest of a set of records is the XOR of
// their Sums, whatever their order, and a record leaves it by being
// XORed again.
func (s Sum) Xor(o Sum) Sum {
	for i := range s {
		s[i] ^= o[i]
	}
	return s
}

// String returns s in hexadecimal.
func (s Sum) String() string { return hex.EncodeToString(s[:]) }

// ParseSum reads a Sum written by Sum.String.
func ParseSum(text string) (Sum, error) {
	var s Sum
	if len(text) != 2*len(s) {
		return Sum{}, fmt.Errorf("tenantconfig: sum %q: want %d hexadecimal digits", text, 2*len(s))
	}
	if _, err := hex.Decode(s[:], []byte(text)); err != nil {
		return Sum{}, fmt.Errorf("tenantconfig: sum %q: %w", text, err)
	}
	return s, nil
}

// Digest sums a store's whole content, read at one instant.
type Digest struct {
	// Sum is the XOR of the Sums of every tenant's record: it changes
	// whenever any tenant's config or version changes, a tenant is added
	// or removed, and when a lost change's version is given again to
	// other content; equal contents have equal Sums.
	Sum Sum
	// Revision is the store's revision ([Reviser]).
	Revision uint64
	// Tenants is the number of tenants the store holds.
	Tenants int
	// Epoch names the store's life: set by its first write, it stays
	// through failovers and restarts that keep data, and is another after
	// the store lost all its data (FLUSHALL, a restart without
	// persistence) and was written again. A store that already held data
	// when it got its epoch (written before it kept one) may get one that
	// names no life in particular (the same for every copy of it): it
	// still changes when the store loses all its data and is written
	// again. Empty when unknown.
	Epoch string
}

// SummedRecord is a record with its Sum.
type SummedRecord struct {
	Record
	Sum Sum
}

// Digester is implemented by stores that keep a [Digest] of their
// content, updated with every Apply, and read their tenants in chunks:
// a reader that holds the Sums of the records it read compares digests
// (a few bytes) and reads tenants only when they differ
// (tenantconfig/tenantsync does). Stores that are not Digesters are read
// whole with Store.Snapshot.
type Digester interface {
	// Digest returns the store's digest, at one instant.
	Digest(ctx context.Context) (Digest, error)
	// ScanSums calls fn with the Sums of the store's tenants, a chunk
	// (about a thousand) at a time, until every tenant was given or fn
	// returns an error, which ScanSums returns. The scan is not one
	// instant: a tenant present through the whole scan is given at least
	// once; one changed, added or removed meanwhile may be given with
	// either Sum, or not at all. fn owns the map.
	ScanSums(ctx context.Context, fn func(sums map[string]Sum) error) error
	// Records returns the records, with their Sums, of those of ids that
	// the store holds, read at one instant. Tenants whose configs do not
	// decode are left out and named in an [*UndecodableError], returned
	// beside the others.
	Records(ctx context.Context, ids []string) (map[string]SummedRecord, error)
}
