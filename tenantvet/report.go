package tenantvet

import (
	"fmt"
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// check reports call if it runs a statement on a chain without context
// while a context is at hand.
func (c *checker) check(call *ast.CallExpr) {
	info := c.pass.TypesInfo
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	s, recv, ok := chainMethod(info, sel)
	if !ok {
		return
	}
	name := sel.Sel.Name
	switch {
	case isGormDB(recv) && dbFinishers[name], isAssociation(recv) && assocFinishers[name]:
		c.checkChain(call, sel)
	case isGeneric(recv):
		sig, ok := s.Type().(*types.Signature)
		if ok && sig.Params().Len() > 0 && isContextType(sig.Params().At(0).Type()) && len(call.Args) > 0 {
			c.checkGeneric(call, sel)
		}
	}
}

func (c *checker) checkChain(call *ast.CallExpr, sel *ast.SelectorExpr) {
	v := c.recvValue(sel)
	if v.st != stNoCtx {
		return
	}
	vars := c.atHand(call.Pos())
	if len(vars) == 0 {
		return
	}
	ctx, ok := pick(vars)
	what := sel.Sel.Name
	if _, rt, _ := chainMethod(c.pass.TypesInfo, sel); isAssociation(rt) {
		what = "Association " + what
	}
	d := analysis.Diagnostic{Pos: sel.Sel.Pos(), End: call.End()}
	switch {
	case v.bg != nil:
		d.Message = fmt.Sprintf("tenantvet: %s on a GORM chain given %s, which carries no tenant: pass %s",
			what, types.ExprString(v.bg), orCtx(ctx, ok))
		if ok {
			d.SuggestedFixes = []analysis.SuggestedFix{{
				Message:   "Pass " + ctx,
				TextEdits: []analysis.TextEdit{{Pos: v.bg.Pos(), End: v.bg.End(), NewText: []byte(ctx)}},
			}}
		}
	default:
		d.Message = fmt.Sprintf("tenantvet: %s on a GORM chain without a context: the statement has no tenant; add .WithContext(%s)",
			what, orCtx(ctx, ok))
		root := c.root(sel.X)
		if ok && hasWithContext(c.pass.TypesInfo.TypeOf(root)) {
			d.SuggestedFixes = []analysis.SuggestedFix{{
				Message:   "Add .WithContext(" + ctx + ")",
				TextEdits: []analysis.TextEdit{{Pos: root.End(), End: root.End(), NewText: []byte(".WithContext(" + ctx + ")")}},
			}}
		}
	}
	c.pass.Report(d)
}

// checkGeneric checks a finisher of the generics API, which takes the
// statement's context as first argument.
func (c *checker) checkGeneric(call *ast.CallExpr, sel *ast.SelectorExpr) {
	info := c.pass.TypesInfo
	arg := call.Args[0]
	bg := isBackground(info, arg)
	if !bg && !isNil(info, arg) {
		return // given a context
	}
	v := c.recvValue(sel)
	if v.st == stReserved || !bg && v.st != stNoCtx {
		return // nil keeps the chain's own context
	}
	vars := c.atHand(call.Pos())
	if len(vars) == 0 {
		return
	}
	ctx, ok := pick(vars)
	d := analysis.Diagnostic{
		Pos: sel.Sel.Pos(), End: call.End(),
		Message: fmt.Sprintf("tenantvet: %s given %s, which carries no tenant: pass %s",
			sel.Sel.Name, types.ExprString(arg), orCtx(ctx, ok)),
	}
	if ok {
		d.SuggestedFixes = []analysis.SuggestedFix{{
			Message:   "Pass " + ctx,
			TextEdits: []analysis.TextEdit{{Pos: arg.Pos(), End: arg.End(), NewText: []byte(ctx)}},
		}}
	}
	c.pass.Report(d)
}

// root returns the start of the chain e: what the chain's method calls
// are made on.
func (c *checker) root(e ast.Expr) ast.Expr {
	for {
		call, ok := ast.Unparen(e).(*ast.CallExpr)
		if !ok {
			return e
		}
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok {
			return e
		}
		s, _, ok := chainMethod(c.pass.TypesInfo, sel)
		if !ok {
			return e
		}
		e = sel.X
		if embedded(s) != nil {
			return e // the chain starts at the embedded *gorm.DB
		}
	}
}

func orCtx(ctx string, ok bool) string {
	if ok {
		return ctx
	}
	return "ctx"
}
