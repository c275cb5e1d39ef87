package tenanttest_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

// fakeM is a TestMain's *testing.M whose tests are run.
type fakeM func() int

func (m fakeM) Run() int { return m() }

// TestShareTemplates: under ShareTemplates, Envs with the same models
// and setups copy one template, built once; others get their own; all
// are dropped when Run returns.
func TestShareTemplates(t *testing.T) {
	eachServer(t, func(t *testing.T, server tenanttest.Option) {
		var tpls []string
		var pg bool
		newEnv := func(t *testing.T, opts ...tenanttest.Option) {
			env := tenanttest.New(t, append([]tenanttest.Option{server, tenanttest.Tenants(2)}, opts...)...)
			made, tpl := tenanttest.MadeBy(env)
			pg = tenanttest.IsPostgres(env)
			if tpl == "" || slices.Contains(made, tpl) {
				t.Errorf("template %q: want a shared one, not among the Env's databases %v", tpl, made)
			}
			for _, id := range env.Tenants {
				if !env.OpenDirect(t, id).Migrator().HasTable(&hospital.Hospital{}) {
					t.Errorf("%s has no hospitals table", id)
				}
			}
			tpls = append(tpls, tpl)
		}
		seed := func(ctx context.Context, db *gorm.DB) error {
			return db.Create(&hospital.Hospital{Name: "seeded"}).Error
		}
		code := tenanttest.ShareTemplates(fakeM(func() int {
			if code := tenanttest.ShareTemplates(fakeM(func() int { return 0 })).Run(); code != 1 {
				t.Errorf("ShareTemplates inside ShareTemplates: %d, want 1", code)
			}
			t.Run("a", func(t *testing.T) { newEnv(t, tenanttest.Models(hospital.TenantModels()...)) })
			t.Run("b", func(t *testing.T) { newEnv(t, tenanttest.Models(hospital.TenantModels()...)) })
			t.Run("other models", func(t *testing.T) { newEnv(t, tenanttest.Models(&hospital.Hospital{})) })
			t.Run("setup", func(t *testing.T) {
				newEnv(t, tenanttest.Models(hospital.TenantModels()...), tenanttest.Setup("seed", seed))
			})
			for _, tpl := range tpls {
				if !exists(t, pg, tpl) {
					t.Errorf("template %s does not exist while the tests run", tpl)
				}
			}
			return 3
		})).Run()
		if code != 3 {
			t.Errorf("Run returned %d, want the tests' 3", code)
		}
		if len(tpls) != 4 || tpls[0] != tpls[1] || tpls[2] == tpls[0] || tpls[3] == tpls[0] || tpls[3] == tpls[2] {
			t.Errorf("templates %v: want the first two equal, the others distinct", tpls)
		}
		for _, tpl := range tpls {
			if exists(t, pg, tpl) {
				t.Errorf("template %s left behind", tpl)
			}
		}
	})
}

// TestSetup: setups run on the template after the models, with the
// GormConfig's naming; every tenant starts with what they made; a
// failing setup fails New with its name and error.
func TestSetup(t *testing.T) {
	eachServer(t, func(t *testing.T, server tenanttest.Option) {
		var calls []string
		env := tenanttest.New(t, server, tenanttest.Tenants(3),
			tenanttest.GormConfig(&gorm.Config{NamingStrategy: schema.NamingStrategy{TablePrefix: "app_"}}),
			tenanttest.Models(&hospital.Hospital{}),
			tenanttest.Setup("seed", func(ctx context.Context, db *gorm.DB) error {
				calls = append(calls, "seed")
				if !db.Migrator().HasTable("app_hospitals") {
					return errors.New("models not migrated first, or without the naming strategy")
				}
				return db.Create(&hospital.Hospital{Name: "General"}).Error
			}),
			tenanttest.Setup("more", func(ctx context.Context, db *gorm.DB) error {
				calls = append(calls, "more")
				return db.Create(&hospital.Hospital{Name: "Annex"}).Error
			}),
		)
		if !slices.Equal(calls, []string{"seed", "more"}) {
			t.Errorf("setups ran %v, want once each, in order", calls)
		}
		for _, id := range env.Tenants {
			var names []string
			if err := env.DB.WithContext(env.Ctx(id)).Model(&hospital.Hospital{}).Order("id").Pluck("name", &names).Error; err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names, []string{"General", "Annex"}) {
				t.Errorf("%s starts with hospitals %v", id, names)
			}
		}

		f := newFakeTB()
		f.run(func(tb testing.TB) {
			tenanttest.New(tb, server, tenanttest.Setup("broken", func(context.Context, *gorm.DB) error {
				return errors.New("no such file")
			}))
		})
		if out := f.output(); !f.fatal || !strings.Contains(out, `setup "broken": no such file`) {
			t.Errorf("a failing setup: fatal %t, output %q", f.fatal, out)
		}
	})
}
