package connstr

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestURIAgreesWithGoRedis: for the URI forms both accept, parseURI gives
// the go-redis options that go-redis's own parsers (ParseURL,
// ParseClusterURL, ParseFailoverURL) give, field by field. Where they
// differ, ours is kept: TestURIDifferencesFromGoRedis lists each case.
func TestURIAgreesWithGoRedis(t *testing.T) {
	const query = "client_name=app&dial_timeout=2&read_timeout=500ms&write_timeout=3s&pool_size=20&min_idle_conns=2" +
		"&max_idle_conns=4&max_active_conns=30&max_retries=5&pool_timeout=4s&conn_max_idle_time=1m&conn_max_lifetime=1h&protocol=2"
	for _, tt := range []struct {
		uri  string
		want func() (*redis.UniversalOptions, error)
	}{
		{"redis://localhost:6380/2", func() (*redis.UniversalOptions, error) {
			return fromOptions(redis.ParseURL("redis://localhost:6380/2"))
		}},
		{"redis://user:p%40ss@cache:6379/1?" + query, func() (*redis.UniversalOptions, error) {
			return fromOptions(redis.ParseURL("redis://user:p%40ss@cache:6379/1?" + query))
		}},
		{"rediss://:pw@cache:6380?skip_verify=true", func() (*redis.UniversalOptions, error) {
			return fromOptions(redis.ParseURL("rediss://:pw@cache:6380?skip_verify=true"))
		}},
		{"unix://user:pw@/tmp/redis.sock?db=3", func() (*redis.UniversalOptions, error) {
			return fromOptions(redis.ParseURL("unix://user:pw@/tmp/redis.sock?db=3"))
		}},
		{"redis://u:pw@a:7000?addr=b:7001&addr=c:7002&" + query, func() (*redis.UniversalOptions, error) {
			o, err := redis.ParseClusterURL("redis://u:pw@a:7000?addr=b:7001&addr=c:7002&" + query)
			if err != nil {
				return nil, err
			}
			return &redis.UniversalOptions{Addrs: o.Addrs, Username: o.Username, Password: o.Password, ClientName: o.ClientName,
				Protocol: o.Protocol, DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
				PoolSize: o.PoolSize, MinIdleConns: o.MinIdleConns, MaxIdleConns: o.MaxIdleConns, MaxActiveConns: o.MaxActiveConns,
				MaxRetries: o.MaxRetries, PoolTimeout: o.PoolTimeout, ConnMaxIdleTime: o.ConnMaxIdleTime,
				ConnMaxLifetime: o.ConnMaxLifetime, TLSConfig: o.TLSConfig}, nil
		}},
		{"redis://s1:26379/0?master_name=mymaster&addr=s2:26380&dial_timeout=2", func() (*redis.UniversalOptions, error) {
			o, err := redis.ParseFailoverURL("redis://s1:26379/0?master_name=mymaster&addr=s2:26380&dial_timeout=2")
			if err != nil {
				return nil, err
			}
			return &redis.UniversalOptions{Addrs: o.SentinelAddrs, MasterName: o.MasterName, DB: o.DB, DialTimeout: o.DialTimeout}, nil
		}},
	} {
		t.Run(tt.uri, func(t *testing.T) {
			want, err := tt.want()
			if err != nil {
				t.Fatalf("go-redis: %v", err)
			}
			c, err := Parse(tt.uri)
			if err != nil {
				t.Fatal(err)
			}
			got := c.Options
			// What go-redis leaves to its constructors, ours sets as
			// StackExchange.Redis does (5 s timeouts); compare only what
			// the URI says.
			zeroIfUnset := func(g *time.Duration, w time.Duration) {
				if w == 0 {
					*g = 0
				}
			}
			zeroIfUnset(&got.DialTimeout, want.DialTimeout)
			zeroIfUnset(&got.ReadTimeout, want.ReadTimeout)
			zeroIfUnset(&got.WriteTimeout, want.WriteTimeout)
			for _, f := range []struct {
				name      string
				got, want any
			}{
				{"Addrs", got.Addrs, want.Addrs}, {"Username", got.Username, want.Username}, {"Password", got.Password, want.Password},
				{"DB", got.DB, want.DB}, {"MasterName", got.MasterName, want.MasterName}, {"ClientName", got.ClientName, want.ClientName},
				{"Protocol", got.Protocol, want.Protocol}, {"DialTimeout", got.DialTimeout, want.DialTimeout},
				{"ReadTimeout", got.ReadTimeout, want.ReadTimeout}, {"WriteTimeout", got.WriteTimeout, want.WriteTimeout},
				{"PoolSize", got.PoolSize, want.PoolSize}, {"MinIdleConns", got.MinIdleConns, want.MinIdleConns},
				{"MaxIdleConns", got.MaxIdleConns, want.MaxIdleConns}, {"MaxActiveConns", got.MaxActiveConns, want.MaxActiveConns},
				{"MaxRetries", got.MaxRetries, want.MaxRetries}, {"PoolTimeout", got.PoolTimeout, want.PoolTimeout},
				{"ConnMaxIdleTime", got.ConnMaxIdleTime, want.ConnMaxIdleTime}, {"ConnMaxLifetime", got.ConnMaxLifetime, want.ConnMaxLifetime},
				{"TLS", got.TLSConfig != nil, want.TLSConfig != nil},
			} {
				if a, ok := f.got.([]string); ok {
					if !slices.Equal(a, f.want.([]string)) {
						t.Errorf("%s = %v; go-redis gives %v", f.name, f.got, f.want)
					}
					continue
				}
				if f.got != f.want {
					t.Errorf("%s = %v; go-redis gives %v", f.name, f.got, f.want)
				}
			}
			if got.TLSConfig != nil && want.TLSConfig != nil &&
				(got.TLSConfig.ServerName != want.TLSConfig.ServerName || got.TLSConfig.InsecureSkipVerify != want.TLSConfig.InsecureSkipVerify) {
				t.Errorf("TLS ServerName %q skip %v; go-redis gives %q %v", got.TLSConfig.ServerName, got.TLSConfig.InsecureSkipVerify,
					want.TLSConfig.ServerName, want.TLSConfig.InsecureSkipVerify)
			}
		})
	}
}

