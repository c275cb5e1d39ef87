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
