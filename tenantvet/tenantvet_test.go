package tenantvet_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/tenantrouter/tenantplugin/tenantvet"
)

// module is a copy of testdata/ whose go.sum is the repository's own and
// whose replace names the repository, so that the testdata module
// follows whatever versions the repository's go.mod requires.
var module string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tenantvet")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := prepare(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	module = dir
	return m.Run()
}

// prepare copies testdata/ into dir, with the repository's go.sum and a
// go.mod that requires nothing but the repository (replaced by its
// directory): the go command completes it (-mod=mod) with the versions the
// repository selects, so the copy needs no module the repository does not.
func prepare(dir string) error {
	root, err := filepath.Abs("..")
	if err != nil {
		return err
	}
	if err := os.CopyFS(dir, os.DirFS("testdata")); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		return err
	}
	rootMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	goLine := "go 1.26.0"
	for line := range strings.Lines(string(rootMod)) {
		if strings.HasPrefix(line, "go ") {
			goLine = strings.TrimSpace(line)
		}
	}
	mod := fmt.Sprintf("module example.com/app\n\n%s\n\nrequire %s v0.0.0-00010101000000-000000000000\n\nreplace %[2]s => %s\n",
		goLine, "github.com/tenantrouter/tenantplugin", root)
	return os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644)
}

// testdata returns the module of the testdata packages, and lets the go
// command complete its go.mod.
func testdata(t *testing.T) string {
	t.Helper()
	t.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"))
	return module
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
	// The single-tenant twin is the program before its conversion: every
	// query of its handlers, which have the request at hand, must be
	// reported; nothing else in example/ may be. (Its db.AutoMigrate at
	// start is on a *gorm.DB parameter, which may carry the caller's
	// context: not followed, not reported.)
	twin := filepath.Join(root, "example", "twin", "single", "main.go")
	want := map[int]bool{}
	src, err := os.ReadFile(twin)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(src), "\n") {
		if strings.Contains(line, "db.Order(") || strings.Contains(line, "db.Create(") {
			want[i+1] = true
		}
	}
	if len(want) != 4 {
		t.Fatalf("%s has %d statements: the twin changed", twin, len(want))
	}
	checked, seen := 0, map[int]bool{}
	for _, act := range g.Roots {
		if act.Err != nil {
			t.Errorf("%s: %v", act.Package.PkgPath, act.Err)
		}
		checked++
		for _, d := range act.Diagnostics {
			pos := act.Package.Fset.Position(d.Pos)
			if pos.Filename == twin && want[pos.Line] {
				seen[pos.Line] = true // once per package, and again in its test variant
				continue
			}
			t.Errorf("%s: %s", pos, d.Message)
		}
	}
	for line := range want {
		if !seen[line] {
			t.Errorf("%s:%d: the single-tenant twin's query is not reported", twin, line)
		}
	}
	t.Logf("%d packages checked", checked)
}
