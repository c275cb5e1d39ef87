package tenantvet

import (
	"go/ast"
	"go/token"
	"go/types"
)

// def is one value a local variable of a tracked type is given.
type def struct {
	expr  ast.Expr      // the value, or nil
	call  *ast.CallExpr // or result index of call
	index int
}

// param describes a parameter of a tracked type.
type param struct {
	fn    ast.Node // *ast.FuncDecl or *ast.FuncLit
	index int      // -1: the receiver
}

// callback is a Transaction or FindInBatches call whose function literal
// gets the transaction (or batch) session as first parameter.
type callback struct {
	sel  *ast.SelectorExpr
	call *ast.CallExpr
}

// index collects, once per package, what evaluation looks up: the
// declarations of functions, the parameters and values of the variables
// of tracked types, the callbacks' sessions, and every function's extent.
func (c *checker) index() {
	info := c.pass.TypesInfo
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				c.fns = append(c.fns, n)
				if fn, ok := info.Defs[n.Name].(*types.Func); ok {
					c.decls[fn] = n
				}
				if n.Recv != nil {
					c.params(n, n.Recv, -1)
				}
				c.params(n, n.Type.Params, 0)
			case *ast.FuncLit:
				c.fns = append(c.fns, n)
				c.params(n, n.Type.Params, 0)
			case *ast.AssignStmt:
				c.assign(n.Lhs, n.Rhs)
				c.assignFields(n.Lhs, n.Rhs)
			case *ast.CompositeLit:
				c.literalFields(n)
			case *ast.ValueSpec:
				lhs := make([]ast.Expr, len(n.Names))
				for i, id := range n.Names {
					lhs[i] = id
				}
				c.assign(lhs, n.Values)
			case *ast.RangeStmt:
				c.opaque(n.Key)
				c.opaque(n.Value)
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					c.opaque(n.X)
				}
			case *ast.CallExpr:
				c.callback(n)
				c.plugged(n)
			}
			return true
		})
	}
}

func (c *checker) params(fn ast.Node, fields *ast.FieldList, first int) {
	if fields == nil {
		return
	}
	i := first
	for _, field := range fields.List {
		if len(field.Names) == 0 {
			i++
			continue
		}
		for _, id := range field.Names {
			if v, ok := c.pass.TypesInfo.Defs[id].(*types.Var); ok && tracked(v.Type()) {
				c.paramOf[v] = param{fn: fn, index: i}
			}
			if first >= 0 {
				i++
			}
		}
	}
}

// local returns the local variable of a tracked type that e names, or
// nil.
func (c *checker) local(e ast.Expr) *types.Var {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok || id.Name == "_" {
		return nil
	}
	v, ok := c.pass.TypesInfo.ObjectOf(id).(*types.Var)
	if !ok || v.IsField() || v.Parent() == c.pass.Pkg.Scope() || !tracked(v.Type()) {
		return nil
	}
	return v
}

func (c *checker) assign(lhs, rhs []ast.Expr) {
	for i, l := range lhs {
		v := c.local(l)
		if v == nil {
			continue
		}
		switch {
		case len(lhs) == len(rhs):
			c.defs[v] = append(c.defs[v], def{expr: rhs[i]})
		case len(rhs) == 1:
			if call, ok := ast.Unparen(rhs[0]).(*ast.CallExpr); ok {
				c.defs[v] = append(c.defs[v], def{call: call, index: i})
			} else {
				c.opaque(l) // v, ok := m[k] and the like
			}
		}
	}
}

// opaque records that e, if a local variable, gets a value the analysis
// does not follow.
func (c *checker) opaque(e ast.Expr) {
	if e == nil {
		return
	}
	if v := c.local(e); v != nil {
		c.defs[v] = append(c.defs[v], def{})
	}
}

func (c *checker) callback(call *ast.CallExpr) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	if _, rt, ok := chainMethod(c.pass.TypesInfo, sel); !ok || !isGormDB(rt) {
		return
	}
	arg := -1
	switch sel.Sel.Name {
	case "Transaction":
		arg = 0
	case "FindInBatches":
		arg = 2
	}
	if arg < 0 || arg >= len(call.Args) {
		return
	}
	lit, ok := ast.Unparen(call.Args[arg]).(*ast.FuncLit)
	if !ok || len(lit.Type.Params.List) == 0 || len(lit.Type.Params.List[0].Names) == 0 {
		return
	}
	if v, ok := c.pass.TypesInfo.Defs[lit.Type.Params.List[0].Names[0]].(*types.Var); ok {
		c.callbacks[v] = callback{sel: sel, call: call}
	}
}

// enclosing returns the functions whose bodies contain pos, innermost
// first.
func (c *checker) enclosing(pos token.Pos) []ast.Node {
	var out []ast.Node
	for _, fn := range c.fns {
		if fn.Pos() <= pos && pos < fn.End() {
			out = append(out, fn)
		}
	}
	// c.fns is in source order, so an enclosing function comes before
	// the functions inside it: reverse for innermost first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// takesContext reports whether fn has a parameter of type
// context.Context or *http.Request.
func (c *checker) takesContext(fn ast.Node) bool {
	var ft *ast.FuncType
	switch fn := fn.(type) {
	case *ast.FuncDecl:
		ft = fn.Type
	case *ast.FuncLit:
		ft = fn.Type
	}
	for _, field := range ft.Params.List {
		t := c.pass.TypesInfo.TypeOf(field.Type)
		if c.isCtx(t) || isRequest(t) {
			return true
		}
	}
	return false
}

// assignFields records the values written to fields of tracked types.
func (c *checker) assignFields(lhs, rhs []ast.Expr) {
	if len(lhs) != len(rhs) {
		return
	}
	for i, l := range lhs {
		sel, ok := ast.Unparen(l).(*ast.SelectorExpr)
		if !ok {
			continue
		}
		if s, ok := c.pass.TypesInfo.Selections[sel]; ok && s.Kind() == types.FieldVal {
			if f, ok := s.Obj().(*types.Var); ok && tracked(f.Type()) {
				c.fieldWrites[f] = append(c.fieldWrites[f], rhs[i])
			}
		}
	}
}

// literalFields records the values a struct literal gives fields of
// tracked types.
func (c *checker) literalFields(lit *ast.CompositeLit) {
	t := c.pass.TypesInfo.TypeOf(lit)
	if t == nil {
		return
	}
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return
	}
	for i, elt := range lit.Elts {
		var f *types.Var
		val := elt
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			id, ok := kv.Key.(*ast.Ident)
			if !ok {
				continue
			}
			f, _ = c.pass.TypesInfo.ObjectOf(id).(*types.Var)
			val = kv.Value
		} else if i < st.NumFields() {
			f = st.Field(i)
		}
		if f != nil && tracked(f.Type()) {
			c.fieldWrites[f] = append(c.fieldWrites[f], val)
		}
	}
}

// plugged records the local variables db of db.Use(plugin) calls.
func (c *checker) plugged(call *ast.CallExpr) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Use" {
		return
	}
	if _, rt, ok := chainMethod(c.pass.TypesInfo, sel); !ok || !isGormDB(rt) {
		return
	}
	if v := c.local(sel.X); v != nil {
		c.plugins[v] = true
	}
}
