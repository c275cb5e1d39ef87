package redisstore_test

import (
	"context"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/storetest"
)

// The conformance suite through the ordinary Sentinel and Cluster
// clients, on the topologies scripts/services.sh starts; each service
// name is a test's own, so its keys are too.

func TestConformanceSentinel(t *testing.T) {
	topo := testenv.Sentinel(t, testenv.Shared)
	testConformanceURL(t, topo.URL)
}

func TestConformanceCluster(t *testing.T) {
	topo := testenv.Cluster(t, testenv.Shared)
	testConformanceURL(t, topo.URL)
}

func testConformanceURL(t *testing.T, url string) {
	client, err := redisurl.NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T) tenantconfig.Store { return newStore(t, client) })
}
