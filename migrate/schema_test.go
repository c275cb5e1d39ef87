package migrate_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/migrate"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// The models of TestTenantSchemaMatchesPlainGORM: one of each kind of
// association, all on the tenant but Plan.

// Plan is central.
type Plan struct {
	ID   uint
	Name string `gorm:"uniqueIndex"`
}

// Member has one Profile, deleted with it.
type Member struct {
	ID      uint
	Name    string  `gorm:"not null"`
	Profile Profile `gorm:"constraint:OnDelete:CASCADE"`
}

type Profile struct {
	ID       uint
	MemberID uint `gorm:"uniqueIndex"`
	Bio      string
}

// Project has many Tasks and, polymorphically, Comments.
type Project struct {
	ID       uint
	Name     string    `gorm:"index"`
	Tasks    []Task    `gorm:"constraint:OnDelete:CASCADE,OnUpdate:CASCADE"`
	Comments []Comment `gorm:"polymorphic:Commentable"`
}

// Task belongs to a Member, has many Labels through task_labels (a join
// table GORM makes) and Comments.
type Task struct {
	ID         uint
	ProjectID  uint
	AssigneeID *uint
	Assignee   *Member   `gorm:"constraint:OnDelete:SET NULL"`
	Labels     []Label   `gorm:"many2many:task_labels"`
	Comments   []Comment `gorm:"polymorphic:Commentable"`
}

type Label struct {
	ID   uint
	Name string `gorm:"unique"`
}

type Comment struct {
	ID              uint
	CommentableID   uint   `gorm:"index:idx_commentable,priority:1"`
	CommentableType string `gorm:"index:idx_commentable,priority:2"`
	Body            string
}

// Article has many Tags through ArticleTag, set up with SetupJoinTable.
type Article struct {
	ID   uint
	Tags []Tag `gorm:"many2many:article_tags"`
}

type Tag struct {
	ID   uint
	Name string
}

type ArticleTag struct {
	ArticleID uint `gorm:"primaryKey"`
	TagID     uint `gorm:"primaryKey"`
	Pinned    bool `gorm:"index"`
	CreatedAt time.Time
}

// Employee references itself: a manager and reports.
type Employee struct {
	ID        uint
	ManagerID *uint
	Manager   *Employee
	Reports   []Employee `gorm:"foreignKey:ManagerID"`
}

// Subscription belongs to a central Plan (its foreign key cannot exist
// on a tenant) and to a tenant Member (its foreign key must).
type Subscription struct {
	ID       uint
	PlanID   uint
	Plan     Plan
	MemberID uint
	Member   Member `gorm:"constraint:OnDelete:CASCADE"`
}

func schemaModels() []any {
	return []any{&Plan{}, &Member{}, &Profile{}, &Project{}, &Task{}, &Comment{}, &Article{}, &Employee{}, &Subscription{}}
}

func setupJoinTables(tb testing.TB, db *gorm.DB) {
	tb.Helper()
	if err := db.SetupJoinTable(&Article{}, "Tags", &ArticleTag{}); err != nil {
		tb.Fatal(err)
	}
}

