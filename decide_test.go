package tenantplugin

import "testing"

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
		{"SELECT * FROM t\nFOR UPDATE", false},
		{"SELECT * FROM t FOR\tNO KEY UPDATE", false},
		{"SELECT * FROM t for key share", false},
		{"SELECT * FROM t FOR SHARE OF t", false},
		{"SELECT * FROM t WHERE before = 1", true},
		{"SELECT format, forum FROM t", true},
		{"SELECT * FROM t -- for update", false},
	}
	for _, tt := range tests {
		if got := isSelect(tt.sql); got != tt.want {
			t.Errorf("isSelect(%q) = %v, want %v", tt.sql, got, tt.want)
		}
	}
}
