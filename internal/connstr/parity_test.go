package connstr

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseDotnetIPv4(t *testing.T) {
	for in, want := range map[string]string{
		"127.1":         "127.0.0.1",
		"127.0.0.1":     "127.0.0.1",
		"10.1.2":        "10.1.0.2",
		"1":             "0.0.0.1",
		"0x7f.1":        "127.0.0.1",
		"010.0.0.1":     "8.0.0.1",
		"4294967295":    "255.255.255.255",
		"127.65535":     "127.0.255.255",
		"4294967296":    "",
		"256.1":         "",
		"127.0.0.256":   "",
		"127.0.0.1.":    "",
		"1.2.3.4.5":     "",
		"redis":         "",
		"0x":            "",
		"09":            "",
		"-1":            "",
		"":              "",
		"127..1":        "",
		"my-host.local": "",
	} {
		a, ok := parseDotnetIPv4(in)
		got := ""
		if ok {
			got = a.String()
		}
		if got != want {
			t.Errorf("parseDotnetIPv4(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAzureHostKind(t *testing.T) {
	for host, want := range map[string]AzureKind{
		"contoso.redis.cache.windows.net":          AzureCacheForRedis,
		"contoso.REDIS.CACHE.chinacloudapi.cn":     AzureCacheForRedis,
		"contoso.redis.cache.usgovcloudapi.net":    AzureCacheForRedis,
		"contoso.redis.cache.sovcloud-api.de":      AzureCacheForRedis,
		"contoso.redis.cache.sovcloud-api.fr":      AzureCacheForRedis,
		"contoso.redis.azure.net":                  AzureManagedRedis,
		"contoso.redis.chinacloudapi.cn":           AzureManagedRedis,
		"contoso.redis.usgovcloudapi.net":          AzureManagedRedis,
		"contoso.redis.sovcloud-api.de":            AzureManagedRedis,
		"contoso.redis.sovcloud-api.fr":            AzureManagedRedis,
		"contoso.redisenterprise.cache.azure.net":  AzureManagedRedis,
		"contoso.Xredis.cache.windows.net":         NotAzure,
		"contoso.redis.cache.windows.netX":         NotAzure,
		"contoso.redis.azure.net.X":                NotAzure,
		"redis.cache.windows.net":                  NotAzure, // no leading label: the suffix starts with '.'
		"localhost":                                NotAzure,
		"contoso.redis.cache.windows.net.evil.com": NotAzure,
	} {
		if got := AzureHostKind(host); got != want {
			t.Errorf("AzureHostKind(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestAzureDefaults(t *testing.T) {
	tests := []struct {
		in         string
		kind       AzureKind
		tls        bool
		addr       string
		serverName string
		protocol   int
	}{
		{"contoso.redis.azure.net:10000", AzureManagedRedis, true, "contoso.redis.azure.net:10000", "contoso.redis.azure.net", 3},
		{"contoso.redis.azure.net", AzureManagedRedis, true, "contoso.redis.azure.net:6380", "contoso.redis.azure.net", 3},
		{"contoso.redis.azure.net:10000,ssl=false", AzureManagedRedis, false, "contoso.redis.azure.net:10000", "", 3},
		{"contoso.redis.cache.windows.net:6380", AzureCacheForRedis, true, "contoso.redis.cache.windows.net:6380", "contoso.redis.cache.windows.net", 0},
		{"contoso.redis.cache.windows.net", AzureCacheForRedis, false, "contoso.redis.cache.windows.net:6379", "", 0},
		{"contoso.redis.cache.windows.net,ssl=true", AzureCacheForRedis, true, "contoso.redis.cache.windows.net:6380", "contoso.redis.cache.windows.net", 0},
		// The first provider that matches any endpoint wins, Azure Cache for Redis first.
		{"contoso.redis.azure.net:10000,other.redis.cache.windows.net:6380", AzureCacheForRedis, true, "contoso.redis.azure.net:10000", "", 0},
		// IP addresses never match.
		{"127.0.0.1:6380", NotAzure, false, "127.0.0.1:6380", "", 0},
	}
	for _, tt := range tests {
		c, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		o := c.Options
		if c.Azure != tt.kind || (o.TLSConfig != nil) != tt.tls || c.Endpoints[0] != tt.addr || o.Protocol != tt.protocol || c.AbortConnect {
			t.Errorf("%q: Azure=%v tls=%v addr=%s protocol=%d abort=%v; want %v %v %s %d false",
				tt.in, c.Azure, o.TLSConfig != nil, c.Endpoints[0], o.Protocol, c.AbortConnect, tt.kind, tt.tls, tt.addr, tt.protocol)
		}
		if tt.tls && o.TLSConfig.ServerName != tt.serverName {
			t.Errorf("%q: ServerName = %q, want %q", tt.in, o.TLSConfig.ServerName, tt.serverName)
		}
	}
}

func TestEndpointBounds(t *testing.T) {
	var sb strings.Builder
	for i := range MaxEndpoints {
		fmt.Fprintf(&sb, "h%d:6379,", i)
	}
	// Duplicates in any case are dropped, in linear time.
	for i := range MaxEndpoints {
		fmt.Fprintf(&sb, "H%d:6379,", i)
	}
	c, err := Parse(sb.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Endpoints) != MaxEndpoints {
		t.Fatalf("%d endpoints, want %d", len(c.Endpoints), MaxEndpoints)
	}
	sb.WriteString("one-more")
	if _, err := Parse(sb.String()); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d endpoints", MaxEndpoints)) {
		t.Errorf("%d endpoints: err = %v, want the bound", MaxEndpoints+1, err)
	}
	long := strings.Repeat("a", MaxHostLength+1)
	for _, in := range []string{long, long + ":6379", "redis://" + long, "!" + strings.Repeat("/", MaxHostLength+1)} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), "longer than") {
			t.Errorf("a %d-byte host: err = %v, want the bound", len(in), err)
		}
	}
	if _, err := Parse(strings.Repeat("a", MaxHostLength)); err != nil {
		t.Errorf("a %d-byte host: %v", MaxHostLength, err)
	}
}

func TestAbsurdTimeoutsAreClamped(t *testing.T) {
	tests := []struct {
		in       string
		dial     time.Duration
		retries  int
		warnings []string
	}{
		{"h,connectRetry=2147483647", 5 * time.Second, maxConnectRetry, []string{"connectRetry"}},
		{"h,connectTimeout=2147483647,connectRetry=5000", maxTimeout, maxConnectRetry, []string{"connectRetry"}},
		{"h,connectRetry=-5", 5 * time.Second, 1, nil},
		{"h,connectRetry=0", 5 * time.Second, 1, nil},
		{"h,connectTimeout=-1", 5 * time.Second, 3, []string{"connectTimeout"}},
		{"redis://h?dial_timeout=1000000h", maxTimeout, 3, []string{"dial_timeout"}},
		{"redis://h?dial_timeout=999999999999999999", maxTimeout, 3, []string{"dial_timeout"}},
		{"redis://h?dial_timeout=0", 5 * time.Second, 3, []string{"dial_timeout"}},
		{"redis://h?read_timeout=1000000h", 5 * time.Second, 3, []string{"read_timeout"}},
	}
	for _, tt := range tests {
		c, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		var keys []string
		for _, w := range c.Warnings {
			keys = append(keys, w.Key)
		}
		if c.Options.DialTimeout != tt.dial || c.Options.DialerRetries != tt.retries || !slices.Equal(keys, tt.warnings) {
			t.Errorf("%q: DialTimeout %v, DialerRetries %d, warnings %v; want %v, %d, %v",
				tt.in, c.Options.DialTimeout, c.Options.DialerRetries, c.Warnings, tt.dial, tt.retries, tt.warnings)
		}
		// The worst case stays far from overflowing a time.Duration.
		if total := c.Options.DialTimeout * time.Duration(c.Options.DialerRetries); total <= 0 {
			t.Errorf("%q: DialTimeout*DialerRetries overflows", tt.in)
		}
	}
}

func TestParseBoolTextModes(t *testing.T) {
	for _, tt := range []struct {
		in            string
		conn, config  bool
		connOK, cfgOK bool
	}{
		{"true", true, true, true, true},
		{" TRUE ", true, true, true, true},
		{"False", false, false, true, true},
		{"yes", true, false, true, false},
		{"On", true, false, true, false},
		{"1", true, false, true, false},
		{"no", false, false, true, false},
		{"off", false, false, true, false},
		{"0", false, false, true, false},
		{"", false, false, false, false},
		{"maybe", false, false, false, false},
	} {
		v, ok := ParseBoolText(tt.in, false)
		w, ok2 := ParseBoolText(tt.in, true)
		if v != tt.conn || ok != tt.connOK || w != tt.config || ok2 != tt.cfgOK {
			t.Errorf("ParseBoolText(%q) = %v,%v / %v,%v; want %v,%v / %v,%v", tt.in, v, ok, w, ok2, tt.conn, tt.connOK, tt.config, tt.cfgOK)
		}
	}
}

func TestCommandMap(t *testing.T) {
	c, err := Parse("h,$subscribe=,$GET=fetch, $ Set = put ,$NOSUCH=x,$KEYS=")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"SUBSCRIBE": "", "GET": "FETCH", "SET": "PUT", "KEYS": ""}
	if fmt.Sprint(c.CommandMap) != fmt.Sprint(want) {
		t.Errorf("CommandMap = %v, want %v", c.CommandMap, want)
	}
	if !slices.Contains(c.Ignored, "$NOSUCH") {
		t.Errorf("Ignored = %v, want $NOSUCH", c.Ignored)
	}
	// The map is the Connection's own copy.
	c.CommandMap["GET"] = "x"
	c2, _ := Parse("h,$GET=fetch")
	if c2.CommandMap["GET"] != "FETCH" {
		t.Error("CommandMap shared between connections")
	}
}

// seRedisOptionKeys are StackExchange.Redis's OptionKeys (ConfigurationOptions.cs,
// 3.1): every one must have a row in the key table.
var seRedisOptionKeys = []string{
	"abortConnect", "allowAdmin", "asyncTimeout", "channelPrefix", "configChannel", "configCheckSeconds",
	"connectRetry", "connectTimeout", "defaultDatabase", "highPriorityThreads", "keepAlive", "name", "user",
	"sentinelUser", "password", "sentinelPassword", "preserveAsyncOrder", "proxy", "resolveDns",
	"responseTimeout", "serviceName", "ssl", "sslHost", "sslProtocols", "syncTimeout", "tiebreaker",
	"version", "writeBuffer", "checkCertificateRevocation", "tunnel", "setlib", "protocol", "highIntegrity",
	"tcpKeepAlive",
}

func TestKeyTable(t *testing.T) {
	var names []string
	for _, k := range Keys() {
		if k.Name != "" {
			names = append(names, k.Name)
			if canonicalKey(strings.ToUpper(k.Name)) != k.Name {
				t.Errorf("%s: not found in any case", k.Name)
			}
		}
		if k.Effect == "" || k.Value == "" || k.Support == "" {
			t.Errorf("%+v: incomplete row", k)
		}
		if k.Name == "" && k.Property == "" {
			t.Errorf("%+v: neither keyword nor property", k)
		}
	}
	slices.Sort(names)
	want := slices.Clone(seRedisOptionKeys)
	slices.SortFunc(want, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	if !slices.Equal(names, want) {
		t.Errorf("keywords = %v\nwant (StackExchange.Redis OptionKeys) %v", names, want)
	}
	// Every row applies: a valid value of each grammar is accepted.
	sample := map[grammar]string{gString: "x", gBool: "true", gInt: "5", gVersion: "7.2", gProtocol: "resp3",
		gProxy: "None", gSslProtocols: "Tls12", gTunnel: "http:p:1", gAny: "x", gTimeSpan: "00:00:01"}
	for i := range keyTable {
		d := &keyTable[i]
		b := NewBuilder()
		if err := b.apply(d, d.label(), sample[d.grammar], d.name == ""); err != nil {
			t.Errorf("%s=%s: %v", d.label(), sample[d.grammar], err)
		}
	}
}

// TestDocsKeyTables checks that every page that shows the key table shows
// exactly KeyTableMarkdown, between the markers. UPDATE_DOCS=1 rewrites
// them.
func TestDocsKeyTables(t *testing.T) {
	const begin, end = "<!-- key-table:begin (generated from internal/connstr.KeyTableMarkdown; do not edit) -->\n", "<!-- key-table:end -->"
	want := KeyTableMarkdown()
	for _, page := range []string{"connection-strings.md", "aspire-compatibility.md"} {
		path := filepath.Join("..", "..", "docs", page)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		i, j := strings.Index(s, begin), strings.Index(s, end)
		if i < 0 || j < i {
			t.Errorf("%s: no key table between %q and %q", page, strings.TrimSpace(begin), end)
			continue
		}
		got := s[i+len(begin) : j]
		if got == want {
			continue
		}
		if os.Getenv("UPDATE_DOCS") == "1" {
			if err := os.WriteFile(path, []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: key table rewritten", page)
			continue
		}
		t.Errorf("%s: the key table differs from KeyTableMarkdown (run UPDATE_DOCS=1 go test ./internal/connstr -run TestDocsKeyTables)", page)
	}
}

func TestSslProtocolsLeniency(t *testing.T) {
	for _, tt := range []struct {
		in       string
		min, max uint16
	}{
		{"h,ssl=true,sslProtocols=Ssl3|Tls12|Tls13", tls.VersionTLS12, tls.VersionTLS13},
		{"h,ssl=true,sslProtocols=Ssl3", 0, 0}, // Go's defaults: TLS 1.2 and up
		{"h,ssl=true,sslProtocols=12", 0, 0},
		{"h,ssl=true,sslProtocols=Tls|Tls13", tls.VersionTLS10, tls.VersionTLS13},
	} {
		c, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		cfg := c.Options.TLSConfig
		if cfg.MinVersion != tt.min || cfg.MaxVersion != tt.max || len(c.Warnings) != 1 || c.Warnings[0].Key != "sslProtocols" {
			t.Errorf("%q: min %x max %x warnings %v; want %x %x and one sslProtocols warning", tt.in, cfg.MinVersion, cfg.MaxVersion, c.Warnings, tt.min, tt.max)
		}
	}
}
