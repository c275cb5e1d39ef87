package tenantvet

import "go/ast"

// state is what the analysis knows of a GORM chain: whether the
// statements it runs can find a tenant in their context.
type state uint8

const (
	// stNone is "no value yet" (nil, or a variable still being
	// evaluated): the identity of join.
	stNone state = iota
	// stUnknown: the chain may or may not carry a context. Never reported.
	stUnknown
	// stNoCtx: a root that carries no context (a struct field, a
	// package-level variable, gorm.Open, ...), or a chain given
	// context.Background() or context.TODO().
	stNoCtx
	// stCtx: the chain was given a context.
	stCtx
	// stReserved: the chain is routed to a reserved alias explicitly.
	stReserved
	// stReported: derived from a call already reported (Begin,
	// Transaction): reporting its uses again would repeat one mistake.
	stReported
	// stParam: the value of a parameter of the function being
	// summarised, whatever the caller passes.
	stParam
)

var stateNames = [...]string{"none", "unknown", "noctx", "ctx", "reserved", "reported", "param"}

func (s state) String() string { return stateNames[s] }

// value is the abstract value of a GORM chain.
type value struct {
	st    state
	param int // stParam: the parameter's index, -1 for the receiver
	// bg is the context.Background() or context.TODO() call that made
	// the chain stNoCtx, if that is how it lost its context.
	bg ast.Expr
}

var (
	none    = value{st: stNone}
	unknown = value{st: stUnknown}
	noCtx   = value{st: stNoCtx}
	hasCtx  = value{st: stCtx}
)

// join is the value of a variable that may hold a or b. A chain is
// reported only when every value that reaches it lacks a context.
func join(a, b value) value {
	switch {
	case a.st == stNone:
		return b
	case b.st == stNone:
		return a
	case a.st == b.st && (a.st != stParam || a.param == b.param):
		if a.bg != b.bg {
			a.bg = nil
		}
		return a
	case fine(a.st) && fine(b.st):
		return hasCtx
	case missing(a.st) && missing(b.st):
		return value{st: stReported}
	}
	return unknown
}

// fine reports whether statements of a chain in state s find their
// database.
func fine(s state) bool { return s == stCtx || s == stReserved }

// missing reports whether a chain in state s has no context.
func missing(s state) bool { return s == stNoCtx || s == stReported }

// inherit is the value of what a call on a chain of value v hands on (the
// result of Begin, the tx of a Transaction callback): once the call is
// reported, its descendants are not reported again.
func inherit(v value, reported bool) value {
	if v.st == stNoCtx && reported {
		return value{st: stReported}
	}
	return v
}
