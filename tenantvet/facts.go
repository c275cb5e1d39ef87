package tenantvet

import (
	"fmt"
	"strings"
)

// Returns is the fact exported for a function or method that returns a
// GORM chain (*gorm.DB, or one of the generics API's chains): for each
// result, whether it carries a context. Callers in other packages read it
// to judge the chains they get from the function.
type Returns struct {
	// Results has one entry per result of the function.
	Results []Result
}

// Result summarises one result of a function.
type Result struct {
	// State is the result's state: "noctx", "ctx", "reserved",
	// "reported", "param" or "unknown".
	State string
	// Param is, for State "param", the index of the parameter whose
	// chain the result continues; -1 is the receiver.
	Param int
}

// AFact marks Returns as an analysis fact.
func (*Returns) AFact() {}

func (r *Returns) String() string {
	parts := make([]string, len(r.Results))
	for i, res := range r.Results {
		if res.State == stParam.String() {
			parts[i] = fmt.Sprintf("param(%d)", res.Param)
			continue
		}
		parts[i] = res.State
	}
	return "returns(" + strings.Join(parts, ", ") + ")"
}

func (r Result) value() value {
	for s, name := range stateNames {
		if name == r.State {
			return value{st: state(s), param: r.Param}
		}
	}
	return unknown
}

func resultOf(v value) Result {
	if v.st == stNone {
		v = unknown
	}
	return Result{State: v.st.String(), Param: v.param}
}
