// Package tenantvet is a static analyzer for applications that use
// tenantplugin: it reports GORM statements that are given no context in a
// function that has one at hand.
//
// In Go the tenant travels in a context.Context: a request handler must
// hand the request's context to GORM (db.WithContext(ctx)), and the one
// mistake it can make is to forget it somewhere. Such a statement has no
// tenant, and the plugin refuses it at run time (fail closed, with
// [github.com/tenantrouter/tenantplugin/tenant.ErrMissing], unless a
// strategy routes it). tenantvet finds it at compile time.
//
// # Usage
//
// Alone, or as a vet tool:
//
//	go run github.com/tenantrouter/tenantplugin/cmd/tenantvet ./...
//	go build -o bin/tenantvet github.com/tenantrouter/tenantplugin/cmd/tenantvet
//	go vet -vettool=$(pwd)/bin/tenantvet ./...
//
// The command exits with status 3 when it reports something; -fix applies
// the suggested fixes.
//
// # What is reported
//
// A call of a finisher of *gorm.DB (Find, First, Take, Last, Scan, Pluck,
// Count, Row, Rows, FirstOrCreate, FirstOrInit, FindInBatches, Create,
// CreateInBatches, Save, Update, Updates, UpdateColumn, UpdateColumns,
// Delete, Exec, Transaction, Begin, AutoMigrate, and Migrator), or of
// *gorm.Association (Find, Append, Replace, Delete, Clear, Count), is
// reported when both hold:
//
//   - its chain has no context: every value that can reach the call comes
//     from a root without context, and no call on the way gave one;
//   - a context is at hand: a parameter or local variable of type
//     context.Context (or of a type that implements it) or *http.Request is
//     in scope at the call, declared before it. Package-level variables and
//     blank parameters do not count. A function with nothing at hand
//     (start-up code, a migration command, a test of the fail-closed path)
//     is never reported: it has nothing to pass.
//
// A chain gets a context from WithContext(ctx) or
// Session(&gorm.Session{Context: ctx}), anywhere in the chain; a Session
// whose Context field is not set keeps the chain's own. A context written
// as context.Background() or context.TODO() carries no tenant: the chain
// stays without context and the report says so.
//
// A chain is routed explicitly, and never reported, when it carries
// Clauses(reserved.Use(alias)) (package
// github.com/tenantrouter/tenantplugin/reserved), or is made by
// tenantplugin.AdoptTx with tenantplugin.ReservedRoute(alias). Strategies
// (reserved.Models, reserved.Tables, ...) decide at run time and are not
// seen: a statement that only a strategy routes is reported like any
// other; give it its context, or route it with reserved.Use.
//
// # Roots
//
// Roots without context: a struct field of type *gorm.DB (an embedded one
// too: r.Find on a struct embedding *gorm.DB), a package-level *gorm.DB,
// a local variable set by gorm.Open that the package gives a plugin
// (db.Use(...); one given none is a plain connection, which needs no
// tenant, and is not followed), and a *gorm.DB parameter used inside
// a function literal that is handed its own context or request (a
// handler or task built from the application's *gorm.DB keeps it, like a
// field). A field that the analysed package itself writes with a chain
// that has a context (perRequest{db: db.WithContext(ctx)}) is not a root
// without context.
//
// Anything else is not followed, and so never reported: a plain *gorm.DB
// parameter (the caller may have given it a context), map and slice
// elements, interface method results, function values, and variables
// whose address is taken.
//
// # Data flow
//
// Local variables are followed through every assignment in the package,
// without regard to their order: a variable is without context when every
// value it is given is; one that is given a context on any path is
// treated as having one.
//
// A function or method that returns a GORM chain is summarised per result
// (without context, with a context, reserved, or "the chain of parameter
// i"), and the summary is exported as a [Returns] fact, so that helpers
// are followed within the package and across packages:
//
//	func (r *Repo) base() *gorm.DB { return r.db.Model(&User{}) } // without context
//	func active(db *gorm.DB) *gorm.DB { return db.Where("active") } // the caller's chain
//
// Function literals see the contexts of the functions they are in. The
// transaction passed to a Transaction (or FindInBatches) callback literal
// inherits the chain Transaction was called on, in nested function
// literals too: its uses are fine when that chain has a context, and are
// not reported again when the Transaction call itself is. Likewise the
// session Begin returns.
//
// # Generics API
//
// The finishers of gorm.G[T](db) (First, Find, Take, Last, Scan, Row,
// Rows, FindInBatches, Create, CreateInBatches, Update, Updates, Delete,
// Count, Exec) take the statement's context as first argument, and GORM
// puts it in place of the chain's own. A finisher given a context is fine;
// one given context.Background() or context.TODO() is reported (even when
// db had a context, which the finisher discards); one given nil keeps db's
// context and is judged by it. gorm.G[T](db, reserved.Use(alias)) is
// routed and never reported.
//
// # Suggested fixes
//
// When the context to pass is unambiguous (one context variable in scope,
// or none and one *http.Request), a report suggests a fix:
// .WithContext(ctx) or .WithContext(r.Context()) inserted right after the
// root of the reported chain (the variable, field or call the chain's
// methods are called on), or ctx in place of context.Background(). With
// two contexts in scope the report names none and suggests nothing.
//
// # Limits
//
// The analysis prefers missing a mistake to reporting correct code where
// it cannot tell. It does not follow a *gorm.DB parameter back to its
// callers. Scopes are taken to pass the chain on: a scope function that
// gives the chain a context is not seen, and the chain is reported; pass
// the context with WithContext instead.
// A field written with a context by another package is still a root
// without context.
package tenantvet
