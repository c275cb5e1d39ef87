package tenantplugin

import (
	"errors"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/sqlerr"
)

// TestStmtText reads a statement's SQL, which StmtContext prepares
// again on its transaction.
func TestStmtText(t *testing.T) {
	const q = "SELECT 1 -- the text"
	st := sqlerr.Stmt(errors.New("x"))
	if got, err := stmtText(st); err != nil || got != "" {
		t.Fatalf("stmtText(sqlerr.Stmt) = %q, %v", got, err)
	}
	db := sqlerr.DB(errors.New("x"))
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
