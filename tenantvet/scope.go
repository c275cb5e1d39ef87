package tenantvet

import (
	"go/ast"
	"go/token"
	"go/types"
)

// ctxVar is a variable that can give a statement its context.
type ctxVar struct {
	name    string
	request bool // an *http.Request: its Context()
}

// atHand returns the variables of type context.Context (or a type that
// implements it) or *http.Request visible at pos inside a function:
// parameters and local variables declared before pos, the inner ones
// hiding the outer ones of the same name. Package-level variables do not
// count.
func (c *checker) atHand(pos token.Pos) []ctxVar {
	file := c.fileOf(pos)
	if file == nil {
		return nil
	}
	scope := c.pass.TypesInfo.Scopes[file]
	if scope == nil {
		return nil
	}
	scope = scope.Innermost(pos)
	var out []ctxVar
	seen := make(map[string]bool)
	for s := scope; s != nil && s != c.pass.Pkg.Scope() && s != types.Universe; s = s.Parent() {
		for _, name := range s.Names() {
			if seen[name] {
				continue
			}
			obj := s.Lookup(name)
			if obj.Pos() >= pos && obj.Pos().IsValid() {
				continue // declared later: not yet in scope
			}
			seen[name] = true
			v, ok := obj.(*types.Var)
			if !ok || name == "_" {
				continue
			}
			switch t := v.Type(); {
			case c.isCtx(t):
				out = append(out, ctxVar{name: name})
			case isRequest(t):
				out = append(out, ctxVar{name: name, request: true})
			}
		}
	}
	return out
}

// isCtx reports whether t is context.Context or implements it.
func (c *checker) isCtx(t types.Type) bool {
	if t == nil {
		return false
	}
	if isContextType(t) {
		return true
	}
	if c.ctxIface == nil {
		return false
	}
	if _, isIface := t.Underlying().(*types.Interface); isIface {
		return false // another interface may hold anything
	}
	return types.Implements(t, c.ctxIface)
}

// pick returns the expression of the context to add at pos, when the
// choice is unambiguous: the one context variable in scope, else the one
// request's Context().
func pick(vars []ctxVar) (string, bool) {
	var ctxs, reqs []string
	for _, v := range vars {
		if v.request {
			reqs = append(reqs, v.name)
		} else {
			ctxs = append(ctxs, v.name)
		}
	}
	switch {
	case len(ctxs) == 1:
		return ctxs[0], true
	case len(ctxs) == 0 && len(reqs) == 1:
		return reqs[0] + ".Context()", true
	}
	return "", false
}

func (c *checker) fileOf(pos token.Pos) *ast.File {
	for _, f := range c.pass.Files {
		if f.FileStart <= pos && pos <= f.FileEnd {
			return f
		}
	}
	return nil
}
