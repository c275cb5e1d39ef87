package tenantvet

import (
	"go/ast"
	"go/types"
	"math"

	"golang.org/x/tools/go/analysis"
)

// Analyzer reports GORM statements that are given no context in a
// function that has one at hand; see the package documentation for the
// rules.
var Analyzer = &analysis.Analyzer{
	Name:      "tenantvet",
	Doc:       "report GORM statements run without the request's context, which tenantplugin refuses at run time\n\nSee https://pkg.go.dev/github.com/tenantrouter/tenantplugin/tenantvet for the rules.",
	URL:       "https://pkg.go.dev/github.com/tenantrouter/tenantplugin/tenantvet",
	FactTypes: []analysis.Fact{new(Returns)},
	Run:       run,
}

// checker holds the analysis of one package.
type checker struct {
	pass     *analysis.Pass
	ctxIface *types.Interface

	decls     map[*types.Func]*ast.FuncDecl
	fns       []ast.Node // every FuncDecl and FuncLit, in source order
	paramOf   map[*types.Var]param
	defs      map[*types.Var][]def
	callbacks map[*types.Var]callback
	// fieldWrites are the values this package writes to fields.
	fieldWrites map[*types.Var][]ast.Expr
	fields      map[*types.Var]value
	// plugins are the local variables given a plugin with db.Use.
	plugins map[*types.Var]bool

	vars    map[*types.Var]value
	busy    map[*types.Var]int
	lowHit  int
	sums    map[*types.Func][]value
	sumBusy map[*types.Func]bool
}

func run(pass *analysis.Pass) (any, error) {
	gorm := findImport(pass.Pkg, gormPath, map[*types.Package]bool{})
	if gorm == nil {
		return nil, nil // no GORM chain can be named here
	}
	c := &checker{
		pass:        pass,
		decls:       make(map[*types.Func]*ast.FuncDecl),
		paramOf:     make(map[*types.Var]param),
		defs:        make(map[*types.Var][]def),
		callbacks:   make(map[*types.Var]callback),
		fieldWrites: make(map[*types.Var][]ast.Expr),
		fields:      make(map[*types.Var]value),
		plugins:     make(map[*types.Var]bool),
		vars:        make(map[*types.Var]value),
		busy:        make(map[*types.Var]int),
		lowHit:      math.MaxInt,
		sums:        make(map[*types.Func][]value),
		sumBusy:     make(map[*types.Func]bool),
	}
	if ctx := findImport(gorm, "context", map[*types.Package]bool{}); ctx != nil {
		if obj := ctx.Scope().Lookup("Context"); obj != nil {
			c.ctxIface, _ = obj.Type().Underlying().(*types.Interface)
		}
	}
	c.index()
	c.exportFacts()

	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				c.check(call)
			}
			return true
		})
	}
	return nil, nil
}

// findImport returns the package path among pkg and its dependencies.
func findImport(pkg *types.Package, path string, seen map[*types.Package]bool) *types.Package {
	if pkg.Path() == path {
		return pkg
	}
	if seen[pkg] {
		return nil
	}
	seen[pkg] = true
	for _, imp := range pkg.Imports() {
		if p := findImport(imp, path, seen); p != nil {
			return p
		}
	}
	return nil
}

// exportFacts exports the summary of every function of the package that
// returns a GORM chain.
func (c *checker) exportFacts() {
	for fn := range c.decls {
		sig := fn.Type().(*types.Signature)
		has := false
		for i := range sig.Results().Len() {
			has = has || tracked(sig.Results().At(i).Type())
		}
		if !has {
			continue
		}
		results := c.results(fn)
		fact := &Returns{Results: make([]Result, sig.Results().Len())}
		informative := false
		for i := range fact.Results {
			var v value
			if i < len(results) {
				v = results[i]
			}
			fact.Results[i] = resultOf(v)
			informative = informative || fact.Results[i].State != stUnknown.String()
		}
		if informative {
			c.pass.ExportObjectFact(fn, fact)
		}
	}
}
