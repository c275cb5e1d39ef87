package sqltables

import (
	"errors"
	"strconv"
)

// Dialect selects the lexical rules of a SQL text.
type Dialect uint8

const (
	// Postgres reads PostgreSQL: nested block comments, E'' strings,
	// dollar-quoted strings, $1 parameters. It is the zero value.
	Postgres Dialect = iota
	// SQLite reads SQLite: `ident` and [ident] quoting, flat block
	// comments, ?NNN, :name, @name, #name and $name parameters (with
	// Tcl's "::" and "(...)" suffixes, as SQLite reads them), and a
	// string literal in a table position read as a table name.
	SQLite
)

// Ref is a relation (table, view) or a function used as one.
type Ref struct {
	// Schema is the qualifier, "" when unqualified; for a.b.c it is b.
	Schema string
	// Name is the relation's name: unquoted identifiers folded to lower
	// case, quoted ones kept as written with the quotes removed.
	Name string
	// Func is set for a function called in a FROM position
	// (generate_series(...), pragma_table_info(?), unnest(...)): not a
	// relation.
	Func bool
}

// ErrUnterminated is wrapped by the *Error of SQL that ends inside a
// comment, a string, a quoted identifier or a dollar-quoted string.
var ErrUnterminated = errors.New("sqltables: unterminated comment, string or quoted identifier")

// The What of an *Error for what stops the reading besides an
// unterminated token.
const (
	whatDeepDO = "DO block: nested too deeply"
	whatDeep   = "parentheses: nested too deeply"
	whatEscape = "U&\"...\" identifier: invalid Unicode escape"
	// whatDOEscape: a DO body given as E'...' or U&'...' with an escape
	// PostgreSQL refuses or the finder does not decode.
	whatDOEscape = "DO body: escape that cannot be read"
)

// Error reports SQL that cannot be read: an unterminated comment, string,
// quoted identifier or dollar-quoted string (errors.Is(err,
// ErrUnterminated) holds); parentheses nested more than 64 deep, or DO
// blocks nested in each other's bodies more than 8 deep, which the
// finder does not follow; a U&"..." identifier with an escape
// PostgreSQL refuses; or a DO body given as E'...' or U&'...' with an
// escape PostgreSQL refuses or the finder does not decode (\v). Offset
// is the byte offset where the token, the level too deep or the DO body
// too deep starts; for an error inside a DO body that had to be decoded
// (an escape string, or a string in parts), where that body's string
// starts.
type Error struct {
	Offset int
	What   string // "block comment", "string literal", "quoted identifier", "dollar-quoted string", or one of the other four
}

// Error names what cannot be read and where it starts.
func (e *Error) Error() string {
	if !e.unterminated() {
		return "sqltables: " + e.What + " at byte " + strconv.Itoa(e.Offset)
	}
	return "sqltables: unterminated " + e.What + " at byte " + strconv.Itoa(e.Offset)
}

// Unwrap returns ErrUnterminated for an unterminated token, or nil.
func (e *Error) Unwrap() error {
	if !e.unterminated() {
		return nil
	}
	return ErrUnterminated
}

func (e *Error) unterminated() bool {
	switch e.What {
	case whatDeepDO, whatDeep, whatEscape, whatDOEscape:
		return false
	}
	return true
}

// Tables returns the relations sql names (and FROM-position functions,
// with Func set), in order of first appearance, without duplicates. sql
// may be one statement, several separated by ';', or a fragment: a WHERE
// condition ("id IN (SELECT x FROM t)"), a JOIN clause ("LEFT JOIN t ON
// ..."). It returns nil when sql names nothing, and a *Error (and no
// relation) when sql cannot be read.
func Tables(sql string, d Dialect) ([]Ref, error) {
	var p parser
	p.init(sql, d, false)
	return p.run(nil)
}

// AppendTables is Tables appending to dst: it returns dst extended with
// the relations sql names, allocating only when dst has not the room. On
// an error it returns dst unchanged and the *Error.
func AppendTables(dst []Ref, sql string, d Dialect) ([]Ref, error) {
	var p parser
	p.init(sql, d, false)
	return p.run(dst)
}

// FromList returns the relations of a FROM-list fragment as GORM's
// Table() takes it: "notes", "notes AS n", "notes n", "public.notes",
// "a, b", "(SELECT ... FROM t) AS s", "(?) AS s". Errors and nil are as
// for Tables.
func FromList(expr string, d Dialect) ([]Ref, error) {
	var p parser
	p.init(expr, d, true)
	return p.run(nil)
}

// AppendFromList is FromList appending to dst, as AppendTables.
func AppendFromList(dst []Ref, expr string, d Dialect) ([]Ref, error) {
	var p parser
	p.init(expr, d, true)
	return p.run(dst)
}
