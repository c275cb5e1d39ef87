package tenantvet

import (
	"go/ast"
	"go/token"
	"go/types"
	"math"
)

// eval returns the value of the GORM chain e.
func (c *checker) eval(e ast.Expr) value {
	e = ast.Unparen(e)
	info := c.pass.TypesInfo
	if isNil(info, e) {
		return none
	}
	if !tracked(info.TypeOf(e)) {
		return unknown
	}
	switch e := e.(type) {
	case *ast.Ident:
		v, ok := info.Uses[e].(*types.Var)
		if !ok {
			return unknown
		}
		return c.evalVar(v, e.Pos())
	case *ast.SelectorExpr:
		if sel, ok := info.Selections[e]; ok {
			if f, ok := sel.Obj().(*types.Var); ok && sel.Kind() == types.FieldVal {
				return c.fieldValue(f)
			}
			return unknown
		}
		if v, ok := info.Uses[e.Sel].(*types.Var); ok && v.Parent() == v.Pkg().Scope() {
			return noCtx // another package's variable
		}
	case *ast.CallExpr:
		return c.evalCall(e, 0)
	}
	return unknown
}

// fieldValue returns the value of field f: a root without context,
// unless this package writes it a chain that has one.
func (c *checker) fieldValue(f *types.Var) value {
	if val, ok := c.fields[f]; ok {
		return val
	}
	c.fields[f] = noCtx // while the writes are evaluated
	val := noCtx
	for _, w := range c.fieldWrites[f] {
		if fine(c.eval(w).st) {
			val = unknown
			break
		}
	}
	c.fields[f] = val
	return val
}

// evalVar returns the value of variable v used at pos.
func (c *checker) evalVar(v *types.Var, pos token.Pos) value {
	if v.IsField() {
		return noCtx
	}
	if v.Pkg() != nil && v.Parent() == v.Pkg().Scope() {
		return noCtx // a package-level variable is a root without context
	}
	val := c.varValue(v)
	if _, cb := c.callbacks[v]; cb {
		return val
	}
	if p, ok := c.paramOf[v]; ok && len(c.defs[v]) == 0 && c.captured(p.fn, pos) {
		// A parameter kept by a closure that is handed its own context
		// or request (a handler, a task) is a stored root, like a field.
		return noCtx
	}
	return val
}

// captured reports whether pos is inside a function literal nested in fn
// that takes a context or a request, at any depth.
func (c *checker) captured(fn ast.Node, pos token.Pos) bool {
	for _, f := range c.enclosing(pos) {
		if f == fn {
			return false
		}
		if c.takesContext(f) {
			return true
		}
	}
	return false
}

// varValue returns the join of every value local variable v is given.
// A variable met again while its own value is being computed adds
// nothing (the least fixed point of chains that only pass the value on);
// values computed while an outer variable was unfinished are not kept.
func (c *checker) varValue(v *types.Var) value {
	if val, ok := c.vars[v]; ok {
		return val
	}
	if d, busy := c.busy[v]; busy {
		c.lowHit = min(c.lowHit, d)
		return none
	}
	depth := len(c.busy)
	c.busy[v] = depth
	saved := c.lowHit
	c.lowHit = math.MaxInt

	val := none
	if cb, ok := c.callbacks[v]; ok {
		val = c.inherited(c.recvValue(cb.sel), cb.call)
	} else if p, ok := c.paramOf[v]; ok {
		val = unknown
		if _, decl := p.fn.(*ast.FuncDecl); decl {
			val = value{st: stParam, param: p.index}
		}
	}
	for _, d := range c.defs[v] {
		switch {
		case d.expr != nil:
			val = join(val, c.eval(d.expr))
		case d.call != nil && isFunc(c.pass.TypesInfo, d.call, gormPath, "Open") && !c.plugins[v]:
			// A database opened here and given no plugin here is not
			// the plugin's: it needs no tenant.
			val = unknown
		case d.call != nil:
			val = join(val, c.evalCall(d.call, d.index))
		default:
			val = unknown
		}
	}

	delete(c.busy, v)
	if c.lowHit >= depth {
		c.vars[v] = val
	}
	c.lowHit = min(saved, c.lowHit)
	return val
}

// inherited is the value of the session a call on a chain of value v
// hands on: Begin's result, a Transaction or FindInBatches callback's tx.
func (c *checker) inherited(v value, call *ast.CallExpr) value {
	return inherit(v, v.st == stNoCtx && len(c.atHand(call.Pos())) > 0)
}

// recvValue returns the value of the chain the method sel selects is
// called on: sel.X, or the *gorm.DB embedded in it.
func (c *checker) recvValue(sel *ast.SelectorExpr) value {
	if s, ok := c.pass.TypesInfo.Selections[sel]; ok {
		if f := embedded(s); f != nil {
			return c.fieldValue(f)
		}
	}
	return c.eval(sel.X)
}

