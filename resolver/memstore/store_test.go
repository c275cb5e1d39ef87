package memstore_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/memstore"
	"github.com/tenantrouter/tenantplugin/resolver/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) resolver.Store { return memstore.New() })
}
