package settings_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aspirego/redis/settings"
)

// A StackExchange.Redis connection string, as an Aspire AppHost writes it
// into ConnectionStrings__cache.
func ExampleParseConnectionString() {
	conn, err := settings.ParseConnectionString("cache:6380,password=p@ssw0rd1,ssl=true,abortConnect=false,syncTimeout=2000")
	if err != nil {
		fmt.Println(err)
		return
	}
	o := conn.Options
	fmt.Println(conn.Topology, o.Addrs)
	fmt.Println("password set:", o.Password != "")
	fmt.Println("TLS server name:", o.TLSConfig.ServerName)
	fmt.Println("command timeout:", o.ReadTimeout, "dial timeout:", o.DialTimeout)
	fmt.Println("abort connect:", conn.AbortConnect)
	// Output:
	// standalone [cache:6380]
	// password set: true
	// TLS server name: cache
	// command timeout: 2s dial timeout: 5s
	// abort connect: false
}

// Without a port, an endpoint gets 6379, or 6380 with ssl=true. Several
// endpoints make a cluster.
func ExampleParseConnectionString_defaultPorts() {
	for _, s := range []string{
		"cache",
		"cache,ssl=true",
		"node-1,node-2:7001,[::1]",
	} {
		conn, err := settings.ParseConnectionString(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(conn.Topology, conn.Options.Addrs)
	}
	// Output:
	// standalone [cache:6379]
	// standalone [cache:6380]
	// cluster [node-1:6379 node-2:7001 [::1]:6379]
}

// A URI, as in the CACHE_URI variable of newer Aspire AppHosts.
func ExampleParseConnectionString_uri() {
	conn, err := settings.ParseConnectionString("rediss://:p%40ssw0rd1@cache.example.com:6380/2?dial_timeout=3")
	if err != nil {
		fmt.Println(err)
		return
	}
	o := conn.Options
	fmt.Println(conn.Topology, o.Addrs, "db", o.DB)
	fmt.Println("password is p@ssw0rd1:", o.Password == "p@ssw0rd1")
	fmt.Println("TLS:", o.TLSConfig != nil, o.TLSConfig.ServerName)
	fmt.Println("dial timeout:", o.DialTimeout)
	// Output:
	// standalone [cache.example.com:6380] db 2
	// password is p@ssw0rd1: true
	// TLS: true cache.example.com
	// dial timeout: 3s
}

// serviceName selects Redis Sentinel: the endpoints are the sentinels,
// with the default port 26379.
func ExampleParseConnectionString_sentinel() {
	conn, err := settings.ParseConnectionString("sentinel-1,sentinel-2:26380,serviceName=mymaster,password=pw")
	if err != nil {
		fmt.Println(err)
		return
	}
	o := conn.Options
	fmt.Println(conn.Topology, o.Addrs)
	fmt.Println("primary:", o.MasterName)
	fmt.Println("sentinel password set:", o.SentinelPassword != "")
	// Output:
	// sentinel [sentinel-1:26379 sentinel-2:26380]
	// primary: mymaster
	// sentinel password set: true
}

// Errors name the key or the piece and match ErrInvalidConnectionString.
func ExampleParseConnectionString_errors() {
	for _, s := range []string{
		"localhost,connectTimeout=abc",
		"localhost:abc",
		"localhost:70000",
		"password=secret",
	} {
		_, err := settings.ParseConnectionString(s)
		var pe *settings.ParseError
		fmt.Println(errors.Is(err, settings.ErrInvalidConnectionString), errors.As(err, &pe), err)
	}
	// Output:
	// true true settings: connection string: Keyword 'connectTimeout' requires an integer value; the value 'abc' is not recognised
	// true true settings: connection string: no endpoints specified (piece 1, 'localhost:abc': the port is not a number; skipped, as StackExchange.Redis skips it)
	// true true settings: connection string: endpoint 'localhost:70000' (piece 1): the port 70000 is out of range (1-65535)
	// true true settings: connection string: no endpoints specified
}

// Values .NET accepts but go-redis cannot honour are accepted with a
// warning that names the key and why.
func ExampleParseConnectionString_warnings() {
	c, err := settings.ParseConnectionString("good:6379,bad:xx,checkCertificateRevocation=true,name=Core (Q&A),$SUBSCRIBE=")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Endpoints, c.Options.ClientName, c.CommandMap)
	for _, w := range c.Warnings {
		fmt.Println(w)
	}
	// Output:
	// [good:6379] Core(Q&A) map[SUBSCRIBE:]
	// endpoint: piece 2, 'bad:xx': the port is not a number; skipped, as StackExchange.Redis skips it
	// checkCertificateRevocation: is true, but Go's TLS does not check certificate revocation lists: certificates are verified without them
}

// A Connection prints without its passwords, with fmt and with slog.
func ExampleConnection_Format() {
	conn, err := settings.ParseConnectionString("cache:6380,user=app,password=p@ssw0rd1,ssl=true")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(conn)

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Info("redis", "conn", conn)
	// Output:
	// standalone endpoints=[cache:6380] user=app password=*** tls=true serverName=cache dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// level=INFO msg=redis conn="standalone endpoints=[cache:6380] user=app password=*** tls=true serverName=cache dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false"
}

func ExampleRedact() {
	fmt.Println(settings.Redact("cache:6380,password=p@ssw0rd1,ssl=true"))
	fmt.Println(settings.Redact("redis://:p%40ssw0rd1@cache:6379"))
	fmt.Println(settings.Redact("cache,password=has,comma"))
	// Output:
	// cache:6380,password=***,ssl=true
	// redis://:***@cache:6379
	// cache,password=***,***
}
