package settings

import (
	"maps"
	"slices"
	"testing"
)

// The connection-string test cases of StackExchange.Redis's own test suite
// (tests/StackExchange.Redis.Tests at commit 90bbf1f, version 3.1:
// ConfigTests, FormatTests, DefaultPortsTests, SSLTests, DeprecatedTests,
// RespProtocolTests) and the cases issue 10 lists, scored by what an
// Aspire service ends up with: whether it can run at all, the servers it
// dials, TLS, the protocol, the database, the client name, abortConnect,
// the command map. Where a test case names no endpoint (it only checks a
// property), "h," or "myhost," is put in front, and the source says so.
// .NET's outcome is taken from the assertion of the test case, or, for
// the cases, from the StackExchange.Redis source
// (ConfigurationOptions.DoParse, Format.TryParseEndPoint, the options
// providers).

// outcome is what an Aspire service gets from a connection string.
type outcome struct {
	fails    bool // the client cannot be configured: .NET throws (at Parse, or at Connect for no endpoints)
	addrs    []string
	tls      bool
	protocol int // 2 or 3; 0 = not checked
	db       int
	name     string
	abort    bool
	tunnel   string
	noSetlib bool
	commands map[string]string // nil = not checked
	warns    []string          // keys Go warns about (Go only: .NET is silent)
}

func ok(addrs ...string) outcome { return outcome{addrs: addrs} }
func fails() outcome             { return outcome{fails: true} }

func (o outcome) ssl() outcome                { o.tls = true; return o }
func (o outcome) resp(n int) outcome          { o.protocol = n; return o }
func (o outcome) database(n int) outcome      { o.db = n; return o }
func (o outcome) clientName(n string) outcome { o.name = n; return o }
func (o outcome) aborts() outcome             { o.abort = true; return o }
func (o outcome) via(t string) outcome        { o.tunnel = t; return o }
func (o outcome) setlibOff() outcome          { o.noSetlib = true; return o }
func (o outcome) warn(keys ...string) outcome { o.warns = keys; return o }
func (o outcome) cmds(kv ...string) outcome {
	o.commands = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		o.commands[kv[i]] = kv[i+1]
	}
	return o
}

// outcomeOf is what Go gives.
func outcomeOf(c *Connection, err error) outcome {
	if err != nil {
		return fails()
	}
	o := c.Options
	got := outcome{addrs: c.Endpoints, tls: o.TLSConfig != nil, protocol: o.Protocol, db: o.DB,
		name: o.ClientName, abort: c.AbortConnect, tunnel: c.Tunnel, noSetlib: o.DisableIdentity, commands: c.CommandMap}
	if got.protocol == 0 {
		got.protocol = 3 // go-redis's default
	}
	for _, w := range c.Warnings {
		if !slices.Contains(got.warns, w.Key) {
			got.warns = append(got.warns, w.Key)
		}
	}
	return got
}

func (o outcome) matches(got outcome) bool {
	if o.fails || got.fails {
		return o.fails == got.fails
	}
	return slices.Equal(o.addrs, got.addrs) && o.tls == got.tls &&
		(o.protocol == 0 || o.protocol == got.protocol) && o.db == got.db && o.name == got.name &&
		o.abort == got.abort && o.tunnel == got.tunnel && o.noSetlib == got.noSetlib &&
		(o.commands == nil || maps.Equal(o.commands, got.commands)) && slices.Equal(o.warns, got.warns)
}

type vector struct {
	src  string
	in   string
	want outcome
}

