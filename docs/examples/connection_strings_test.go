package docs_test

import (
	"errors"
	"fmt"

	"github.com/aspirego/redis/settings"
)

// One connection string of each kind, and what it becomes. Connection
// prints without passwords.
func Example_connectionStrings() {
	for _, s := range []string{
		"localhost",
		"cache:6380,password=p@ssw0rd1,ssl=true,abortConnect=false",
		"cache,ssl=true,sslHost=redis.example.com,sslProtocols=Tls12|Tls13",
		"cache:6379,user=app,password=pw,defaultDatabase=2,name=orders,connectTimeout=2000,syncTimeout=1000",
		"[::1]:6379,protocol=resp2,setlib=false",
		"node-1:7000,node-2:7000,node-3:7000",
		"sentinel-1,sentinel-2,serviceName=mymaster,password=pw",
		"!/var/run/redis/redis.sock",
		"redis://app:p%40ss@cache:6379/2?dial_timeout=3s&pool_size=20",
		"rediss://cache.example.com",
		"valkey://localhost:6379",
		"redis://sentinel-1?addr=sentinel-2:26380&master_name=mymaster",
		"unix://:pw@/var/run/redis/redis.sock?db=1",
	} {
		conn, err := settings.ParseConnectionString(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(conn)
	}
	// Output:
	// standalone endpoints=[localhost:6379] dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// standalone endpoints=[cache:6380] password=*** tls=true serverName=cache dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// standalone endpoints=[cache:6380] tls=true serverName=redis.example.com dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// standalone endpoints=[cache:6379] user=app password=*** db=2 clientName=orders dialTimeout=2s readTimeout=1s writeTimeout=1s abortConnect=false
	// standalone endpoints=[[::1]:6379] protocol=2 dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// cluster endpoints=[node-1:7000 node-2:7000 node-3:7000] dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// sentinel endpoints=[sentinel-1:26379 sentinel-2:26379] serviceName=mymaster password=*** sentinelPassword=*** dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// standalone endpoints=[/var/run/redis/redis.sock] dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// standalone endpoints=[cache:6379] user=app password=*** db=2 dialTimeout=3s readTimeout=5s writeTimeout=5s abortConnect=false
	// standalone endpoints=[cache.example.com:6379] tls=true serverName=cache.example.com dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// standalone endpoints=[localhost:6379] dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// sentinel endpoints=[sentinel-1:26379 sentinel-2:26380] serviceName=mymaster dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// standalone endpoints=[/var/run/redis/redis.sock] password=*** db=1 dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
}

// Keys that go-redis has no use for are accepted and listed in
// Connection.Ignored.
func Example_ignoredKeys() {
	conn, err := settings.ParseConnectionString("cache,allowAdmin=true,keepAlive=60,resolveDns=true,tiebreaker=,version=7.2,configCheckSeconds=30")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(conn.Ignored)
	// Output:
	// [allowAdmin keepAlive resolveDns tiebreaker configCheckSeconds]
}

// What .NET accepts but go-redis cannot honour is accepted too, with a
// warning that names the key and says why; rediscache logs each warning
// once when it builds the client.
func Example_connectionStringWarnings() {
	conn, err := settings.ParseConnectionString(
		"cache:6379,backup:xx,checkCertificateRevocation=true,highIntegrity=true,channelPrefix=app:,connectTimeout=0,connectRetry=5000")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(conn.Endpoints)
	for _, w := range conn.Warnings {
		fmt.Println(w)
	}
	// Output:
	// [cache:6379]
	// endpoint: piece 2, 'backup:xx': the port is not a number; skipped, as StackExchange.Redis skips it
	// connectTimeout: is 0: go-redis cannot dial without a time limit, so the default (5s) applies
	// connectRetry: is 5000: more than 100 dial attempts only hold callers longer, so 100 apply
	// checkCertificateRevocation: is true, but Go's TLS does not check certificate revocation lists: certificates are verified without them
	// highIntegrity: is true, but go-redis has no per-command integrity check: commands are sent without it
	// channelPrefix: is set, but go-redis cannot prefix pub/sub channel names: channels are used as named in code, without the prefix
}

// Where .NET fails, parsing fails too, and says why; and where a piece
// could be the rest of a password with a comma, it says so without
// showing it.
func Example_connectionStringErrors() {
	for _, s := range []string{
		"cache:70000",
		"cache,password=has,comma",
		"cache,password=S3cr3t!,x=y",
		"cache,retries=3",
		"cache,syncTimeout=0",
		"cache,defaultDatabase=-2",
		"cache,tunnel=socks5://proxy:1080",
		"redis://cache?skip_verify=true",
		"redis://cache?retries=3",
		"password=secret",
	} {
		_, err := settings.ParseConnectionString(s)
		fmt.Println(errors.Is(err, settings.ErrInvalidConnectionString), err)
	}
	// Output:
	// true settings: connection string: endpoint 'cache:70000' (piece 1): the port 70000 is out of range (1-65535)
	// true settings: connection string: piece 3, right after password=, is rejected (not shown: if the password contains a comma, this piece is the rest of it; StackExchange.Redis splits on every comma and has no escaping: use a password without commas, and write endpoints first)
	// true settings: connection string: piece 3, right after password=, is rejected (not shown: if the password contains a comma, this piece is the rest of it; StackExchange.Redis splits on every comma and has no escaping: use a password without commas, and write endpoints first)
	// true settings: connection string: Keyword 'retries' is not supported
	// true settings: connection string: Keyword 'syncTimeout' has a minimum value of '1'; the value '0' is not permitted
	// true settings: connection string: Keyword 'defaultDatabase' is -2: StackExchange.Redis accepts -1 (the default database) or a database number >= 0
	// true settings: connection string: Keyword 'tunnel' has the value 'socks5://proxy:1080', but only HTTP CONNECT proxies are supported (http:host:port)
	// true settings: connection string: URI parameter 'skip_verify' needs a TLS scheme (rediss or valkeys)
	// true settings: connection string: URI parameter 'retries' is not supported
	// true settings: connection string: no endpoints specified
}
