package tenantplugin

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"
)

// TestErrStmt: the statement StmtContext returns for a refusal answers
// Exec, Query and QueryRow with the refusal, whatever the arguments and
// the context, and can be used and closed again.
func TestErrStmt(t *testing.T) {
	refusal := errors.New("refused")
	st := errStmt(refusal)
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

// TestStmtText reads a statement's SQL, which StmtContext prepares
// again on its transaction.
func TestStmtText(t *testing.T) {
	const q = "SELECT 1 -- the text"
	st := errStmt(errors.New("x"))
	if got, err := stmtText(st); err != nil || got != "" {
		t.Fatalf("stmtText(errStmt) = %q, %v", got, err)
	}
	db := sql.OpenDB(errConnector{errors.New("x")})
	defer db.Close()
	st, err := db.Prepare(q)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, err := stmtText(st); err != nil || got != q {
		t.Fatalf("stmtText = %q, %v; want %q", got, err, q)
	}
	if _, err := stmtText(nil); err == nil {
		t.Fatal("stmtText(nil): no error")
	}
}