// TestURIDifferencesFromGoRedis lists the inputs on which go-redis's URL
// parsers give another result than parseURI, which is why parseURI is not
// a call to them: each row fails when go-redis starts agreeing, so that
// the case can then be delegated.
func TestURIDifferencesFromGoRedis(t *testing.T) {
	for _, tt := range []struct {
		uri, why string
		oursOK   bool                                 // parseURI accepts it
		goRedis  func(string) (*redis.Options, error) // nil: ParseURL
		differs  func(c *Connection, o *redis.Options, goErr error) bool
	}{
		{"redis://:pw@/0", "no host: go-redis dials localhost, a .NET-minded user meant a host", false, nil,
			func(_ *Connection, o *redis.Options, err error) bool { return err == nil && o.Addr == "localhost:6379" }},
		{"redis://cache/-1", "a negative database", false, nil,
			func(_ *Connection, o *redis.Options, err error) bool { return err == nil && o.DB == -1 }},
		{"redis://cache?pool_size=-5", "a negative pool size", false, nil,
			func(_ *Connection, o *redis.Options, err error) bool { return err == nil && o.PoolSize == -5 }},
		{"valkey://cache", "the valkey schemes", true, nil,
			func(_ *Connection, _ *redis.Options, err error) bool { return err != nil }},
		{"redis://cache?protocol=resp3", "protocol names, as StackExchange.Redis writes them", true, nil,
			func(_ *Connection, _ *redis.Options, err error) bool { return err != nil }},
		{"redis://u:p%zz@cache", "a bad escape: go-redis's error (net/url's) quotes the password", false, nil,
			func(_ *Connection, _ *redis.Options, err error) bool {
				return err != nil && strings.Contains(err.Error(), "p%zz")
			}},
		{"redis://cache:6379", "no timeouts: go-redis leaves them to its constructor, ours are StackExchange.Redis's 5 s", true, nil,
			func(c *Connection, o *redis.Options, err error) bool {
				return err == nil && o.DialTimeout == 0 && c.Options.DialTimeout == 5*time.Second
			}},
		{"redis://u:pw@s1?master_name=m", "userinfo with master_name: go-redis makes it the sentinels' password, " +
			"StackExchange.Redis's password= is the servers'", true,
			func(uri string) (*redis.Options, error) {
				o, err := redis.ParseFailoverURL(uri)
				if err != nil {
					return nil, err
				}
				return &redis.Options{Password: o.Password}, nil
			},
			func(c *Connection, o *redis.Options, err error) bool {
				return err == nil && o.Password == "" && c.Options.Password == "pw"
			}},
	} {
		t.Run(tt.uri, func(t *testing.T) {
			c, err := Parse(tt.uri)
			if (err == nil) != tt.oursOK {
				t.Fatalf("parseURI: err = %v; want ok = %v", err, tt.oursOK)
			}
			if err != nil && strings.Contains(err.Error(), "p%zz") {
				t.Errorf("our error shows the password: %v", err)
			}
			parse := tt.goRedis
			if parse == nil {
				parse = redis.ParseURL
			}
			o, goErr := parse(tt.uri)
			if !tt.differs(c, o, goErr) {
				t.Errorf("go-redis no longer differs (%s): o = %+v, err = %v; delegate this case", tt.why, o, goErr)
			}
		})
	}
}

// fromOptions is o in UniversalOptions form, as far as a URI sets it.
func fromOptions(o *redis.Options, err error) (*redis.UniversalOptions, error) {
	if err != nil {
		return nil, err
	}
	return &redis.UniversalOptions{Addrs: []string{o.Addr}, Username: o.Username, Password: o.Password, DB: o.DB,
		ClientName: o.ClientName, Protocol: o.Protocol, DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout,
		WriteTimeout: o.WriteTimeout, PoolSize: o.PoolSize, MinIdleConns: o.MinIdleConns, MaxIdleConns: o.MaxIdleConns,
		MaxActiveConns: o.MaxActiveConns, MaxRetries: o.MaxRetries, PoolTimeout: o.PoolTimeout,
		ConnMaxIdleTime: o.ConnMaxIdleTime, ConnMaxLifetime: o.ConnMaxLifetime, TLSConfig: o.TLSConfig}, nil
}
