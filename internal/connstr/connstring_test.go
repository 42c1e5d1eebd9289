package connstr

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// tlsWant is the part of a tls.Config the parser sets.
type tlsWant struct {
	serverName string
	min, max   uint16
	skip       bool
}

// baseOptions are the options every parsed connection starts from.
func baseOptions(addrs ...string) *redis.UniversalOptions {
	return &redis.UniversalOptions{
		Addrs:                 addrs,
		DialTimeout:           5 * time.Second,
		ReadTimeout:           5 * time.Second,
		WriteTimeout:          5 * time.Second,
		ContextTimeoutEnabled: true,
		DialerRetries:         3,
	}
}

type parseCase struct {
	name    string
	in      string
	topo    Topology
	addrs   []string
	edit    func(o *redis.UniversalOptions) // changes from baseOptions(addrs...)
	tls     *tlsWant
	dialer  bool // Options.Dialer is set (unix socket or tunnel)
	abort   bool
	ignored []string
	tunnel  string
}

func checkConnection(t *testing.T, tc parseCase, c *Connection) {
	t.Helper()
	if c.Topology != tc.topo {
		t.Errorf("Topology = %v, want %v", c.Topology, tc.topo)
	}
	if c.AbortConnect != tc.abort {
		t.Errorf("AbortConnect = %v, want %v", c.AbortConnect, tc.abort)
	}
	if !slices.Equal(c.Ignored, tc.ignored) {
		t.Errorf("Ignored = %q, want %q", c.Ignored, tc.ignored)
	}
	if c.Tunnel != tc.tunnel {
		t.Errorf("Tunnel = %q, want %q", c.Tunnel, tc.tunnel)
	}
	if !slices.Equal(c.Endpoints, tc.addrs) {
		t.Errorf("Endpoints = %q, want %q", c.Endpoints, tc.addrs)
	}
	got := *c.Options
	if (got.Dialer != nil) != tc.dialer {
		t.Errorf("Dialer set = %v, want %v", got.Dialer != nil, tc.dialer)
	}
	got.Dialer = nil
	switch {
	case tc.tls == nil && got.TLSConfig != nil:
		t.Errorf("TLSConfig = %+v, want none", got.TLSConfig)
	case tc.tls != nil && got.TLSConfig == nil:
		t.Errorf("TLSConfig = nil, want %+v", *tc.tls)
	case tc.tls != nil:
		g := tlsWant{got.TLSConfig.ServerName, got.TLSConfig.MinVersion, got.TLSConfig.MaxVersion, got.TLSConfig.InsecureSkipVerify}
		if g != *tc.tls {
			t.Errorf("TLSConfig = %+v, want %+v", g, *tc.tls)
		}
	}
	got.TLSConfig = nil
	want := baseOptions(tc.addrs...)
	if tc.edit != nil {
		tc.edit(want)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("Options:\n got %+v\nwant %+v", got, *want)
	}
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			checkConnection(t, tc, c)
		})
	}
}

func TestParseConnectionStringEndpoints(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "host", in: "localhost", addrs: []string{"localhost:6379"}},
		{name: "host:port", in: "localhost:6380", addrs: []string{"localhost:6380"}},
		{name: "IPv4", in: "127.0.0.1:7000", addrs: []string{"127.0.0.1:7000"}},
		{name: "Aspire container", in: "localhost:5001,password=p@ssw0rd1", addrs: []string{"localhost:5001"},
			edit: func(o *redis.UniversalOptions) { o.Password = "p@ssw0rd1" }},
		{name: "bracketed IPv6", in: "[::1]", addrs: []string{"[::1]:6379"}},
		{name: "bracketed IPv6 with port", in: "[::1]:7000", addrs: []string{"[::1]:7000"}},
		{name: "bracketed IPv6 normalised", in: "[0:0::0001]:7000", addrs: []string{"[::1]:7000"}},
		{name: "bare IPv6", in: "::1", addrs: []string{"[::1]:6379"}},
		{name: "bare IPv6 has no port", in: "::1:6379", addrs: []string{"[::1:6379]:6379"}},
		{name: "IPv6 zone", in: "fe80::1%eth0", addrs: []string{"[fe80::1%eth0]:6379"}},
		{name: "unix socket", in: "!/var/run/redis.sock", addrs: []string{"/var/run/redis.sock"}, dialer: true},
		{name: "leading zeros in port", in: "localhost:06379", addrs: []string{"localhost:6379"}},
		{name: "max port", in: "localhost:65535", addrs: []string{"localhost:65535"}},
		{name: "duplicates dropped", in: "a:1,b:2,a:1,B:2", topo: Cluster, addrs: []string{"a:1", "b:2"}},
		{name: "duplicate after default port", in: "localhost,localhost:6379", addrs: []string{"localhost:6379"}},
		{name: "cluster", in: "a,b:7001,c:7002", topo: Cluster, addrs: []string{"a:6379", "b:7001", "c:7002"}},
		{name: "cluster TLS without common host", in: "a:1,b:2,ssl=true", topo: Cluster, addrs: []string{"a:1", "b:2"},
			tls: &tlsWant{min: tls.VersionTLS12}},
		{name: "cluster TLS with common host", in: "a:1,A:2,ssl=true", topo: Cluster, addrs: []string{"a:1", "A:2"},
			tls: &tlsWant{serverName: "a", min: tls.VersionTLS12}},
		{name: "sentinel", in: "s1,s2:26380,serviceName=mymaster", topo: Sentinel, addrs: []string{"s1:26379", "s2:26380"},
			edit: func(o *redis.UniversalOptions) { o.MasterName = "mymaster" }},
		{name: "sentinel with ssl keeps 26379", in: "s1,ssl=true,serviceName=m", topo: Sentinel, addrs: []string{"s1:26379"},
			tls:  &tlsWant{serverName: "", min: tls.VersionTLS12}, // the sentinels' host is not the data nodes'
			edit: func(o *redis.UniversalOptions) { o.MasterName = "m" }},
		{name: "empty serviceName is not sentinel", in: "a,serviceName=", addrs: []string{"a:6379"}},
		{name: "whitespace and empty pieces", in: " , localhost:6379 ,, ssl = true , ", addrs: []string{"localhost:6379"},
			tls: &tlsWant{serverName: "localhost", min: tls.VersionTLS12}},
		{name: "endpoint after options", in: "ssl=false,localhost", addrs: []string{"localhost:6379"}},
		{name: "endpoint after password and another key", in: "password=x,ssl=false,localhost", addrs: []string{"localhost:6379"},
			edit: func(o *redis.UniversalOptions) { o.Password = "x" }},
	})
}