var seRedisVectors = []vector{
	// DefaultPortsTests.ConfigStringRoundTripWithDefaultPorts
	{src: "DefaultPortsTests", in: "foo", want: ok("foo:6379")},
	{src: "DefaultPortsTests", in: "foo:6379", want: ok("foo:6379")},
	{src: "DefaultPortsTests", in: "foo:6380", want: ok("foo:6380")},
	{src: "DefaultPortsTests", in: "foo,ssl=false", want: ok("foo:6379")},
	{src: "DefaultPortsTests", in: "foo:6379,ssl=false", want: ok("foo:6379")},
	{src: "DefaultPortsTests", in: "foo:6380,ssl=false", want: ok("foo:6380")},
	{src: "DefaultPortsTests", in: "foo,ssl=true", want: ok("foo:6380").ssl()},
	{src: "DefaultPortsTests", in: "foo:6379,ssl=true", want: ok("foo:6379").ssl()},
	{src: "DefaultPortsTests", in: "foo:6380,ssl=true", want: ok("foo:6380").ssl()},
	{src: "DefaultPortsTests", in: "foo:6381,ssl=true", want: ok("foo:6381").ssl()},

	// FormatTests.ParseEndPoint (EndpointData) and the unix socket cases.
	{src: "FormatTests", in: "localhost", want: ok("localhost:6379")},
	{src: "FormatTests", in: "localhost:6390", want: ok("localhost:6390")},
	{src: "FormatTests", in: "bob.the.builder.com", want: ok("bob.the.builder.com:6379")},
	{src: "FormatTests", in: "bob.the.builder.com:6390", want: ok("bob.the.builder.com:6390")},
	{src: "FormatTests", in: "0.0.0.0", want: ok("0.0.0.0:6379")},
	{src: "FormatTests", in: "127.0.0.1", want: ok("127.0.0.1:6379")},
	{src: "FormatTests", in: "127.1", want: ok("127.0.0.1:6379")},
	{src: "FormatTests", in: "127.1:6389", want: ok("127.0.0.1:6389")},
	{src: "FormatTests", in: "127.0.0.1:6389", want: ok("127.0.0.1:6389")},
	{src: "FormatTests", in: "127.0.0.1:1", want: ok("127.0.0.1:1")},
	{src: "FormatTests", in: "127.0.0.1:2", want: ok("127.0.0.1:2")},
	{src: "FormatTests", in: "10.10.9.18:2", want: ok("10.10.9.18:2")},
	{src: "FormatTests", in: "::1", want: ok("[::1]:6379")},
	{src: "FormatTests", in: "::1:6379", want: ok("[::1:6379]:6379")}, // ::0.1.99.121: "remember your brackets!"
	{src: "FormatTests", in: "[::1]:6379", want: ok("[::1]:6379")},
	{src: "FormatTests", in: "[::1]", want: ok("[::1]:6379")},
	{src: "FormatTests", in: "[::1]:1000", want: ok("[::1]:1000")},
	{src: "FormatTests", in: "2001:db7:85a3:8d2:1319:8a2e:370:7348", want: ok("[2001:db7:85a3:8d2:1319:8a2e:370:7348]:6379")},
	{src: "FormatTests", in: "[2001:db7:85a3:8d2:1319:8a2e:370:7348]", want: ok("[2001:db7:85a3:8d2:1319:8a2e:370:7348]:6379")},
	{src: "FormatTests", in: "[2001:db7:85a3:8d2:1319:8a2e:370:7348]:1000", want: ok("[2001:db7:85a3:8d2:1319:8a2e:370:7348]:1000")},
	{src: "FormatTests.ParseUnixDomainSocketEndPoint", in: "!/tmp/redis.sock", want: ok("/tmp/redis.sock")},
	{src: "FormatTests.ParseAbstractUnixDomainSocketEndPoint", in: "!@redis-abstract", want: ok("@redis-abstract")},

	// ConfigTests
	{src: "ConfigTests.SslProtocols_SingleValue", in: "myhost,sslProtocols=Tls12", want: ok("myhost:6379")},
	{src: "ConfigTests.SslProtocols_MultipleValues", in: "myhost,sslProtocols=Tls12|Tls13", want: ok("myhost:6379")},
	{src: "ConfigTests.SslProtocols_UsingIntegerValue", in: "myhost,sslProtocols=15360", want: ok("myhost:6379")},
	{src: "ConfigTests.SslProtocols_InvalidValue", in: "myhost,sslProtocols=InvalidSslProtocol", want: fails()},
	{src: "ConfigTests.ConfigurationOption_CheckCertificateRevocation (h, added)", in: "h,checkCertificateRevocation=false", want: ok("h:6379")},
	{src: "ConfigTests.ConfigurationOption_CheckCertificateRevocation (h, added)", in: "h,checkCertificateRevocation=true", want: ok("h:6379").warn("checkCertificateRevocation")},
	{src: "ConfigTests.ConfigurationOption_CheckCertificateRevocation (no endpoint)", in: "checkCertificateRevocation=false", want: fails()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzure", in: "contoso.redis.cache.windows.net:6380", want: ok("contoso.redis.cache.windows.net:6380").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzure", in: "contoso.REDIS.CACHE.chinacloudapi.cn:6380", want: ok("contoso.REDIS.CACHE.chinacloudapi.cn:6380").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzure", in: "contoso.redis.cache.usgovcloudapi.net:6380", want: ok("contoso.redis.cache.usgovcloudapi.net:6380").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzure", in: "contoso.redis.cache.sovcloud-api.de:6380", want: ok("contoso.redis.cache.sovcloud-api.de:6380").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzure", in: "contoso.redis.cache.sovcloud-api.fr:6380", want: ok("contoso.redis.cache.sovcloud-api.fr:6380").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzure", in: "contoso.redis.cache.windows.net:6379", want: ok("contoso.redis.cache.windows.net:6379")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzure", in: "contoso.redis.cache.windows.net:10000", want: ok("contoso.redis.cache.windows.net:10000")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzure", in: "contoso.redis.cache.windows.net", want: ok("contoso.redis.cache.windows.net:6379")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzureManagedRedis", in: "contoso.redis.azure.net:10000", want: ok("contoso.redis.azure.net:10000").ssl().resp(3)},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzureManagedRedis", in: "contoso.redis.chinacloudapi.cn:10000", want: ok("contoso.redis.chinacloudapi.cn:10000").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzureManagedRedis", in: "contoso.redis.usgovcloudapi.net:10000", want: ok("contoso.redis.usgovcloudapi.net:10000").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzureManagedRedis", in: "contoso.redisenterprise.cache.azure.net:10000", want: ok("contoso.redisenterprise.cache.azure.net:10000").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzureManagedRedis", in: "contoso.REDIS.sovcloud-api.de:10000", want: ok("contoso.REDIS.sovcloud-api.de:10000").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzureManagedRedis", in: "contoso.redis.sovcloud-api.fr:10000", want: ok("contoso.redis.sovcloud-api.fr:10000").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzureManagedRedis", in: "contoso.redis.azure.net:6379", want: ok("contoso.redis.azure.net:6379").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzureManagedRedis", in: "contoso.redis.azure.net:6380", want: ok("contoso.redis.azure.net:6380").ssl()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForAzureManagedRedis", in: "contoso.redis.azure.net", want: ok("contoso.redis.azure.net:6380").ssl()},
	{src: "ConfigTests.CorrectRespProtocol", in: "contoso.redis.azure.net:10000", want: ok("contoso.redis.azure.net:10000").ssl().resp(3)},
	{src: "ConfigTests.CorrectRespProtocol", in: "contoso.redis.azure.net:10000,protocol=resp2", want: ok("contoso.redis.azure.net:10000").ssl().resp(2)},
	{src: "ConfigTests.CorrectRespProtocol", in: "contoso.redis.azure.net:10000,protocol=resp3", want: ok("contoso.redis.azure.net:10000").ssl().resp(3)},
	{src: "ConfigTests.CorrectRespProtocol", in: "contoso.redis.azure.net:10000,version=5", want: ok("contoso.redis.azure.net:10000").ssl().resp(3)},
	{src: "ConfigTests.CorrectRespProtocol", in: "contoso.redis.cache.windows.net:6380", want: ok("contoso.redis.cache.windows.net:6380").ssl().resp(3)},
	{src: "ConfigTests.CorrectRespProtocol", in: "contoso.redis.cache.windows.net:6380,protocol=resp2", want: ok("contoso.redis.cache.windows.net:6380").ssl().resp(2)},
	{src: "ConfigTests.CorrectRespProtocol", in: "contoso.redis.cache.windows.net:6380,protocol=resp3", want: ok("contoso.redis.cache.windows.net:6380").ssl().resp(3)},
	{src: "ConfigTests.CorrectRespProtocol", in: "contoso.redis.cache.windows.net:6380,version=5", want: ok("contoso.redis.cache.windows.net:6380").ssl().resp(2)},
	{src: "ConfigTests.CorrectRespProtocol", in: "myserver:6379", want: ok("myserver:6379").resp(3)},
	{src: "ConfigTests.CorrectRespProtocol", in: "myserver:6379,protocol=resp2", want: ok("myserver:6379").resp(2)},
	{src: "ConfigTests.CorrectRespProtocol", in: "myserver:6379,protocol=resp3", want: ok("myserver:6379").resp(3)},
	{src: "ConfigTests.CorrectRespProtocol", in: "myserver:6379,version=5", want: ok("myserver:6379").resp(2)},
	{src: "ConfigTests.ConfigurationOptionsForAzureWhenSpecified", in: "contoso.redis.cache.windows.net,abortConnect=true, version=2.1.1", want: ok("contoso.redis.cache.windows.net:6379").aborts().resp(2)},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "redis.contoso.com", want: ok("redis.contoso.com:6379")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "redis.contoso.com:xx", want: fails()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "redis.contoso.com:6379", want: ok("redis.contoso.com:6379")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "contoso.Xredis.cache.windows.net:6380", want: ok("contoso.Xredis.cache.windows.net:6380")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "contoso.redis.cache.windows.netX:6380", want: ok("contoso.redis.cache.windows.netX:6380")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "contoso.redis.cache.windows.net.X:6380", want: ok("contoso.redis.cache.windows.net.X:6380")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "contoso.Xredis.azure.net:10000", want: ok("contoso.Xredis.azure.net:10000")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "contoso.redis.azure.netX:10000", want: ok("contoso.redis.azure.netX:10000")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "contoso.redis.azure.net.X:10000", want: ok("contoso.redis.azure.net.X:10000")},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "contoso.redis.cache.windows.net:xx", want: fails()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "contoso.redis.cache.windows.net:", want: fails()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "contoso.redis.azure.net:xx", want: fails()},
	{src: "ConfigTests.ConfigurationOptionsDefaultForNonAzure", in: "contoso.redis.azure.net:", want: fails()},
	{src: "ConfigTests.ConfigurationOptionsSyncTimeout (myhost, added)", in: "myhost,syncTimeout=20", want: ok("myhost:6379")},
	{src: "ConfigTests.ConfigurationOptionsIPv6Parsing", in: "127.1:6379", want: ok("127.0.0.1:6379")},
	{src: "ConfigTests.ConfigurationOptionsIPv6Parsing", in: "127.0.0.1:6379", want: ok("127.0.0.1:6379")},
	{src: "ConfigTests.ConfigurationOptionsIPv6Parsing", in: "2a01:9820:1:24::1:1:6379", want: ok("[2a01:9820:1:24:0:1:1:6379]:6379")},
	{src: "ConfigTests.ConfigurationOptionsIPv6Parsing", in: "[2a01:9820:1:24::1:1]:6379", want: ok("[2a01:9820:1:24::1:1]:6379")},
	{src: "ConfigTests.CanParseAndFormatUnixDomainSocket", in: "!/some/path,allowAdmin=True", want: ok("/some/path")},
	{src: "ConfigTests.ParseTlsWithoutTrailingComma", in: "myDNS:myPort,password=myPassword,connectRetry=3,connectTimeout=15000,syncTimeout=15000,defaultDatabase=0,abortConnect=false,ssl=true,sslProtocols=Tls12", want: fails()},
	{src: "ConfigTests.ParseTlsWithoutTrailingComma", in: "myDNS:myPort,password=myPassword,abortConnect=false,ssl=true,sslProtocols=Tls12", want: fails()},
	{src: "ConfigTests.ParseTlsWithoutTrailingComma", in: "myDNS:myPort,password=myPassword,abortConnect=false,ssl=true,sslProtocols=Ssl3", want: fails()},
	{src: "ConfigTests.ParseTlsWithoutTrailingComma", in: "myDNS:myPort,password=myPassword,abortConnect=false,ssl=true,sslProtocols=Tls12 ", want: fails()},
	{src: "ConfigTests.ParseTlsWithoutTrailingComma (port 883)", in: "myDNS:883,password=myPassword,abortConnect=false,ssl=true,sslProtocols=Tls12 ", want: ok("myDNS:883").ssl()},
	{src: "ConfigTests.ConfigStringErrorsGiveMeaningfulMessages", in: "foo,sslProtocols=NotAThing", want: fails()},
	{src: "ConfigTests.ConfigStringErrorsGiveMeaningfulMessages", in: "foo,SyncTimeout=ten", want: fails()},
	{src: "ConfigTests.ConfigStringErrorsGiveMeaningfulMessages", in: "foo,syncTimeout=-42", want: fails()},
	{src: "ConfigTests.ConfigStringErrorsGiveMeaningfulMessages", in: "foo,AllowAdmin=maybe", want: fails()},
	{src: "ConfigTests.ConfigStringErrorsGiveMeaningfulMessages", in: "foo,Version=current", want: fails()},
	{src: "ConfigTests.ConfigStringErrorsGiveMeaningfulMessages", in: "foo,proxy=epoxy", want: fails()},
	{src: "ConfigTests.ConfigStringInvalidOptionErrorGiveMeaningfulMessages", in: "foo,flibble=value", want: fails()},
	{src: "ConfigTests.Apply", in: "127.0.0.1,name=FooApply", want: ok("127.0.0.1:6379").clientName("FooApply")},
	{src: "ConfigTests.HttpTunnelCanRoundtrip (myhost, added)", in: "myhost,tunnel=http://somewhere:22", want: ok("myhost:6379").via("somewhere:22")},
	{src: "ConfigTests.HttpTunnelCanRoundtrip (myhost, added)", in: "myhost,tunnel=http:somewhere:22", want: ok("myhost:6379").via("somewhere:22")},
	{src: "ConfigTests.CustomTunnelCanRoundtripMinusTunnel", in: "127.0.0.1,Ssl=true", want: ok("127.0.0.1:6380").ssl()},
	{src: "ConfigTests.DefaultConfigOptionsForSetLib", in: "server:6379", want: ok("server:6379")},
	{src: "ConfigTests.DefaultConfigOptionsForSetLib", in: "server:6379,setlib=True", want: ok("server:6379")},
	{src: "ConfigTests.DefaultConfigOptionsForSetLib", in: "server:6379,setlib=False", want: ok("server:6379").setlibOff()},
	{src: "ConfigTests.CheckHighIntegrity", in: "dummy", want: ok("dummy:6379")},
	{src: "ConfigTests.CheckHighIntegrity", in: "dummy,highIntegrity=False", want: ok("dummy:6379")},
	{src: "ConfigTests.CheckHighIntegrity", in: "dummy,highIntegrity=True", want: ok("dummy:6379").warn("highIntegrity")},

	// SSLTests
	{src: "SSLTests.Issue883_Exhaustive", in: "myDNS:883,password=mypassword,connectRetry=3,connectTimeout=5000,syncTimeout=5000,defaultDatabase=0,ssl=true,abortConnect=false", want: ok("myDNS:883").ssl()},

	// DeprecatedTests ("h," added: the tests check a property only)
	{src: "DeprecatedTests.HighPrioritySocketThreads", in: "h,highPriorityThreads=true", want: ok("h:6379")},
	{src: "DeprecatedTests.HighPrioritySocketThreads", in: "h,highPriorityThreads=false", want: ok("h:6379")},
	{src: "DeprecatedTests.PreserveAsyncOrder", in: "h,preserveAsyncOrder=true", want: ok("h:6379")},
	{src: "DeprecatedTests.PreserveAsyncOrder", in: "h,preserveAsyncOrder=false", want: ok("h:6379")},
	{src: "DeprecatedTests.WriteBufferParse", in: "h,writeBuffer=8092", want: ok("h:6379")},
	{src: "DeprecatedTests.ResponseTimeout", in: "h,responseTimeout=1000", want: ok("h:6379")},
	{src: "DeprecatedTests (name only)", in: "name=Hello", want: fails()},

	// RespProtocolTests.ParseFormatConfigOptions (3.x: RESP3 unless the
	// version is below 6 or HELLO is disabled).
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,protocol=resp3", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,protocol=resp3,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,protocol=resp3,$HELLO=BONJOUR", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,protocol=3", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,protocol=3,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,protocol=3,$HELLO=BONJOUR", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,protocol=2", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,protocol=2,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,protocol=2,$HELLO=BONJOUR", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,$HELLO=BONJOUR", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,protocol=resp3", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,protocol=resp3,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,protocol=resp3,$HELLO=BONJOUR", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,protocol=3", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,protocol=3,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,protocol=3,$HELLO=BONJOUR", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,protocol=2", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,protocol=2,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=5.9,protocol=2,$HELLO=BONJOUR", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,$HELLO=BONJOUR", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,protocol=resp3", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,protocol=resp3,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,protocol=resp3,$HELLO=BONJOUR", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,protocol=3", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,protocol=3,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,protocol=3,$HELLO=BONJOUR", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,protocol=2", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,protocol=2,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=6.0,protocol=2,$HELLO=BONJOUR", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=7.2", want: ok("someserver:6379").resp(3)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=7.2,$HELLO=", want: ok("someserver:6379").resp(2)},
	{src: "RespProtocolTests.ParseFormatConfigOptions", in: "someserver,version=7.2,$HELLO=BONJOUR", want: ok("someserver:6379").resp(3)},

	// Issue 10: strings a .NET service runs with.
	{src: "issue 10 (name sanitised before CLIENT SETNAME)", in: "h,name=Core (Q&A)", want: ok("h:6379").clientName("Core(Q&A)")},
	{src: "issue 10", in: "h,checkCertificateRevocation=true,highIntegrity=true,channelPrefix=app:", want: ok("h:6379").warn("checkCertificateRevocation", "highIntegrity", "channelPrefix")},
	{src: "issue 10 (command map)", in: "h,$SUBSCRIBE=,$get=fetch,$NOTACOMMAND=x", want: ok("h:6379").cmds("SUBSCRIBE", "", "GET", "FETCH")},
	{src: "issue 10", in: "h,connectTimeout=0", want: ok("h:6379").warn("connectTimeout")},
	{src: "issue 10", in: "h,defaultDatabase=-1", want: ok("h:6379")},
	{src: "issue 10 (bad endpoint skipped)", in: "good:6379,bad:xx", want: ok("good:6379").warn("endpoint")},
	{src: "issue 10 (several endpoints with a database)", in: "a:6379,b:6379,defaultDatabase=2", want: ok("a:6379", "b:6379").database(2)},
	{src: "issue 10 (several proxies)", in: "a:6379,b:6379,proxy=Twemproxy", want: ok("a:6379", "b:6379")},
	{src: "issue 10 (password with a comma: .NET fails, Keyword 'x' is not supported)", in: "h,password=S3cr3t!,x=y", want: fails()},
	{src: "issue 10 (password with a comma: .NET sets the name)", in: "h,password=head,name=tail", want: ok("h:6379").clientName("tail").warn("name")},
	{src: "Format.TryParseEndPoint (port 0 is the default port)", in: "h:0", want: ok("h:6379")},
	{src: "Format.TryParseEndPoint (port out of range: DnsEndPoint throws)", in: "h:70000", want: fails()},
	{src: "IPAddress.TryParse (inet_aton forms)", in: "10.1.2,0x7f.1:7000", want: ok("10.1.0.2:6379", "127.0.0.1:7000")},
}

// TestStackExchangeRedisVectors scores every vector: Go must give the
// outcome .NET gives.
func TestStackExchangeRedisVectors(t *testing.T) {
	matched := 0
	for _, v := range seRedisVectors {
		c, err := ParseConnectionString(v.in)
		got := outcomeOf(c, err)
		if v.want.matches(got) {
			matched++
			continue
		}
		t.Errorf("%s: %q\n got  %+v (err %v)\n want %+v", v.src, v.in, got, err, v.want)
	}
	t.Logf("%d of %d StackExchange.Redis vectors give the .NET outcome", matched, len(seRedisVectors))
}
