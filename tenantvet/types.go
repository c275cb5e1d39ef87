package tenantvet

import (
	"go/ast"
	"go/types"
)

const (
	gormPath     = "gorm.io/gorm"
	reservedPath = "github.com/tenantrouter/tenantplugin/reserved"
	pluginPath   = "github.com/tenantrouter/tenantplugin"
)

// dbFinishers are the methods of *gorm.DB that run SQL or begin a
// transaction, and so need the statement's tenant.
var dbFinishers = map[string]bool{
	"Find": true, "First": true, "Take": true, "Last": true, "Scan": true,
	"Pluck": true, "Count": true, "Row": true, "Rows": true,
	"FirstOrCreate": true, "FirstOrInit": true, "FindInBatches": true,
	"Create": true, "CreateInBatches": true, "Save": true,
	"Update": true, "Updates": true, "UpdateColumn": true, "UpdateColumns": true,
	"Delete": true, "Exec": true, "Transaction": true, "Begin": true,
	"AutoMigrate": true, "Migrator": true,
}

// assocFinishers are the methods of *gorm.Association that run SQL.
var assocFinishers = map[string]bool{
	"Find": true, "Append": true, "Replace": true, "Delete": true, "Clear": true, "Count": true,
}

// genericChains are the interfaces of GORM's generics API (gorm.G[T]).
var genericChains = map[string]bool{
	"Interface": true, "ChainInterface": true, "CreateInterface": true, "ExecInterface": true,
	"SetUpdateOnlyInterface": true, "SetCreateOrUpdateInterface": true,
}

// named returns the package path and name of t's named type, looking
// through one pointer when ptr is set.
func named(t types.Type, ptr bool) (path, name string) {
	if t == nil {
		return "", ""
	}
	if ptr {
		p, ok := types.Unalias(t).(*types.Pointer)
		if !ok {
			return "", ""
		}
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return "", ""
	}
	obj := n.Origin().Obj()
	return obj.Pkg().Path(), obj.Name()
}

func isGormDB(t types.Type) bool {
	p, n := named(t, true)
	return p == gormPath && n == "DB"
}

func isAssociation(t types.Type) bool {
	p, n := named(t, true)
	return p == gormPath && n == "Association"
}

func isGeneric(t types.Type) bool {
	p, n := named(t, false)
	return p == gormPath && genericChains[n]
}

// tracked reports whether values of type t are GORM chains whose
// context the analysis follows.
func tracked(t types.Type) bool { return isGormDB(t) || isAssociation(t) || isGeneric(t) }

func isContextType(t types.Type) bool {
	p, n := named(t, false)
	return p == "context" && n == "Context"
}

func isRequest(t types.Type) bool {
	p, n := named(t, true)
	return p == "net/http" && n == "Request"
}

// isFunc reports whether call calls the package-level function path.name.
func isFunc(info *types.Info, call *ast.CallExpr, path, name string) bool {
	fn := calleeFunc(info, call)
	return fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == path && fn.Name() == name &&
		fn.Type().(*types.Signature).Recv() == nil
}

// calleeFunc returns the function or method call calls statically (the
// generic function for an instantiation), or nil.
func calleeFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	fun := ast.Unparen(call.Fun)
	switch f := fun.(type) {
	case *ast.IndexExpr:
		fun = f.X
	case *ast.IndexListExpr:
		fun = f.X
	}
	var id *ast.Ident
	switch f := ast.Unparen(fun).(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		if sel, ok := info.Selections[f]; ok && sel.Kind() != types.MethodVal {
			return nil
		}
		if sel, ok := info.Selections[f]; ok {
			if _, iface := sel.Recv().Underlying().(*types.Interface); iface {
				return nil
			}
		}
		id = f.Sel
	default:
		return nil
	}
	fn, _ := info.Uses[id].(*types.Func)
	if fn == nil {
		return nil
	}
	return fn.Origin()
}

// isBackground reports whether e is a call of context.Background or
// context.TODO: a context that carries no tenant.
func isBackground(info *types.Info, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	return ok && (isFunc(info, call, "context", "Background") || isFunc(info, call, "context", "TODO"))
}

func isNil(info *types.Info, e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return false
	}
	_, isNil := info.Uses[id].(*types.Nil)
	return isNil
}

// chainMethod returns the selection of sel when it selects a method of a
// GORM chain, and the method's own receiver type (which differs from the
// selection's when the method is promoted from an embedded *gorm.DB).
func chainMethod(info *types.Info, sel *ast.SelectorExpr) (*types.Selection, types.Type, bool) {
	s, ok := info.Selections[sel]
	if !ok || s.Kind() != types.MethodVal {
		return nil, nil, false
	}
	fn, ok := s.Obj().(*types.Func)
	if !ok {
		return nil, nil, false
	}
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return nil, nil, false
	}
	rt := recv.Type()
	if _, iface := rt.Underlying().(*types.Interface); iface {
		rt = s.Recv() // an interface method: the interface is the chain
	}
	if !tracked(rt) {
		return nil, nil, false
	}
	return s, rt, true
}

// embedded returns the field through which s reaches a promoted method,
// or nil when the method is not promoted.
func embedded(s *types.Selection) *types.Var {
	path := s.Index()
	if len(path) < 2 {
		return nil
	}
	t := s.Recv()
	var f *types.Var
	for _, i := range path[:len(path)-1] {
		if p, ok := t.Underlying().(*types.Pointer); ok {
			t = p.Elem()
		}
		st, ok := t.Underlying().(*types.Struct)
		if !ok || i >= st.NumFields() {
			return nil
		}
		f = st.Field(i)
		t = f.Type()
	}
	return f
}

// hasWithContext reports whether values of type t have *gorm.DB's
// WithContext method, directly or promoted.
func hasWithContext(t types.Type) bool {
	obj, _, _ := types.LookupFieldOrMethod(t, true, nil, "WithContext")
	fn, ok := obj.(*types.Func)
	if !ok {
		return false
	}
	recv := fn.Type().(*types.Signature).Recv()
	return recv != nil && isGormDB(recv.Type())
}
