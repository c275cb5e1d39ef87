package tenantvet_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/tenantrouter/tenantplugin/tenantvet"
)

func testdata(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestAnalyzer checks the reports and facts of the testdata packages
// against their want comments (loaded together: one type-check of their
// dependencies).
func TestAnalyzer(t *testing.T) {
	pkgs := []string{"basic", "vars", "helpers", "helpers/repo", "closures", "generics", "routed"}
	for i, p := range pkgs {
		pkgs[i] = "example.com/app/" + p
	}
	results := analysistest.Run(t, testdata(t), tenantvet.Analyzer, pkgs...)
	if len(results) < len(pkgs) {
		t.Fatalf("%d packages analysed, want %d", len(results), len(pkgs))
	}
}

// TestSuggestedFixes applies every fix of package fixes and compares the
// result with fixes.go.golden.
func TestSuggestedFixes(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, testdata(t), tenantvet.Analyzer, "example.com/app/fixes")
}

// TestExample runs the analyzer over the real packages of example/, their
// tests included, and expects no report: every statement there passes the
// request's context, takes a reserved route, or runs where no context is
// at hand.
func TestExample(t *testing.T) {
	if testing.Short() {
		t.Skip("loads example/ and its dependencies from source")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &packages.Config{Mode: packages.LoadAllSyntax, Dir: root, Tests: true}
	pkgs, err := packages.Load(cfg, "./example/...")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) == 0 {
		t.Fatal("no package loaded")
	}
	if packages.PrintErrors(pkgs) > 0 {
		t.Fatal("example/ does not load")
	}
	g, err := checker.Analyze([]*analysis.Analyzer{tenantvet.Analyzer}, pkgs, &checker.Options{SanityCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, act := range g.Roots {
		if act.Err != nil {
			t.Errorf("%s: %v", act.Package.PkgPath, act.Err)
		}
		checked++
		for _, d := range act.Diagnostics {
			t.Errorf("%s: %s", act.Package.Fset.Position(d.Pos), d.Message)
		}
	}
	t.Logf("%d packages checked", checked)
}
