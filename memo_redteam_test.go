package tenantplugin_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

type memoKey struct{}

// TestRedTeamMemoNestedContexts: contexts nested in each other carry
// tenants of their own, and each remembers its resolver state: a parent
// with t00, a child with t01, and contexts below each that add only
// other values (and so share its tenant and memo). Used in turn, each
// statement reaches the tenant its context names, as the plugin and the
// resolver must agree on it; in a transaction on t00, a statement with
// the child's context is refused, not sent to either database.
func TestRedTeamMemoNestedContexts(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		env := tenanttest.New(t, testServer(t, b), tenanttest.TenantIDs("t00", "t01"), tenanttest.Models(&Note{}))
		for _, id := range []string{"t00", "t01"} {
			if err := env.DB.WithContext(env.Ctx(id)).Create(&Note{Tenant: id, Body: "mark"}).Error; err != nil {
				t.Fatal(err)
			}
		}
		parent := env.Ctx("t00")
		below := context.WithValue(parent, memoKey{}, 1)
		child := tenant.NewContext(below, "t01")
		belowChild := context.WithValue(child, memoKey{}, 2)
		cases := []struct {
			ctx  context.Context
			want string
		}{{parent, "t00"}, {child, "t01"}, {below, "t00"}, {belowChild, "t01"}}
		for round := range 3 {
			for i, c := range cases {
				var notes []Note
				if err := env.DB.WithContext(c.ctx).Find(&notes).Error; err != nil {
					t.Fatalf("round %d, context %d: %v", round, i, err)
				}
				if len(notes) != 1 || notes[0].Tenant != c.want {
					t.Fatalf("round %d, context %d: %+v, want the note of %s", round, i, notes, c.want)
				}
			}
		}
		before := env.Sent()
		err := env.DB.WithContext(parent).Transaction(func(tx *gorm.DB) error {
			var notes []Note
			return tx.WithContext(belowChild).Find(&notes).Error
		})
		if !errors.Is(err, tenantplugin.ErrCrossDatabase) {
			t.Fatalf("a t01 statement in a t00 transaction: %v, want ErrCrossDatabase", err)
		}
		if d := env.Sent().Sub(before); d.Total() > 2 { // BEGIN, ROLLBACK
			t.Errorf("%d statements sent (%s), want only the transaction's", d.Total(), d)
		}
	})
}

// TestRedTeamMemoTwoDatabases: two *gorm.DB, each with the plugin over
// a resolver of its own that knows the same tenant on another database,
// run statements with the same contexts, in turn and from several
// goroutines: each reaches its own resolver's database.
func TestRedTeamMemoTwoDatabases(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		envs := []*tenanttest.Env{
			tenanttest.New(t, testServer(t, b), tenanttest.TenantIDs("t00"), tenanttest.Models(&Note{})),
			tenanttest.New(t, testServer(t, b), tenanttest.TenantIDs("t00"), tenanttest.Models(&Note{})),
		}
		ctx := envs[0].Ctx("t00")
		bodies := []string{"first", "second"}
		for i, env := range envs {
			if err := env.DB.WithContext(ctx).Create(&Note{Tenant: "t00", Body: bodies[i]}).Error; err != nil {
				t.Fatal(err)
			}
		}
		errs := make(chan error, 4)
		for w := range 4 {
			go func() {
				for i := range 50 {
					k := (w + i) % 2
					var notes []Note
					if err := envs[k].DB.WithContext(ctx).Find(&notes).Error; err != nil {
						errs <- err
						return
					}
					if len(notes) != 1 || notes[0].Body != bodies[k] {
						errs <- errors.New("database " + bodies[k] + " answered another's notes")
						return
					}
				}
				errs <- nil
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}
