package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// runDigest checks the contract of a [tenantconfig.Digester]: the digest
// changes with every change, equal contents have equal digests, and it
// is the XOR of the Sums that ScanSums and Records give.
func runDigest(t *testing.T, newStore func(t *testing.T) tenantconfig.Store) {
	ctx := context.Background()
	digester := func(t *testing.T) (tenantconfig.Store, tenantconfig.Digester) {
		t.Helper()
		s := newStore(t)
		d, ok := s.(tenantconfig.Digester)
		if !ok {
			t.Skip("not a tenantconfig.Digester")
		}
		return s, d
	}
	digest := func(t *testing.T, d tenantconfig.Digester) tenantconfig.Digest {
		t.Helper()
		got, err := d.Digest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	t.Run("DigestChangesWithEveryChange", func(t *testing.T) {
		s, d := digester(t)
		if got := digest(t, d); got.Sum != (tenantconfig.Sum{}) || got.Tenants != 0 {
			t.Fatalf("empty store's digest = %+v, want a zero Sum and no tenant", got)
		}
		seen := map[tenantconfig.Sum]string{{}: "empty"}
		steps := []struct {
			name   string
			change tenantconfig.Change
		}{
			{"put a", put("a", "db_a")},
			{"put b", put("b", "db_b")},
			{"change a", put("a", "db_a2")},
			{"put a again, same config", put("a", "db_a2")},
			{"delete b", tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "b"}},
			{"put b back, same config", put("b", "db_b")},
		}
		for _, st := range steps {
			vs, err := s.Apply(ctx, st.change)
			if err != nil {
				t.Fatal(err)
			}
			got := digest(t, d)
			if prev, ok := seen[got.Sum]; ok {
				t.Fatalf("after %q the digest is the one after %q", st.name, prev)
			}
			seen[got.Sum] = st.name
			if got.Revision != vs[0] {
				t.Fatalf("after %q: digest revision %d, want %d", st.name, got.Revision, vs[0])
			}
			checkSums(t, s, d, got)
		}
		for _, id := range []string{"a", "b"} {
			if _, err := s.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: id}); err != nil {
				t.Fatal(err)
			}
		}
		if got := digest(t, d); got.Sum != (tenantconfig.Sum{}) || got.Tenants != 0 {
			t.Fatalf("emptied store's digest = %+v, want a zero Sum", got)
		}
	})
	t.Run("EqualContentsEqualDigests", func(t *testing.T) {
		s1, d1 := digester(t)
		s2, d2 := digester(t)
		for _, s := range []tenantconfig.Store{s1, s2} {
			if _, err := s.Apply(ctx, put("a", "db_a"), put("b", "db_b")); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Apply(ctx, put("c", "db_c"), tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "b"}); err != nil {
				t.Fatal(err)
			}
		}
		g1, g2 := digest(t, d1), digest(t, d2)
		if g1.Sum != g2.Sum || g1.Revision != g2.Revision || g1.Tenants != 2 || g2.Tenants != 2 {
			t.Fatalf("digests of equal contents: %+v and %+v", g1, g2)
		}
		// The same tenants at the same versions with another config:
		// a lost change's version given again to other content.
		if _, err := s1.Apply(ctx, put("d", "db_d")); err != nil {
			t.Fatal(err)
		}
		if _, err := s2.Apply(ctx, put("d", "db_other")); err != nil {
			t.Fatal(err)
		}
		if g1, g2 := digest(t, d1), digest(t, d2); g1.Sum == g2.Sum || g1.Revision != g2.Revision {
			t.Fatalf("one version, two contents, digests %+v and %+v: want other Sums", g1, g2)
		}
	})
	t.Run("EpochOfTheStoresLife", func(t *testing.T) {
		s1, d1 := digester(t)
		s2, d2 := digester(t)
		if _, err := s1.Apply(ctx, put("a", "db_a")); err != nil {
			t.Fatal(err)
		}
		if _, err := s2.Apply(ctx, put("a", "db_a")); err != nil {
			t.Fatal(err)
		}
		e := digest(t, d1).Epoch
		if e == "" {
			return // a store that keeps no epoch: Epoch is always empty
		}
		if e2 := digest(t, d2).Epoch; e2 == e {
			t.Fatalf("two stores have one epoch %q", e)
		}
		for _, c := range []tenantconfig.Change{put("b", "db_b"), put("a", "db_a2"), {Kind: tenantconfig.DeleteTenant, Tenant: "a"}, {Kind: tenantconfig.DeleteTenant, Tenant: "b"}, put("c", "db_c")} {
			if _, err := s1.Apply(ctx, c); err != nil {
				t.Fatal(err)
			}
			if got := digest(t, d1).Epoch; got != e {
				t.Fatalf("after %v the epoch is %q, was %q", c, got, e)
			}
		}
	})
	t.Run("ScanSumsAndRecords", func(t *testing.T) {
		s, d := digester(t)
		const n = 2500 // more than one chunk
		for i := 0; i < n; i += 500 {
			changes := make([]tenantconfig.Change, 0, 500)
			for j := i; j < i+500; j++ {
				changes = append(changes, put(fmt.Sprintf("t%04d", j), fmt.Sprint("db", j)))
			}
			if _, err := s.Apply(ctx, changes...); err != nil {
				t.Fatal(err)
			}
		}
		got := digest(t, d)
		if got.Tenants != n {
			t.Fatalf("digest counts %d tenants, want %d", got.Tenants, n)
		}
		checkSums(t, s, d, got)
		recs, err := d.Records(ctx, []string{"t0001", "nobody", "t2499"})
		if err != nil || len(recs) != 2 || !reflect.DeepEqual(recs["t2499"].Config, Config("db2499")) {
			t.Fatalf("Records = %v, %v", recs, err)
		}
	})
}

// checkSums checks that ScanSums gives every tenant once, with the Sum
// Records gives, and that their XOR is the digest.
func checkSums(t *testing.T, s tenantconfig.Store, d tenantconfig.Digester, want tenantconfig.Digest) {
	t.Helper()
	ctx := context.Background()
	sums := map[string]tenantconfig.Sum{}
	err := d.ScanSums(ctx, func(chunk map[string]tenantconfig.Sum) error {
		for id, sum := range chunk {
			sums[id] = sum
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Records(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var xor tenantconfig.Sum
	for _, id := range ids {
		r, ok := recs[id]
		if !ok || sums[id] != r.Sum {
			t.Fatalf("tenant %q: scanned Sum %v, record %+v (%v)", id, sums[id], r, ok)
		}
		xor = xor.Xor(r.Sum)
	}
	if len(sums) != len(ids) {
		scanned := make([]string, 0, len(sums))
		for id := range sums {
			scanned = append(scanned, id)
		}
		slices.Sort(scanned)
		t.Fatalf("scanned %d tenants, the store lists %d", len(sums), len(ids))
	}
	if xor != want.Sum {
		t.Fatalf("XOR of the Sums %v, digest %v", xor, want.Sum)
	}
}