// evalCall returns the value of result index of call.
func (c *checker) evalCall(call *ast.CallExpr, index int) value {
	info := c.pass.TypesInfo
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		if _, rt, ok := chainMethod(info, sel); ok {
			return c.method(call, sel, rt)
		}
	}
	fn := calleeFunc(info, call)
	if fn == nil || fn.Pkg() == nil {
		return unknown
	}
	switch {
	case fn.Pkg().Path() == gormPath && fn.Name() == "G" && len(call.Args) > 0:
		for _, opt := range call.Args[1:] {
			if c.isReservedUse(opt) {
				return value{st: stReserved}
			}
		}
		return c.eval(call.Args[0])
	case fn.Pkg().Path() == gormPath && fn.Name() == "Open":
		if index == 0 {
			return noCtx
		}
		return unknown
	case fn.Pkg().Path() == pluginPath && fn.Name() == "AdoptTx" && len(call.Args) == 3:
		if r, ok := ast.Unparen(call.Args[2]).(*ast.CallExpr); ok && isFunc(info, r, pluginPath, "ReservedRoute") {
			return value{st: stReserved}
		}
		return c.eval(call.Args[0])
	}
	results := c.results(fn)
	if index >= len(results) {
		return unknown
	}
	r := results[index]
	if r.st != stParam {
		return r
	}
	if r.param < 0 {
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
			if s, ok := info.Selections[sel]; ok && s.Kind() == types.MethodVal {
				return c.eval(sel.X)
			}
		}
		return unknown
	}
	if r.param < len(call.Args) && !call.Ellipsis.IsValid() {
		sig := fn.Type().(*types.Signature)
		if !sig.Variadic() || r.param < sig.Params().Len()-1 {
			return c.eval(call.Args[r.param])
		}
	}
	return unknown
}

// method returns the value of a call of a method of a GORM chain.
func (c *checker) method(call *ast.CallExpr, sel *ast.SelectorExpr, recvType types.Type) value {
	info := c.pass.TypesInfo
	if !tracked(info.TypeOf(call)) {
		return unknown
	}
	name := sel.Sel.Name
	if !isGormDB(recvType) {
		return c.recvValue(sel) // Association and generics chains pass it on
	}
	switch name {
	case "WithContext":
		if len(call.Args) == 1 {
			return c.ctxArg(call.Args[0])
		}
	case "Session":
		if len(call.Args) != 1 {
			return unknown
		}
		u, ok := ast.Unparen(call.Args[0]).(*ast.UnaryExpr)
		if !ok || u.Op != token.AND {
			return unknown
		}
		lit, ok := u.X.(*ast.CompositeLit)
		if !ok {
			return unknown
		}
		for _, elt := range lit.Elts {
			if kv, ok := elt.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Context" {
					return c.ctxArg(kv.Value)
				}
			}
		}
		return c.recvValue(sel) // a session without Context keeps the chain's
	case "Clauses":
		for _, arg := range call.Args {
			if c.isReservedUse(arg) {
				return value{st: stReserved}
			}
		}
	}
	if dbFinishers[name] {
		return c.inherited(c.recvValue(sel), call)
	}
	return c.recvValue(sel)
}

// ctxArg is the value of a chain given the context e.
func (c *checker) ctxArg(e ast.Expr) value {
	if isBackground(c.pass.TypesInfo, e) {
		return value{st: stNoCtx, bg: e}
	}
	if isNil(c.pass.TypesInfo, e) {
		return unknown
	}
	return hasCtx
}

// isReservedUse reports whether e is reserved.Use(...).
func (c *checker) isReservedUse(e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	return ok && isFunc(c.pass.TypesInfo, call, reservedPath, "Use")
}

// results returns the summary of fn's results: from its declaration in
// this package, or from the fact its own package exported.
func (c *checker) results(fn *types.Func) []value {
	if r, ok := c.sums[fn]; ok {
		return r
	}
	decl, ok := c.decls[fn]
	if !ok {
		var fact Returns
		if !c.pass.ImportObjectFact(fn, &fact) {
			return nil
		}
		out := make([]value, len(fact.Results))
		for i, r := range fact.Results {
			out[i] = r.value()
		}
		c.sums[fn] = out
		return out
	}
	if c.sumBusy[fn] {
		return nil // recursion: unknown
	}
	c.sumBusy[fn] = true
	defer delete(c.sumBusy, fn)

	sig := fn.Type().(*types.Signature)
	n := sig.Results().Len()
	out := make([]value, n)
	if decl.Body == nil {
		return nil
	}
	ast.Inspect(decl.Body, func(node ast.Node) bool {
		switch node := node.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			switch {
			case len(node.Results) == n:
				for i, r := range node.Results {
					if tracked(sig.Results().At(i).Type()) {
						out[i] = join(out[i], c.eval(r))
					}
				}
			case len(node.Results) == 1:
				if call, ok := ast.Unparen(node.Results[0]).(*ast.CallExpr); ok {
					for i := range n {
						out[i] = join(out[i], c.evalCall(call, i))
					}
				}
			case len(node.Results) == 0:
				for i := range n {
					if v := sig.Results().At(i); tracked(v.Type()) {
						out[i] = join(out[i], c.varValue(v))
					}
				}
			}
		}
		return true
	})
	for i := range out {
		if out[i].st == stNone || !tracked(sig.Results().At(i).Type()) {
			out[i] = unknown
		}
		out[i].bg = nil
	}
	c.sums[fn] = out
	return out
}
