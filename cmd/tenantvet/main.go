// Command tenantvet reports GORM statements run without the request's
// context, which tenantplugin refuses at run time. Run it alone or as a
// vet tool:
//
//	go run github.com/tenantrouter/tenantplugin/cmd/tenantvet ./...
//	go vet -vettool=$(which tenantvet) ./...
//
// -fix applies the suggested fixes. The rules are those of package
// [github.com/tenantrouter/tenantplugin/tenantvet].
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/tenantrouter/tenantplugin/tenantvet"
)

func main() { singlechecker.Main(tenantvet.Analyzer) }
