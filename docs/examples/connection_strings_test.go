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
	// [allowAdmin keepAlive resolveDns tiebreaker version configCheckSeconds]
}

// Where StackExchange.Redis would silently do something else, parsing
// fails and says why.
func Example_connectionStringErrors() {
	for _, s := range []string{
		"cache:abc",
		"cache,password=has,comma",
		"cache,retries=3",
		"cache,connectTimeout=0",
		"cache,checkCertificateRevocation=true",
		"cache,channelPrefix=app:",
		"cache,highIntegrity=true",
		"cache,$KEYS=",
		"node-1,node-2,defaultDatabase=1",
		"node-1,node-2,proxy=Twemproxy",
		"cache,ssl=true,sslProtocols=Ssl3",
		"redis://cache?skip_verify=true",
		"redis://cache?retries=3",
		"password=secret",
	} {
		_, err := settings.ParseConnectionString(s)
		fmt.Println(errors.Is(err, settings.ErrInvalidConnectionString), err)
	}
	// Output:
	// true settings: connection string: endpoint 'cache:abc' (piece 1): the port 'abc' is not a number
	// true settings: connection string: piece 3 comes right after password= and would be an endpoint; passwords cannot contain commas, and an endpoint must not follow password= directly (write endpoints first)
	// true settings: connection string: Keyword 'retries' is not supported
	// true settings: connection string: Keyword 'connectTimeout' has a minimum value of '1'; the value '0' is not permitted
	// true settings: connection string: Keyword 'checkCertificateRevocation' is true, but Go's TLS does not check certificate revocation lists; remove it or set it to false
	// true settings: connection string: Keyword 'channelPrefix' is set, but go-redis cannot prefix pub/sub channels; remove it and add the prefix to channel names in code
	// true settings: connection string: Keyword 'highIntegrity' is true, but go-redis has no per-command integrity check; remove it or set it to false
	// true settings: connection string: Keyword '$KEYS' is a command map entry, which is not supported: go-redis cannot rename or disable commands
	// true settings: connection string: Keyword 'defaultDatabase' is 1, but a connection string with several endpoints is a Redis Cluster, which has only database 0
	// true settings: connection string: Keyword 'proxy' is Twemproxy with 2 endpoints: go-redis would treat them as a Redis Cluster; name one proxy endpoint
	// true settings: connection string: Keyword 'sslProtocols' has the value 'Ssl3', which allows SSL 2 or SSL 3: Go supports only TLS (use Tls12 or Tls13)
	// true settings: connection string: URI parameter 'skip_verify' needs a TLS scheme (rediss or valkeys)
	// true settings: connection string: URI parameter 'retries' is not supported
	// true settings: connection string: no endpoints specified
}