// TestTenantSchemaMatchesPlainGORM: migrate.AutoMigrate builds on a
// tenant exactly the schema plain GORM builds on a single database for
// the same models (tables, columns, indexes, foreign keys), but for the
// central tables and the one foreign key that would point at one.
func TestTenantSchemaMatchesPlainGORM(t *testing.T) {
	for _, backend := range []fixture.Backend{fixture.SQLite, fixture.Postgres} {
		t.Run(string(backend), func(t *testing.T) {
			e := fixture.New(t, backend, fixture.Options{
				Tenants:    3,
				Strategies: []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias, &Plan{})},
			})
			migrated, upgraded, plain := e.Tenants[0], e.Tenants[1], e.Tenants[2]

			// Plain GORM, without the plugin, on the second tenant's database.
			plainSQL := e.OpenTenantDB(t, plain)
			var dial gorm.Dialector = &sqlite.Dialector{Conn: plainSQL}
			if backend == fixture.Postgres {
				dial = postgres.New(postgres.Config{Conn: plainSQL})
			}
			plainDB, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard})
			if err != nil {
				t.Fatal(err)
			}
			setupJoinTables(t, plainDB)

			setupJoinTables(t, e.DB)
			// upgraded was migrated before without any association, as
			// AutoMigrate once did: its tables exist and lack their foreign
			// keys and join tables.
			ctx := context.Background()
			old := e.DB.WithContext(e.Ctx(upgraded)).Session(&gorm.Session{})
			old.Config.IgnoreRelationshipsWhenMigrating = true
			if err := old.AutoMigrate(schemaModels()[1:]...); err != nil {
				t.Fatal(err)
			}
			// Twice: creating the tables, then migrating existing ones.
			for range 2 {
				if err := plainDB.AutoMigrate(schemaModels()...); err != nil {
					t.Fatal(err)
				}
				if _, err := migrate.AutoMigrate(ctx, e.DB, []string{migrated, upgraded}, schemaModels()); err != nil {
					t.Fatal(err)
				}
			}

			want := readSchema(t, backend, plainSQL)
			wantTables := []string{"article_tags", "articles", "comments", "employees", "labels", "members", "plans", "profiles", "projects", "subscriptions", "tags", "task_labels", "tasks"}
			if tables := slices.Sorted(mapKeys(want)); !slices.Equal(tables, wantTables) {
				t.Fatalf("plain GORM made tables %v, want %v", tables, wantTables)
			}
			// Only the central table, and the foreign key to it, are left out.
			var leftOut []string
			for table, lines := range want {
				if table == "plans" {
					continue
				}
				var keep []string
				for _, l := range lines {
					if strings.HasPrefix(l, "foreign key ") && strings.Contains(l, " references plans(") {
						leftOut = append(leftOut, table+": "+l)
						continue
					}
					keep = append(keep, l)
				}
				want[table] = keep
			}
			delete(want, "plans")
			if len(leftOut) != 1 || !strings.HasPrefix(leftOut[0], "subscriptions: foreign key (plan_id) references plans(id)") {
				t.Fatalf("foreign keys to the central table in plain GORM's schema: %q, want subscriptions' only", leftOut)
			}
			for _, id := range []string{migrated, upgraded} {
				got := readSchema(t, backend, e.OpenTenantDB(t, id))
				if _, ok := got[migrate.LedgerTable]; !ok {
					t.Errorf("tenant %s has no %s", id, migrate.LedgerTable)
				}
				delete(got, migrate.LedgerTable)
				for _, table := range slices.Sorted(mapKeys(want)) {
					if !slices.Equal(got[table], want[table]) {
						t.Errorf("table %s on tenant %s:\n\t%s\nwant (plain GORM):\n\t%s", table, id,
							strings.Join(got[table], "\n\t"), strings.Join(want[table], "\n\t"))
					}
				}
				for _, table := range slices.Sorted(mapKeys(got)) {
					if _, ok := want[table]; !ok {
						t.Errorf("tenant %s has table %s, which plain GORM did not make or which is central", id, table)
					}
				}
			}
		})
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// readSchema describes each table of db as sorted lines: its columns
// (name, type, nullability), indexes (name, columns, uniqueness) and
// foreign keys (columns, referenced table and columns, actions).
func readSchema(tb testing.TB, backend fixture.Backend, db *sql.DB) map[string][]string {
	tb.Helper()
	q := sqliteCatalog
	if backend == fixture.Postgres {
		q = pgCatalog
	}
	out := map[string][]string{}
	for _, table := range queryStrings(tb, db, q.tables) {
		var lines []string
		for _, part := range []struct{ prefix, query string }{
			{"column ", q.columns}, {"index ", q.indexes}, {"foreign key ", q.foreignKeys},
		} {
			for _, l := range queryStrings(tb, db, part.query, table) {
				lines = append(lines, part.prefix+l)
			}
		}
		slices.Sort(lines)
		out[table] = lines
	}
	return out
}

type catalog struct{ tables, columns, indexes, foreignKeys string }

var sqliteCatalog = catalog{
	tables:  `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
	columns: `SELECT name || ' ' || lower(type) || CASE WHEN "notnull" = 1 OR pk > 0 THEN ' not null' ELSE ' null' END FROM pragma_table_info(?)`,
	indexes: `SELECT il.name || ' (' || (SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno)) || ')' ||
		CASE WHEN il."unique" = 1 THEN ' unique' ELSE '' END FROM pragma_index_list(?) il`,
	foreignKeys: `SELECT '(' || group_concat("from", ',') || ') references ' || "table" || '(' || group_concat("to", ',') || ')' ||
		' on update ' || on_update || ' on delete ' || on_delete
		FROM (SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq) GROUP BY id`,
}

var pgCatalog = catalog{
	tables: `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
	columns: `SELECT column_name || ' ' || CASE WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END ||
		coalesce('(' || character_maximum_length || ')', '') || CASE WHEN is_nullable = 'YES' THEN ' null' ELSE ' not null' END
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
	indexes: `SELECT i.relname || ' (' || array_to_string(array(
			SELECT a.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, n)
			JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.n), ',') || ')' ||
		CASE WHEN ix.indisunique THEN ' unique' ELSE '' END
		FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
		JOIN pg_namespace ns ON ns.oid = t.relnamespace WHERE ns.nspname = current_schema() AND t.relname = $1`,
	foreignKeys: `SELECT '(' || array_to_string(array(
			SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n), ',') ||
		') references ' || r.relname || '(' || array_to_string(array(
			SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)
			JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n), ',') || ')' ||
		' on update ' || CASE c.confupdtype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END ||
		' on delete ' || CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END
		FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
		JOIN pg_namespace ns ON ns.oid = t.relnamespace WHERE c.contype = 'f' AND ns.nspname = current_schema() AND t.relname = $1`,
}

func queryStrings(tb testing.TB, db *sql.DB, query string, args ...any) []string {
	tb.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
