package tenantvet_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

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

func TestAnalyzer(t *testing.T) {
	tests := []string{"basic", "vars", "helpers", "helpers/repo", "closures", "generics", "routed"}
	for _, pkg := range tests {
		t.Run(pkg, func(t *testing.T) {
			analysistest.Run(t, testdata(t), tenantvet.Analyzer, "example.com/app/"+pkg)
		})
	}
}
