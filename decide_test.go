package tenantplugin

import "testing"

func TestTableFromSQL(t *testing.T) {
	tests := []struct{ sql, want string }{
		{`SELECT count(*) FROM plans`, "plans"},
		{`select * from "public"."plans" where id = $1`, "plans"},
		{"SELECT * FROM `db`.`plans`", "plans"},
		{`INSERT INTO "plans" ("name") VALUES ($1)`, "plans"},
		{`UPDATE plans SET name = 'x'`, "plans"},
		{`CREATE TABLE "plans" ("id" bigserial)`, "plans"},
		{`CREATE TABLE IF NOT EXISTS plans (id int)`, "plans"},
		{`ALTER TABLE "plans" ADD "x" text`, "plans"},
		{`DROP TABLE IF EXISTS "plans" CASCADE`, "plans"},
		{`CREATE UNIQUE INDEX IF NOT EXISTS "idx_plans_name" ON "plans" ("name")`, "plans"},
		{`SELECT count(*) FROM information_schema.tables WHERE table_name = $1`, "tables"},
		{`SELECT 1`, ""},
	}
	for _, tt := range tests {
		if got := tableFromSQL(tt.sql); got != tt.want {
			t.Errorf("tableFromSQL(%q) = %q, want %q", tt.sql, got, tt.want)
		}
	}
}

func TestIsSelect(t *testing.T) {
	tests := []struct {
		sql  string
		want bool
	}{
		{"SELECT * FROM t", true},
		{"  select 1", true},
		{"SELECT * FROM t FOR UPDATE", false},
		{"select * from t for share", false},
		{"UPDATE t SET x = 1", false},
		{"WITH x AS (SELECT 1) SELECT * FROM x", false},
	}
	for _, tt := range tests {
		if got := isSelect(tt.sql); got != tt.want {
			t.Errorf("isSelect(%q) = %v, want %v", tt.sql, got, tt.want)
		}
	}
}
