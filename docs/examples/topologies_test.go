package docs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// clusterFromOneNode makes a client discover a Redis Cluster from the one
// node its connection string names.
var clusterFromOneNode = settings.ConfigureOptions(func(o *redis.UniversalOptions) {
	o.IsClusterMode = true
})

// topologyApp starts an application with fxmodule.Module and the client
// option, and returns the client and the /health handler.
func topologyApp(t *testing.T, client fx.Option) (redis.UniversalClient, http.Handler) {
	t.Helper()
	var p struct {
		fx.In
		Client redis.UniversalClient
		Health http.Handler `name:"health"`
	}
	app := fxtest.New(t, fx.NopLogger, fxmodule.Module, client, fx.Populate(&p))
	app.RequireStart()
	t.Cleanup(app.RequireStop)
	return p.Client, p.Health
}

func requireHealthy(t *testing.T, h http.Handler) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/health = %d %s", rec.Code, rec.Body)
	}
}

// writeKeys writes keys that land on every primary of a cluster.
func writeKeys(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	for i := range 50 {
		if err := rdb.Set(ctx, fmt.Sprint("key:", i), i, 0).Err(); err != nil {
			t.Fatalf("SET key:%d: %v", i, err)
		}
	}
}

func TestTopologies(t *testing.T) {
	t.Run("cluster: every node listed", func(t *testing.T) {
		c := testserver.StartCluster(t, testserver.ClusterOptions{Password: "pw"})
		t.Chdir(t.TempDir())
		t.Setenv("ConnectionStrings__cache", c.ConnectionString()) // node1,node2,...,password=pw
		rdb, health := topologyApp(t, fx.Provide(rediscache.Client("cache")))
		if _, ok := rdb.(*redis.ClusterClient); !ok {
			t.Fatalf("client is %T", rdb)
		}
		writeKeys(t, rdb)
		requireHealthy(t, health)

		t.Run("one node, standalone", func(t *testing.T) {
			t.Setenv("ConnectionStrings__cache", c.Addrs()[0]+",password=pw")
			rdb, _ := topologyApp(t, fx.Provide(rediscache.Client("cache")))
			ctx := context.Background()
			for i := range 50 {
				err := rdb.Set(ctx, fmt.Sprint("key:", i), i, 0).Err()
				if errors.Is(err, rediscache.ErrRedirect) {
					t.Logf("as documented: %v", err)
					return
				}
			}
			t.Fatal("no ErrRedirect from a standalone client on a cluster node")
		})
		t.Run("one node, IsClusterMode", func(t *testing.T) {
			t.Setenv("ConnectionStrings__cache", c.Addrs()[0]+",password=pw")
			client := fx.Provide(rediscache.Client("cache", clusterFromOneNode))
			rdb, health := topologyApp(t, client)
			if _, ok := rdb.(*redis.ClusterClient); !ok {
				t.Fatalf("client is %T", rdb)
			}
			writeKeys(t, rdb)
			requireHealthy(t, health)
		})
	})

	t.Run("sentinel", func(t *testing.T) {
		set := testserver.StartSentinel(t, testserver.SentinelOptions{Password: "data-pw", SentinelPassword: "sentinel-pw"})
		t.Chdir(t.TempDir())
		cs := strings.Join(set.SentinelAddrs(), ",") + ",serviceName=" + set.MasterName + ",password=data-pw,sentinelPassword=sentinel-pw"
		t.Setenv("ConnectionStrings__cache", cs)
		rdb, health := topologyApp(t, fx.Provide(rediscache.Client("cache")))
		if _, ok := rdb.(*redis.Client); !ok {
			t.Fatalf("client is %T", rdb)
		}
		if err := rdb.Set(context.Background(), "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		requireHealthy(t, health)
	})
}

// How each topology is written, and which client it becomes.
func Example_topologies() {
	for _, s := range []string{
		"redis-0:6379",
		"redis-0:7000,redis-1:7000,redis-2:7000",
		"sentinel-0,sentinel-1,sentinel-2,serviceName=mymaster,password=data-pw,sentinelPassword=sentinel-pw",
		"valkey://valkey:6379",
		"garnet:6379,password=pw,protocol=resp2",
	} {
		conn, err := settings.ParseConnectionString(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(conn.Topology, conn.Endpoints, "serviceName="+conn.Options.MasterName)
	}
	// Output:
	// standalone [redis-0:6379] serviceName=
	// cluster [redis-0:7000 redis-1:7000 redis-2:7000] serviceName=
	// sentinel [sentinel-0:26379 sentinel-1:26379 sentinel-2:26379] serviceName=mymaster
	// standalone [valkey:6379] serviceName=
	// standalone [garnet:6379] serviceName=
}
