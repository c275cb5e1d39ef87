package sqlerr_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/sqlerr"
)

// TestStmt: the statement (StmtContext's answer to a refusal) answers
// Exec, Query and QueryRow with the refusal, whatever the arguments and
// the context, and can be used and closed again.
func TestStmt(t *testing.T) {
	refusal := errors.New("refused")
	st := sqlerr.Stmt(refusal)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	type odd struct{ _ int } // not a driver.Value
	for _, ctx := range []context.Context{context.Background(), done} {
		for range 2 {
			if _, err := st.ExecContext(ctx, 1, "a", odd{}, time.Now()); !errors.Is(err, refusal) {
				t.Errorf("Exec: %v", err)
			}
			if rows, err := st.QueryContext(ctx); !errors.Is(err, refusal) {
				if rows != nil {
					rows.Close()
				}
				t.Errorf("Query: %v", err)
			}
			var n int
			if err := st.QueryRowContext(ctx, odd{}).Scan(&n); !errors.Is(err, refusal) {
				t.Errorf("QueryRow: %v", err)
			}
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}