func TestParseConnectionStringKeys(t *testing.T) {
	addrs := []string{"h:6379"}
	tls12 := &tlsWant{serverName: "h", min: tls.VersionTLS12}
	runParseCases(t, []parseCase{
		{name: "abortConnect default false", in: "h", addrs: addrs},
		{name: "abortConnect=true", in: "h,abortConnect=true", addrs: addrs, abort: true},
		{name: "abortConnect=false", in: "h,abortConnect=false", addrs: addrs},
		{name: "allowAdmin", in: "h,allowAdmin=true", addrs: addrs, ignored: []string{"allowAdmin"}},
		{name: "asyncTimeout", in: "h,asyncTimeout=7000", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.ReadTimeout, o.WriteTimeout = 7*time.Second, 7*time.Second }},
		{name: "channelPrefix empty", in: "h,channelPrefix=", addrs: addrs},
		{name: "checkCertificateRevocation=false", in: "h,checkCertificateRevocation=false", addrs: addrs},
		{name: "configChannel", in: "h,configChannel=chan", addrs: addrs, ignored: []string{"configChannel"}},
		{name: "configCheckSeconds", in: "h,configCheckSeconds=60", addrs: addrs, ignored: []string{"configCheckSeconds"}},
		{name: "connectRetry", in: "h,connectRetry=3", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.DialerRetries = 3 }},
		{name: "connectRetry=0 is one attempt", in: "h,connectRetry=0", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.DialerRetries = 1 }},
		{name: "connectTimeout", in: "h,connectTimeout=1500", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.DialTimeout = 1500 * time.Millisecond }},
		{name: "defaultDatabase", in: "h,defaultDatabase=3", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.DB = 3 }},
		{name: "defaultDatabase=0 with cluster", in: "a,b,defaultDatabase=0", topo: Cluster, addrs: []string{"a:6379", "b:6379"}},
		{name: "highIntegrity=false", in: "h,highIntegrity=false", addrs: addrs},
		{name: "highPriorityThreads", in: "h,highPriorityThreads=true", addrs: addrs, ignored: []string{"highPriorityThreads"}},
		{name: "keepAlive", in: "h,keepAlive=-1", addrs: addrs, ignored: []string{"keepAlive"}},
		{name: "name", in: "h,name=my-app", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.ClientName = "my-app" }},
		{name: "password", in: "h,password=secret", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.Password = "secret" }},
		{name: "password split at the first =", in: "h,password=a=b=", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.Password = "a=b=" }},
		{name: "password trimmed", in: "h, password = secret ", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.Password = "secret" }},
		{name: "preserveAsyncOrder", in: "h,preserveAsyncOrder=false", addrs: addrs, ignored: []string{"preserveAsyncOrder"}},
		{name: "protocol=resp2", in: "h,protocol=resp2", addrs: addrs, edit: func(o *redis.UniversalOptions) { o.Protocol = 2 }},
		{name: "protocol=RESP3", in: "h,protocol=RESP3", addrs: addrs, edit: func(o *redis.UniversalOptions) { o.Protocol = 3 }},
		{name: "protocol=2", in: "h,protocol=2", addrs: addrs, edit: func(o *redis.UniversalOptions) { o.Protocol = 2 }},
		{name: "protocol=3", in: "h,protocol=3", addrs: addrs, edit: func(o *redis.UniversalOptions) { o.Protocol = 3 }},
		{name: "proxy=None", in: "h,proxy=None", addrs: addrs},
		{name: "proxy=twemproxy one endpoint", in: "h,proxy=twemproxy", addrs: addrs},
		{name: "proxy=Envoyproxy one endpoint", in: "h,proxy=Envoyproxy", addrs: addrs},
		{name: "resolveDns", in: "h,resolveDns=true", addrs: addrs, ignored: []string{"resolveDns"}},
		{name: "responseTimeout", in: "h,responseTimeout=100", addrs: addrs, ignored: []string{"responseTimeout"}},
		{name: "sentinel password from password", in: "s,serviceName=m,user=u,password=p", topo: Sentinel, addrs: []string{"s:26379"},
			edit: func(o *redis.UniversalOptions) {
				o.MasterName, o.Username, o.Password, o.SentinelPassword = "m", "u", "p", "p"
			}},
		{name: "sentinelUser and sentinelPassword", in: "s,serviceName=m,password=p,sentinelUser=su,sentinelPassword=sp", topo: Sentinel,
			addrs: []string{"s:26379"},
			edit: func(o *redis.UniversalOptions) {
				o.MasterName, o.Password, o.SentinelUsername, o.SentinelPassword = "m", "p", "su", "sp"
			}},
		{name: "sentinel keys without serviceName", in: "h,sentinelUser=su,sentinelPassword=sp", addrs: addrs},
		{name: "serviceName", in: "h,serviceName=m", topo: Sentinel, addrs: []string{"h:26379"},
			edit: func(o *redis.UniversalOptions) { o.MasterName = "m" }},
		{name: "setlib=false", in: "h,setlib=false", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.DisableIdentity = true }},
		{name: "setlib=true", in: "h,setlib=true", addrs: addrs},
		{name: "ssl=true", in: "h,ssl=true", addrs: []string{"h:6380"}, tls: tls12},
		{name: "ssl=false", in: "h,ssl=false", addrs: addrs},
		{name: "ssl with explicit port", in: "h:6379,ssl=true", addrs: addrs, tls: tls12},
		{name: "sslHost", in: "h,ssl=true,sslHost=cache.example.com", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "cache.example.com", min: tls.VersionTLS12}},
		{name: "sslHost without ssl", in: "h,sslHost=cache.example.com", addrs: addrs},
		{name: "sslProtocols Tls12", in: "h,ssl=true,sslProtocols=Tls12", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h", min: tls.VersionTLS12, max: tls.VersionTLS12}},
		{name: "sslProtocols tls12|tls13", in: "h,ssl=true,sslProtocols=tls12|tls13", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h", min: tls.VersionTLS12, max: tls.VersionTLS13}},
		{name: "sslProtocols Tls13", in: "h,ssl=true,sslProtocols=Tls13", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h", min: tls.VersionTLS13, max: tls.VersionTLS13}},
		{name: "sslProtocols Tls|Tls11|Tls12", in: "h,ssl=true,sslProtocols= Tls | Tls11 | Tls12 ", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h", min: tls.VersionTLS10, max: tls.VersionTLS12}},
		{name: "sslProtocols None", in: "h,ssl=true,sslProtocols=None", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h"}},
		{name: "sslProtocols Default", in: "h,ssl=true,sslProtocols=Default", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h"}},
		{name: "sslProtocols 3072", in: "h,ssl=true,sslProtocols=3072", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h", min: tls.VersionTLS12, max: tls.VersionTLS12}},
		{name: "sslProtocols 15360", in: "h,ssl=true,sslProtocols=15360", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h", min: tls.VersionTLS12, max: tls.VersionTLS13}},
		{name: "sslProtocols 240 is Default", in: "h,ssl=true,sslProtocols=240", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h"}},
		{name: "sslProtocols 0 is None", in: "h,ssl=true,sslProtocols=0", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h"}},
		{name: "syncTimeout", in: "h,syncTimeout=2000", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.ReadTimeout, o.WriteTimeout = 2*time.Second, 2*time.Second }},
		{name: "syncTimeout raises the connect timeout", in: "h,syncTimeout=10000", addrs: addrs,
			edit: func(o *redis.UniversalOptions) {
				o.ReadTimeout, o.WriteTimeout, o.DialTimeout = 10*time.Second, 10*time.Second, 10*time.Second
			}},
		{name: "connectTimeout wins over syncTimeout", in: "h,syncTimeout=10000,connectTimeout=1000", addrs: addrs,
			edit: func(o *redis.UniversalOptions) {
				o.ReadTimeout, o.WriteTimeout, o.DialTimeout = 10*time.Second, 10*time.Second, time.Second
			}},
		{name: "larger of sync and async", in: "h,syncTimeout=3000,asyncTimeout=1000", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.ReadTimeout, o.WriteTimeout = 3*time.Second, 3*time.Second }},
		{name: "larger of async and sync", in: "h,asyncTimeout=9000,syncTimeout=1000", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.ReadTimeout, o.WriteTimeout = 9*time.Second, 9*time.Second }},
		{name: "tcpKeepAlive", in: "h,tcpKeepAlive=false", addrs: addrs, ignored: []string{"tcpKeepAlive"}},
		{name: "tiebreaker", in: "h,tiebreaker=", addrs: addrs, ignored: []string{"tiebreaker"}},
		{name: "tunnel http:host:port", in: "h,tunnel=http:proxy:8080", addrs: addrs, dialer: true, tunnel: "proxy:8080"},
		{name: "tunnel http://host:port/", in: "h,tunnel=http://proxy:8080/", addrs: addrs, dialer: true, tunnel: "proxy:8080"},
		{name: "tunnel default port", in: "h,tunnel=http://proxy", addrs: addrs, dialer: true, tunnel: "proxy:80"},
		{name: "tunnel IPv6", in: "h,tunnel=http://[::1]:3128", addrs: addrs, dialer: true, tunnel: "[::1]:3128"},
		{name: "tunnel empty", in: "h,tunnel=", addrs: addrs},
		{name: "user", in: "h,user=alice,password=pw", addrs: addrs,
			edit: func(o *redis.UniversalOptions) { o.Username, o.Password = "alice", "pw" }},
		{name: "version", in: "h,version=7.2.4", addrs: addrs},
		{name: "version major only", in: "h,version=7", addrs: addrs},
		{name: "version below 6 is RESP2", in: "h,version=5.9", addrs: addrs, edit: func(o *redis.UniversalOptions) { o.Protocol = 2 }},
		{name: "writeBuffer", in: "h,writeBuffer=4096", addrs: addrs, ignored: []string{"writeBuffer"}},
		{name: "ignored listed once in order", in: "h,keepAlive=1,allowAdmin=1,keepAlive=2", addrs: addrs,
			ignored: []string{"keepAlive", "allowAdmin"}},
	})
}

func TestParseConnectionStringBooleans(t *testing.T) {
	for _, v := range []string{"true", "TRUE", "True", "yes", "YES", "on", "On", "1"} {
		c, err := Parse("h,abortConnect=" + v)
		if err != nil || !c.AbortConnect {
			t.Errorf("abortConnect=%s: %v, %v; want true", v, c, err)
		}
	}
	for _, v := range []string{"false", "FALSE", "no", "No", "off", "OFF", "0"} {
		c, err := Parse("h,abortConnect=true,abortConnect=" + v)
		if err != nil || c.AbortConnect {
			t.Errorf("abortConnect=%s: %v, %v; want false", v, c, err)
		}
	}
}

func TestParseConnectionStringCaseInsensitiveKeys(t *testing.T) {
	addrs := []string{"h:6379"}
	runParseCases(t, []parseCase{
		{name: "upper case", in: "h,SSL=TRUE,PASSWORD=pw,USER=u,NAME=n,DEFAULTDATABASE=2,CONNECTTIMEOUT=100,SETLIB=FALSE,ABORTCONNECT=TRUE",
			addrs: []string{"h:6380"}, tls: &tlsWant{serverName: "h", min: tls.VersionTLS12}, abort: true,
			edit: func(o *redis.UniversalOptions) {
				o.Password, o.Username, o.ClientName, o.DB, o.DialTimeout, o.DisableIdentity = "pw", "u", "n", 2, 100*time.Millisecond, true
			}},
		{name: "mixed case setlib and tunnel", in: "h,SetLib=false,Tunnel=http:p:1", addrs: addrs, dialer: true, tunnel: "p:1",
			edit: func(o *redis.UniversalOptions) { o.DisableIdentity = true }},
		{name: "mixed case sslprotocols", in: "h,Ssl=True,SslProtocols=TLS12", addrs: []string{"h:6380"},
			tls: &tlsWant{serverName: "h", min: tls.VersionTLS12, max: tls.VersionTLS12}},
		{name: "mixed case serviceName", in: "h,SERVICENAME=m", topo: Sentinel, addrs: []string{"h:26379"},
			edit: func(o *redis.UniversalOptions) { o.MasterName = "m" }},
	})
}

func TestParseConnectionStringLastWins(t *testing.T) {
	runParseCases(t, []parseCase{
		{name: "ssl", in: "h,ssl=true,ssl=false", addrs: []string{"h:6379"}},
		{name: "name", in: "h,name=a,NAME=b", addrs: []string{"h:6379"},
			edit: func(o *redis.UniversalOptions) { o.ClientName = "b" }},
		{name: "tunnel", in: "h,tunnel=http:p:1,tunnel=", addrs: []string{"h:6379"}},
	})
}

func TestParseConnectionStringURI(t *testing.T) {
	tlsHost := &tlsWant{serverName: "host", min: tls.VersionTLS12}
	runParseCases(t, []parseCase{
		{name: "redis", in: "redis://localhost", addrs: []string{"localhost:6379"}},
		{name: "scheme in upper case", in: "REDIS://localhost:7000", addrs: []string{"localhost:7000"}},
		{name: "Aspire URI", in: "redis://:p%40ssw0rd1@localhost:6379", addrs: []string{"localhost:6379"},
			edit: func(o *redis.UniversalOptions) { o.Password = "p@ssw0rd1" }},
		{name: "user and password", in: "redis://alice:s%3Acret@host:1/2", addrs: []string{"host:1"},
			edit: func(o *redis.UniversalOptions) { o.Username, o.Password, o.DB = "alice", "s:cret", 2 }},
		{name: "user only", in: "redis://alice@host", addrs: []string{"host:6379"},
			edit: func(o *redis.UniversalOptions) { o.Username = "alice" }},
		{name: "trailing slash", in: "redis://host/", addrs: []string{"host:6379"}},
		{name: "rediss default port 6379", in: "rediss://host", addrs: []string{"host:6379"}, tls: tlsHost},
		{name: "valkey", in: "valkey://:pw@host:6380", addrs: []string{"host:6380"},
			edit: func(o *redis.UniversalOptions) { o.Password = "pw" }},
		{name: "valkeys", in: "valkeys://host", addrs: []string{"host:6379"}, tls: tlsHost},
		{name: "IPv6", in: "redis://[::1]:7000/0", addrs: []string{"[::1]:7000"}},
		{name: "IPv6 zone", in: "redis://[fe80::1%25eth0]:7000", addrs: []string{"[fe80::1%eth0]:7000"}},
		{name: "unix", in: "unix:///tmp/redis.sock", addrs: []string{"/tmp/redis.sock"}, dialer: true},
		{name: "unix with credentials and db", in: "unix://u:p%2C@/tmp/redis.sock?db=3", addrs: []string{"/tmp/redis.sock"}, dialer: true,
			edit: func(o *redis.UniversalOptions) { o.Username, o.Password, o.DB = "u", "p,", 3 }},
		{name: "query parameters", addrs: []string{"host:6379"},
			in: "redis://host?db=4&protocol=2&client_name=app&dial_timeout=3&read_timeout=500ms&write_timeout=0" +
				"&pool_size=10&pool_timeout=2s&min_idle_conns=1&max_idle_conns=5&max_active_conns=20&max_retries=-1" +
				"&conn_max_idle_time=1m&conn_max_lifetime=1h",
			edit: func(o *redis.UniversalOptions) {
				o.DB, o.Protocol, o.ClientName = 4, 2, "app"
				o.DialTimeout, o.ReadTimeout, o.WriteTimeout = 3*time.Second, 500*time.Millisecond, -1
				o.PoolSize, o.PoolTimeout, o.MinIdleConns, o.MaxIdleConns, o.MaxActiveConns, o.MaxRetries = 10, 2*time.Second, 1, 5, 20, -1
				o.ConnMaxIdleTime, o.ConnMaxLifetime = time.Minute, time.Hour
			}},
		{name: "last value of a parameter wins", in: "redis://host?db=1&db=2", addrs: []string{"host:6379"},
			edit: func(o *redis.UniversalOptions) { o.DB = 2 }},
		{name: "query db overrides path", in: "redis://host/1?db=2", addrs: []string{"host:6379"},
			edit: func(o *redis.UniversalOptions) { o.DB = 2 }},
		{name: "skip_verify", in: "rediss://host?skip_verify=true", addrs: []string{"host:6379"},
			tls: &tlsWant{serverName: "host", min: tls.VersionTLS12, skip: true}},
		{name: "addr makes a cluster", in: "redis://:pw@h1:7000?addr=h2:7001&addr=h3", topo: Cluster,
			addrs: []string{"h1:7000", "h2:7001", "h3:6379"},
			edit:  func(o *redis.UniversalOptions) { o.Password = "pw" }},
		{name: "master_name", in: "redis://:pw@s1?master_name=mymaster&addr=s2:26380", topo: Sentinel,
			addrs: []string{"s1:26379", "s2:26380"},
			edit: func(o *redis.UniversalOptions) {
				o.MasterName, o.Password, o.SentinelPassword = "mymaster", "pw", "pw"
			}},
	})
}

// errCase is a connection string that must fail.
type errCase struct {
	name  string
	in    string
	want  string // substring of the message
	key   string // ParseError.Key
	piece string // ParseError.Piece
}

func checkParseError(t *testing.T, in string, err error) *ParseError {
	t.Helper()
	if err == nil {
		t.Fatalf("Parse(%q) = nil error", in)
	}
	if !errors.Is(err, ErrInvalidConnectionString) {
		t.Errorf("error %q is not ErrInvalidConnectionString", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %q is not a *ParseError", err)
	}
	if !strings.HasPrefix(err.Error(), "settings: connection string: ") {
		t.Errorf("error %q lacks the prefix", err)
	}
	return pe
}

func TestParseConnectionStringErrors(t *testing.T) {
	cases := []errCase{
		{name: "empty", in: "", want: "settings: connection string: is empty"},
		{name: "whitespace", in: " \t\n", want: "is empty"},
		{name: "only commas", in: " , ,", want: "no endpoints specified"},
		{name: "no endpoints", in: "password=x,ssl=true", want: "no endpoints specified"},
		{name: "unknown key", in: "h,foo=bar", want: "Keyword 'foo' is not supported", key: "foo"},
		{name: "unknown key with spaces", in: "h,connect timeout=1", want: "Keyword 'connect timeout' is not supported", key: "connect timeout"},
		{name: "2.x has no sentinelPass", in: "h,sentinelPass=x", want: "Keyword 'sentinelPass' is not supported", key: "sentinelPass"},
		{name: "bad integer", in: "localhost,connectTimeout=abc",
			want: "settings: connection string: Keyword 'connectTimeout' requires an integer value; the value 'abc' is not recognised",
			key:  "connectTimeout"},
		{name: "integer overflow", in: "h,connectTimeout=99999999999", want: "requires an integer value", key: "connectTimeout"},
		{name: "empty integer", in: "h,defaultDatabase=", want: "Keyword 'defaultDatabase' requires an integer value; the value '' is not recognised", key: "defaultDatabase"},
		{name: "syncTimeout=0", in: "h,syncTimeout=0", want: "Keyword 'syncTimeout' has a minimum value of '1'; the value '0' is not permitted", key: "syncTimeout"},
		{name: "asyncTimeout negative", in: "h,asyncTimeout=-5", want: "minimum value of '1'", key: "asyncTimeout"},
		{name: "keepAlive not a number", in: "h,keepAlive=x", want: "Keyword 'keepAlive' requires an integer value", key: "keepAlive"},
		{name: "configCheckSeconds not a number", in: "h,configCheckSeconds=1.5", want: "requires an integer value", key: "configCheckSeconds"},
		{name: "bad boolean", in: "h,ssl=maybe", want: "Keyword 'ssl' requires a boolean value; the value 'maybe' is not recognised", key: "ssl"},
		{name: "bad boolean keeps key spelling", in: "h,AbortConnect=2", want: "Keyword 'AbortConnect' requires a boolean value", key: "AbortConnect"},
		{name: "allowAdmin bad boolean", in: "h,allowAdmin=", want: "requires a boolean value", key: "allowAdmin"},
		{name: "bad protocol", in: "h,protocol=resp4", want: "Keyword 'protocol' requires a RedisProtocol value or a known protocol version number", key: "protocol"},
		{name: "bad proxy", in: "h,proxy=nginx", want: "Keyword 'proxy' requires a proxy value; the value 'nginx' is not recognised", key: "proxy"},
		{name: "bad version", in: "h,version=seven", want: "Keyword 'version' requires a version value", key: "version"},
		{name: "bad version parts", in: "h,version=1.2.3.4.5", want: "requires a version value", key: "version"},
		{name: "bad sslProtocols", in: "h,sslProtocols=Tls14", want: "Keyword 'sslProtocols' requires an SslProtocol value (multiple values separated by '|')", key: "sslProtocols"},
		{name: "empty sslProtocols", in: "h,sslProtocols=", want: "requires an SslProtocol value", key: "sslProtocols"},
		{name: "sslProtocols unknown bits", in: "h,sslProtocols=1", want: "requires an SslProtocol value", key: "sslProtocols"},
		{name: "tunnel scheme", in: "h,tunnel=socks5://p:1", want: "Keyword 'tunnel' has the value 'socks5://p:1', but only HTTP CONNECT proxies", key: "tunnel"},
		{name: "tunnel without host", in: "h,tunnel=http:", want: "Keyword 'tunnel' has the value 'http:', which is not http:host:port", key: "tunnel"},
		{name: "tunnel bad port (may be a cut password: not shown)", in: "h,tunnel=http://p:x", want: "has a value that is not http:host:port (not shown", key: "tunnel"},
		{name: "tunnel bad port without //", in: "h,tunnel=http:p:x", want: "the port 'x' is not a number", key: "tunnel"},
		{name: "tunnel credentials", in: "h,tunnel=http://u:pw@p:1", want: "Keyword 'tunnel' names proxy credentials", key: "tunnel"},
		{name: "tunnel unix", in: "h,tunnel=http:!/x", want: "not http:host:port", key: "tunnel"},
		{name: "tunnel with unix endpoint", in: "!/tmp/s,tunnel=http:p:1", want: "Keyword 'tunnel' cannot be used with a unix socket endpoint", key: "tunnel"},
		{name: "unix with other endpoints", in: "!/tmp/s,localhost", want: "a unix socket endpoint (!path) must be the only endpoint"},
		{name: "unix with ssl", in: "!/tmp/s,ssl=true", want: "Keyword 'ssl' is true, but TLS over a unix socket is not supported", key: "ssl"},
		{name: "unix with serviceName", in: "!/tmp/s,serviceName=m", want: "Keyword 'serviceName' cannot be used with a unix socket endpoint", key: "serviceName"},
		{name: "starts with =", in: "h,=x", want: "piece 2 starts with '=': the keyword before it is missing"},

		// Endpoints.
		{name: "port not a number", in: "localhost:abc", want: "no endpoints specified (piece 1, 'localhost:abc': the port is not a number; skipped, as StackExchange.Redis skips it)"},
		{name: "port too large", in: "localhost:65536", want: "the port 65536 is out of range (1-65535)", piece: "localhost:65536"},
		{name: "port far too large", in: "localhost:99999999999999999999", want: "the port is not a number; skipped"},
		{name: "port above 65535 fails as DnsEndPoint fails", in: "localhost:70000", want: "the port 70000 is out of range", piece: "localhost:70000"},
		{name: "negative port", in: "localhost:-1", want: "the port -1 is out of range", piece: "localhost:-1"},
		{name: "host missing", in: ":6379", want: "the host name before ':' is missing", piece: ":6379"},
		{name: "host with space", in: "my host", want: "endpoint 'my host' (piece 1): the host name contains characters", piece: "my host"},
		{name: "host with slash", in: "host/0", want: "the host name contains characters", piece: "host/0"},
		{name: "unclosed bracket", in: "[::1", want: "no closing ']'", piece: "[::1"},
		{name: "IPv4 in brackets", in: "[127.0.0.1]:1", want: "is not an IPv6 address", piece: "[127.0.0.1]:1"},
		{name: "text after bracket", in: "[::1]x", want: "unexpected text after ']'", piece: "[::1]x"},
		{name: "bracket port missing", in: "[::1]:", want: "no endpoints specified"},
		{name: "two colons not IPv6", in: "host:1:2", want: "is not an IPv6 address", piece: "host:1:2"},
		{name: "empty unix path", in: "!", want: "no endpoints specified"},
		{name: "password with space", in: "h,password hunter2", want: "looks like the keyword 'password'", key: "password"},
		{name: "comma in password", in: "h,password=abc,def:x", want: "piece 3, right after password=, is rejected (not shown"},
		{name: "comma in password, unknown key", in: "h,password=S3cr3t!,x=y", want: "piece 3, right after password=, is rejected (not shown"},
		{name: "comma in password, bad value", in: "h,password=S3cr3t!,ssl=x", want: "piece 3, right after password=, is rejected (not shown"},
		{name: "endpoint right after password", in: "h,password=abc,def", want: "piece 3, right after password=, is rejected"},
		{name: "endpoint right after password, no other endpoint", in: "password=abc,localhost", want: "piece 2, right after password=, is rejected"},
		{name: "comma in sentinelPassword", in: "h,sentinelPassword=abc, d e f", want: "piece 3, right after password=, is rejected"},

		// URIs.
		{name: "unsupported scheme", in: "http://host", want: "URI: the scheme 'http' is not supported"},
		{name: "no host", in: "redis://", want: "URI: the host is missing"},
		{name: "only credentials", in: "redis://:pw@", want: "URI: the host is missing"},
		{name: "bad port", in: "redis://host:abc", want: "URI: host 'host:abc': the port 'abc' is not a number"},
		{name: "empty port", in: "redis://host:/0", want: "the port after ':' is missing"},
		{name: "bare IPv6", in: "redis://::1", want: "write an IPv6 host in brackets"},
		{name: "bad host encoding", in: "redis://[fe80::1%zz]:1", want: "URI: the host '[fe80::1%zz]:1' is not correctly percent-encoded"},
		{name: "path not a number", in: "redis://host/abc", want: "URI: the path '/abc' is not a database number"},
		{name: "negative db path", in: "redis://host/-1", want: "is not a database number"},
		{name: "unknown parameter", in: "redis://host?foo=1", want: "URI parameter 'foo' is not supported", key: "foo"},
		{name: "password parameter", in: "redis://host?password=hunter2", want: "URI parameter 'password' is not supported", key: "password"},
		{name: "bad duration", in: "redis://host?dial_timeout=abc", want: "URI parameter 'dial_timeout' requires a duration", key: "dial_timeout"},
		{name: "bad int", in: "redis://host?pool_size=x", want: "URI parameter 'pool_size' requires an integer value", key: "pool_size"},
		{name: "negative pool", in: "redis://host?pool_size=-1", want: "has a minimum value of '0'", key: "pool_size"},
		{name: "bad db", in: "redis://host?db=-2", want: "URI parameter 'db' has a minimum value of '0'", key: "db"},
		{name: "bad protocol", in: "redis://host?protocol=4", want: "URI parameter 'protocol' requires 2 or 3", key: "protocol"},
		{name: "skip_verify without TLS", in: "redis://host?skip_verify=true", want: "URI parameter 'skip_verify' needs a TLS scheme", key: "skip_verify"},
		{name: "bad skip_verify", in: "rediss://host?skip_verify=yes please", want: "URI parameter 'skip_verify' requires true or false", key: "skip_verify"},
		{name: "bad addr", in: "redis://host?addr=h:x", want: "URI parameter 'addr' has the value 'h:x': the port 'x' is not a number", key: "addr"},
		{name: "bad query", in: "redis://host?db=%zz", want: "URI: the query is malformed"},
		{name: "fragment", in: "redis://host#x", want: "URI: fragments"},
		{name: "unencoded slash in password", in: "redis://:pa/ss@host", want: "URI: '@' after the host: percent-encode"},
		{name: "unencoded hash in password", in: "redis://:pa#ss@host", want: "percent-encode '/', '?', '#' and '@'"},
		{name: "unencoded @ and slash in password", in: "redis://u:p@x/y@host", want: "percent-encode '/', '?', '#' and '@'"},
		{name: "bad password encoding", in: "redis://:%zz@host", want: "URI: the password is not correctly percent-encoded"},
		{name: "bad user encoding", in: "redis://%zz:pw@host", want: "URI: the user name is not correctly percent-encoded"},
		{name: "unix with host", in: "unix://host/tmp/s", want: "a unix URI names no host"},
		{name: "unix without path", in: "unix://", want: "the unix socket path is missing"},
		{name: "unix bang", in: "redis://!/tmp/s", want: "use unix:///path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error containing %q", tc.in, c, tc.want)
			}
			pe := checkParseError(t, tc.in, err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q\n want it to contain %q", err, tc.want)
			}
			if pe.Key != tc.key {
				t.Errorf("Key = %q, want %q", pe.Key, tc.key)
			}
			if pe.Piece != tc.piece {
				t.Errorf("Piece = %q, want %q", pe.Piece, tc.piece)
			}
		})
	}
}

func TestParseConnectionStringNoEndpoints(t *testing.T) {
	_, err := Parse("password=x")
	if !errors.Is(err, ErrNoEndpoints) || !errors.Is(err, ErrInvalidConnectionString) {
		t.Fatalf("err = %v, want ErrNoEndpoints and ErrInvalidConnectionString", err)
	}
}

func TestParseErrorIndex(t *testing.T) {
	_, err := Parse("h,,ssl=true,port:99999")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	if pe.Index != 4 {
		t.Errorf("Index = %d, want 4 (pieces count empty ones too)", pe.Index)
	}
}

// TestParseErrorsNeverShowPassword feeds strings with a password that make
// every kind of error; the password must not appear in the message.
func TestParseErrorsNeverShowPassword(t *testing.T) {
	const pw = "Sup3rS3cret"
	inputs := []string{
		"password=" + pw,
		"PASSWORD=" + pw + ",foo=bar",
		"h,password=" + pw + ",ssl=maybe",
		"h,password=" + pw + ",connectTimeout=x",
		"h,password=" + pw + ",h:x",
		"h,password=" + pw + "," + pw,
		"h,password=" + pw + "," + pw + ":1:2",
		"h,password=ab," + pw + " x",
		"h,password=ab,[" + pw,
		"h,password:" + pw,
		"h,password " + pw,
		"h:" + pw[:0] + "x,password=" + pw,
		"h,sentinelPassword=" + pw + ",x y",
		"h,password=" + pw + ",checkCertificateRevocation=true",
		"a,b,password=" + pw + ",defaultDatabase=1",
		"!/s,password=" + pw + ",ssl=true",
		"redis://:" + pw + "@host:x",
		"redis://:" + pw + "@host/x",
		"redis://:" + pw + "@host?foo=1",
		"redis://:" + pw + "@",
		"redis://u:" + pw + "/x@host",
		"redis://u:" + pw + "#@host",
		"redis://u:" + pw + "?@host",
		"redis://u:" + pw + "%zz@host",
		"redis://u:x@" + pw + "/" + pw + "@host",
		"redis://" + pw + ":" + pw + "@[::1",
		"unix://:" + pw + "@host/x",
		"ftp://:" + pw + "@host",
		"h,tunnel=http://u:" + pw + "@p:1",
		"h,tunnel=socks://u:" + pw + "@p:1",
	}
	for _, in := range inputs {
		c, err := Parse(in)
		if err == nil {
			// Accepted, as .NET accepts it: nothing printed may show it.
			if out := printed(c, nil) + fmt.Sprint(c.Warnings); strings.Contains(out, pw) {
				t.Errorf("Parse(%q) shows the password: %s", in, out)
			}
			continue
		}
		checkParseError(t, in, err)
		if strings.Contains(err.Error(), pw) || strings.Contains(fmt.Sprintf("%+v", err), pw) {
			t.Errorf("error for %q shows the password: %v", in, err)
		}
		var pe *ParseError
		if errors.As(err, &pe) && (strings.Contains(pe.Piece, pw) || strings.Contains(pe.Key, pw)) {
			t.Errorf("ParseError fields for %q hold the password: %+v", in, *pe)
		}
	}
}

func TestConnBuilderLayering(t *testing.T) {
	b := NewBuilder()
	if err := b.Parse("cache:7000,cache2,password=pw"); err != nil {
		t.Fatal(err)
	}
	if err := b.Set("SSL", "true"); err != nil {
		t.Fatal(err)
	}
	if err := b.Set("connectTimeout", "2000"); err != nil {
		t.Fatal(err)
	}
	c, err := b.build()
	if err != nil {
		t.Fatal(err)
	}
	// The default port follows ssl even when ssl comes after the endpoints.
	if want := []string{"cache:7000", "cache2:6380"}; !slices.Equal(c.Options.Addrs, want) {
		t.Errorf("Addrs = %q, want %q", c.Options.Addrs, want)
	}
	if c.Options.DialTimeout != 2*time.Second || c.Options.TLSConfig == nil || c.Options.Password != "pw" {
		t.Errorf("options not layered: %+v", c)
	}
	// build does not change the builder: build again after another set.
	if err := b.Set("ssl", "false"); err != nil {
		t.Fatal(err)
	}
	c2, err := b.build()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cache:7000", "cache2:6379"}; !slices.Equal(c2.Options.Addrs, want) || c2.Options.TLSConfig != nil {
		t.Errorf("second build: %v", c2)
	}
	if c.Options.TLSConfig == nil {
		t.Error("second build changed the first connection")
	}

	// set reports errors with the key and no piece index.
	err = b.Set("syncTimeout", "0")
	pe := checkParseError(t, "set", err)
	if pe.Key != "syncTimeout" || pe.Index != 0 {
		t.Errorf("set error = %+v", *pe)
	}

	// A URI, then a key on top of it.
	b = NewBuilder()
	if err := b.Parse("redis://:pw@host:7000?read_timeout=1"); err != nil {
		t.Fatal(err)
	}
	if err := b.Set("syncTimeout", "3000"); err != nil {
		t.Fatal(err)
	}
	c, err = b.build()
	if err != nil {
		t.Fatal(err)
	}
	if c.Options.ReadTimeout != 3*time.Second || c.Options.WriteTimeout != 3*time.Second {
		t.Errorf("syncTimeout after a URI: read %v write %v, want 3s", c.Options.ReadTimeout, c.Options.WriteTimeout)
	}

	// No endpoints.
	_, err = NewBuilder().build()
	if !errors.Is(err, ErrNoEndpoints) {
		t.Errorf("build() without endpoints = %v, want ErrNoEndpoints", err)
	}

	// addEndpoint.
	b = NewBuilder()
	if err := b.addEndpoint(" [::1]:7000 "); err != nil {
		t.Fatal(err)
	}
	if err := b.addEndpoint("h:x"); err == nil || !errors.Is(err, ErrInvalidConnectionString) {
		t.Errorf("addEndpoint(h:x) = %v", err)
	}
	c, err = b.build()
	if err != nil || !slices.Equal(c.Endpoints, []string{"[::1]:7000"}) {
		t.Errorf("build after addEndpoint = %v, %v", c, err)
	}
}

func TestTopologyString(t *testing.T) {
	for topo, want := range map[Topology]string{Standalone: "standalone", Cluster: "cluster", Sentinel: "sentinel", Topology(7): "Topology(7)"} {
		if got := topo.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(topo), got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"localhost:6379,password=secret,ssl=true", "localhost:6379,password=***,ssl=true"},
		{"localhost, Password = secret ,ssl=true", "localhost,Password =***,ssl=true"},
		{"h,password=", "h,password="},
		{"h,password=a=b", "h,password=***"},
		{"h,sentinelPassword=s,serviceName=m", "h,sentinelPassword=***,***"},
		{"h,password=abc,def,ghi,ssl=true", "h,password=***,***,***,ssl=true"},
		{"h,password:secret", "h,password:***"},
		{"h,password secret", "h,password ***"},
		{"h,tunnel=http://u:secret@p:1", "h,tunnel=http://u:***@p:1"},
		{"redis://:p%40ss@localhost:6379", "redis://:***@localhost:6379"},
		{"rediss://user:secret@host:6380/0?db=1", "rediss://user:***@host:6380/0?db=1"},
		{"redis://user:pa/ss@host", "redis://user:***@host"},
		{"redis://user:p@ss@host", "redis://user:***@host"},
		{"redis://user@host", "redis://user@host"},
		{"redis://host:6379", "redis://host:6379"},
		{"unix://u:secret@/tmp/s", "unix://u:***@/tmp/s"},
		{"", ""},
		{"no secrets here", "no secrets here"},
		{",,,", ",,,"},
	}
	for _, tc := range cases {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestConnectionPrintingIsRedacted(t *testing.T) {
	const pw, spw = "Pw-0123456789", "Spw-9876543210"
	inputs := []string{
		"localhost:6379,user=app,password=" + pw + ",ssl=true,name=app,allowAdmin=true",
		"s1,s2,serviceName=m,password=" + pw + ",sentinelPassword=" + spw,
		"rediss://app:" + pw + "@cache:6380/1?client_name=x",
		"h,password=" + pw + ",tunnel=http:proxy:3128",
	}
	for _, in := range inputs {
		c, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "%v|%+v|%#v|%s|%q|%v|%+v|%#v", c, c, c, c, c, *c, *c, []*Connection{c})
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("conn", "c", c, "v", *c)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("conn", "c", c)
		out := buf.String()
		if strings.Contains(out, pw) || strings.Contains(out, spw) {
			t.Errorf("printed connection shows a password:\n%s", out)
		}
		if !strings.Contains(out, "password=***") || !strings.Contains(out, `"password":"***"`) || !strings.Contains(out, `"dial_timeout":"5s"`) {
			t.Errorf("printed connection does not say a password is set:\n%s", out)
		}
	}

	var nilConn *Connection
	if got := fmt.Sprintf("%v %#v", nilConn, nilConn); got != "<nil> (*settings.Connection)(nil)" {
		t.Errorf("nil connection prints %q", got)
	}
	if got := nilConn.LogValue().String(); got != "<nil>" {
		t.Errorf("nil LogValue = %q", got)
	}
}

func TestConnectionString(t *testing.T) {
	c, err := Parse("cache:6380,user=app,password=pw,ssl=true,defaultDatabase=2,name=svc,protocol=3,keepAlive=5")
	if err != nil {
		t.Fatal(err)
	}
	want := "standalone endpoints=[cache:6380] user=app password=*** db=2 tls=true serverName=cache clientName=svc protocol=3 " +
		"dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false ignored=[keepAlive]"
	if got := c.String(); got != want {
		t.Errorf("String() =\n %q\nwant\n %q", got, want)
	}
	wantGo := `&settings.Connection{Topology:settings.Standalone, endpoints:[]string{"cache:6380"}, user:"app", password:"***", db:2, ` +
		`tls:true, serverName:"cache", clientName:"svc", protocol:3, dialTimeout:"5s", readTimeout:"5s", writeTimeout:"5s", ` +
		`abortConnect:false, ignored:[]string{"keepAlive"}}`
	if got := c.GoString(); got != wantGo {
		t.Errorf("GoString() =\n %s\nwant\n %s", got, wantGo)
	}
	// A Connection without Options still prints.
	c = &Connection{Endpoints: []string{"h:1"}}
	if got := c.String(); got != "standalone endpoints=[h:1] abortConnect=false" {
		t.Errorf("String() of bare Connection = %q", got)
	}
}

func TestShow(t *testing.T) {
	cases := map[string]string{
		"abc":                   "'abc'",
		"":                      "''",
		"a'b":                   `'a'b'`,
		"tab\there":             `'tab\there'`,
		"\xff":                  `'\xff'`,
		strings.Repeat("x", 70): "'" + strings.Repeat("x", 64) + "...'",
		strings.Repeat("é", 40): "'" + strings.Repeat("é", 32) + "...'",
	}
	for in, want := range cases {
		if got := Show(in); got != want {
			t.Errorf("Show(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestUnixDialer(t *testing.T) {
	verifyNoLeaks(t)
	path := filepath.Join(t.TempDir(), "r.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("unix sockets unavailable: %v", err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err == nil {
			_, _ = conn.Write([]byte("hi"))
			_ = conn.Close()
		}
	}()
	c, err := Parse("!" + path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.Options.Dialer(t.Context(), "tcp", c.Options.Addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(conn)
	_ = conn.Close()
	<-done
	if string(got) != "hi" {
		t.Errorf("read %q through the unix dialer", got)
	}
}

// verifyNoLeaks checks, after every other cleanup of t, that t started no
// goroutine that is still running.
func verifyNoLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// connectProxy is a minimal HTTP CONNECT proxy on loopback for tests. It
// answers status to every CONNECT; with 200 it pipes to the target. With
// prefetch > 0 it first reads that many bytes from the target and sends them
// in the same write as its reply, so that the dialer must hand over bytes
// it has buffered.
func connectProxy(t *testing.T, status string, prefetch int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { _ = ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(conn)
			line, _ := br.ReadString('\n')
			for {
				l, err := br.ReadString('\n')
				if err != nil || l == "\r\n" {
					break
				}
			}
			fields := strings.Fields(line)
			if status != "200" || len(fields) < 2 || fields[0] != "CONNECT" {
				fmt.Fprintf(conn, "HTTP/1.1 %s Nope\r\n\r\n", status)
				_ = conn.Close()
				continue
			}
			target, err := net.Dial("tcp", fields[1])
			if err != nil {
				fmt.Fprintf(conn, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
				_ = conn.Close()
				continue
			}
			first := make([]byte, prefetch)
			n, _ := io.ReadFull(target, first)
			fmt.Fprintf(conn, "HTTP/1.1 200 Connection established\r\nX-Test: 1\r\n\r\n%s", first[:n])
			go func() { _, _ = io.Copy(target, br); _ = target.Close() }()
			_, _ = io.Copy(conn, target)
			_ = conn.Close()
		}
	}()
	return ln.Addr().String()
}

func TestTunnelDialer(t *testing.T) {
	verifyNoLeaks(t)

	// The server says "hello" then echoes one line.
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srvDone := make(chan struct{})
	go func() {
		defer close(srvDone)
		conn, err := srv.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = conn.Write([]byte("hello"))
		line, _ := bufio.NewReader(conn).ReadString('\n')
		_, _ = conn.Write([]byte(line))
	}()

	t.Run("ok", func(t *testing.T) {
		proxy := connectProxy(t, "200", 5)
		c, err := Parse(srv.Addr().String() + ",tunnel=http:" + proxy)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := c.Options.Dialer(t.Context(), "tcp", c.Options.Addrs[0])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 5)
		if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "hello" {
			t.Fatalf("read %q, %v", buf, err)
		}
		if _, err := conn.Write([]byte("ping\n")); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil || line != "ping\n" {
			t.Fatalf("echo %q, %v", line, err)
		}
		_ = conn.Close()
		<-srvDone
	})
	t.Run("refused", func(t *testing.T) {
		proxy := connectProxy(t, "403", 0)
		c, err := Parse("127.0.0.1:1,tunnel=http://" + proxy)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Options.Dialer(t.Context(), "tcp", c.Options.Addrs[0])
		if err == nil || !strings.Contains(err.Error(), "403") {
			t.Fatalf("dial through a refusing proxy: %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		// A proxy that never answers: the context ends the dial.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			conn, err := ln.Accept()
			if err == nil {
				accepted <- conn
			}
			close(accepted)
		}()
		c, err := Parse("127.0.0.1:1,tunnel=http:" + ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			if conn, ok := <-accepted; ok {
				cancel()
				defer conn.Close()
			}
		}()
		_, err = c.Options.Dialer(ctx, "tcp", c.Options.Addrs[0])
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("dial with a cancelled context: %v", err)
		}
		cancel()
	})
	t.Run("unreachable proxy", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		c, err := Parse("127.0.0.1:1,tunnel=http:" + addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Options.Dialer(t.Context(), "tcp", "127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "tunnel: dial proxy") {
			t.Fatalf("dial through a closed proxy port: %v", err)
		}
	})
}

// TestTunnelTLS checks that TLS runs inside the tunnel, with the server
// name taken from the address when the config has none.
func TestTunnelTLS(t *testing.T) {
	verifyNoLeaks(t)
	srv, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	gotSNI := make(chan string, 1)
	go func() {
		conn, err := srv.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		// Read the ClientHello far enough to see that it is TLS, then hang
		// up; the handshake fails, which is enough for this test.
		hdr := make([]byte, 5)
		_, _ = io.ReadFull(conn, hdr)
		if hdr[0] == 0x16 {
			gotSNI <- "tls"
		} else {
			gotSNI <- "plain"
		}
	}()
	proxy := connectProxy(t, "200", 0)
	c, err := Parse(srv.Addr().String() + ",ssl=true,tunnel=http:" + proxy)
	if err != nil {
		t.Fatal(err)
	}
	c.Options.TLSConfig.ServerName = ""
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err = c.Options.Dialer(ctx, "tcp", c.Options.Addrs[0])
	if err == nil || !strings.Contains(err.Error(), "TLS handshake") {
		t.Errorf("TLS through the tunnel to a non-TLS server: %v", err)
	}
	if kind := <-gotSNI; kind != "tls" {
		t.Errorf("server saw %s, want a TLS ClientHello", kind)
	}
}
