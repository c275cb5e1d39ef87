package main

import (
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestPGEnv: the variables exec sets for PostgreSQL tenants, merged over
// the template as the resolver merges them.
func TestPGEnv(t *testing.T) {
	const tmpl = "postgres://app:tmpl-pw@db.internal:5432/app?sslmode=require&target_session_attrs=read-write&application_name=web&connect_timeout=5"
	tests := []struct {
		name string
		src  tenantconfig.DataSource
		want []string // KEY=VALUE, in order
	}{
		{"name over the template", tenantconfig.DataSource{Name: "acme"}, []string{
			"TENANT_ID=acme",
			"DATABASE_URL=postgres://app:tmpl-pw@db.internal:5432/acme?application_name=web&connect_timeout=5&sslmode=require&target_session_attrs=read-write",
			"PGHOST=db.internal", "PGPORT=5432", "PGDATABASE=acme", "PGUSER=app", "PGPASSWORD=tmpl-pw",
			"PGAPPNAME=web", "PGCONNECT_TIMEOUT=5", "PGSSLMODE=require", "PGTARGETSESSIONATTRS=read-write",
		}},
		{"fields and params over the template", tenantconfig.DataSource{Host: "pg2", Port: 6543, Name: "acme", User: "acme_user", Password: "p@ss word", Params: map[string]string{"search_path": "acme, public", "application_name": "acme app"}}, []string{
			"TENANT_ID=acme",
			"DATABASE_URL=postgres://acme_user:p%40ss%20word@pg2:6543/acme?application_name=acme%20app&connect_timeout=5&options=-c%20search_path%3Dacme%2C%5C%20public&sslmode=require&target_session_attrs=read-write",
			"PGHOST=pg2", "PGPORT=6543", "PGDATABASE=acme", "PGUSER=acme_user", "PGPASSWORD=p@ss word",
			"PGAPPNAME=acme app", "PGCONNECT_TIMEOUT=5", `PGOPTIONS=-c search_path=acme,\ public`, "PGSSLMODE=require", "PGTARGETSESSIONATTRS=read-write",
		}},
		{"own dsn: nothing from the template", tenantconfig.DataSource{DSN: "postgres://u:own-pw@other:1/db2?sslmode=disable"}, []string{
			"TENANT_ID=acme",
			"DATABASE_URL=postgres://u:own-pw@other:1/db2?sslmode=disable",
			"PGHOST=other", "PGPORT=1", "PGDATABASE=db2", "PGUSER=u", "PGPASSWORD=own-pw", "PGSSLMODE=disable",
		}},
		{"keyword/value dsn, socket directory", tenantconfig.DataSource{DSN: `host=/run/postgresql dbname=db3 user=u password='it\'s' sslmode=disable options='-c work_mem=64MB'`}, []string{
			"TENANT_ID=acme",
			"DATABASE_URL=postgres://u:it%27s@/db3?host=%2Frun%2Fpostgresql&options=-c%20work_mem%3D64MB&port=5432&sslmode=disable",
			"PGHOST=/run/postgresql", "PGPORT=5432", "PGDATABASE=db3", "PGUSER=u", "PGPASSWORD=it's",
			"PGOPTIONS=-c work_mem=64MB", "PGSSLMODE=disable",
		}},
		{"several hosts", tenantconfig.DataSource{DSN: "postgres://u@h1:5001,h2:5002/db4?sslmode=prefer"}, []string{
			"TENANT_ID=acme",
			"DATABASE_URL=postgres://u@/db4?host=h1%2Ch2&port=5001%2C5002&sslmode=prefer",
			"PGHOST=h1,h2", "PGPORT=5001,5002", "PGDATABASE=db4", "PGUSER=u", "PGSSLMODE=prefer",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PGPASSFILE", "/nonexistent") // no password from the user's file
			env, err := pgEnv("acme", tmpl, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(env.vars, "\n"), strings.Join(tt.want, "\n"); got != want {
				t.Fatalf("vars:\n%s\nwant:\n%s", got, want)
			}
			for _, pw := range []string{"tmpl-pw", "own-pw", "p@ss", "it's"} {
				if strings.Contains(env.shown, pw) || strings.Contains(env.shown, strings.ReplaceAll(pw, "'", "%27")) {
					t.Fatalf("-v shows the password: %s", env.shown)
				}
			}
		})
	}
}

// TestPGEnvErrors: a DSN that cannot be read is refused without being
// quoted.
func TestPGEnvErrors(t *testing.T) {
	for _, src := range []tenantconfig.DataSource{
		{DSN: "postgres://u:hunter2@host:notaport/db"},
		{DSN: "host=h password='hunter2"},
		{DSN: "host=h password=hunter2 port=99999999"},
		{Name: "x", Port: 70000, Password: "hunter2"},
	} {
		_, err := pgEnv("acme", "postgres://app:hunter2@db/app", src)
		if err == nil {
			t.Fatalf("%+v: no error", src)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("error quotes the password: %v", err)
		}
	}
}

// TestSQLiteEnv: DATABASE_URL=sqlite:PATH, the file without its pragmas.
func TestSQLiteEnv(t *testing.T) {
	for _, tt := range []struct {
		src  tenantconfig.DataSource
		want string
	}{
		{tenantconfig.DataSource{Name: "/data/tenants/acme.db"}, "sqlite:/data/tenants/acme.db"},
		{tenantconfig.DataSource{DSN: "/data/acme.db?_pragma=busy_timeout(5000)"}, "sqlite:/data/acme.db"},
	} {
		env := sqliteEnv("acme", tt.src)
		if got := strings.Join(env.vars, " "); got != "TENANT_ID=acme DATABASE_URL="+tt.want {
			t.Fatalf("%+v: %s", tt.src, got)
		}
	}
}

// TestExecSQLite: for a SQLite tenant (DATABASE_URL unset), the command
// gets the tenant's file.
func TestExecSQLite(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	c.must("-data", dir, "create", "acme")
	out := c.must("exec", "acme", "--", "sh", "-c", `echo "$TENANT_ID $DATABASE_URL"; test -s "${DATABASE_URL#sqlite:}"`)
	if want := "acme sqlite:" + dir + "/"; !strings.HasPrefix(out, want) || !strings.HasSuffix(out, ".db\n") {
		t.Fatalf("exec printed %q, want %q...", out, want)
	}
}
