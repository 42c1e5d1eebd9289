package settings

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/configstore"
)

const secret = "s3cr3tPa55"

// newConfig builds a Config from flat keys, failing the test on error.
func newConfig(t *testing.T, values map[string]any) *Config {
	t.Helper()
	cfg, err := NewConfig(values)
	if err != nil {
		t.Fatalf("NewConfig: %v", err)
	}
	return cfg
}

// mustResolve resolves name, failing the test on error.
func mustResolve(t *testing.T, cfg *Config, name string, opts ...Option) *Resolved {
	t.Helper()
	r, err := Resolve(cfg, name, opts...)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", name, err)
	}
	return r
}

func TestResolvePrecedence(t *testing.T) {
	const cs = "localhost:6379"
	tests := []struct {
		name       string
		values     map[string]any
		opts       []Option
		wantCS     string
		wantSource string
		check      func(t *testing.T, s Settings)
	}{
		{
			name:       "reads ConnectionStrings (spec 9.1)",
			values:     map[string]any{"ConnectionStrings:redis": cs},
			wantCS:     cs,
			wantSource: "ConnectionStrings:redis (values)",
		},
		{
			name:       "connection string set in code wins (spec 9.2)",
			values:     map[string]any{"ConnectionStrings:redis": "unused"},
			opts:       []Option{WithConnectionString(cs)},
			wantCS:     cs,
			wantSource: "set in code",
		},
		{
			name: "ConnectionStrings wins over the top-level section (spec 9.3)",
			values: map[string]any{
				"Aspire:StackExchange:Redis:ConnectionString": "unused",
				"ConnectionStrings:redis":                     cs,
			},
			wantCS:     cs,
			wantSource: "ConnectionStrings:redis (values)",
		},
		{
			name: "ConnectionStrings wins over the named section (spec 9.3)",
			values: map[string]any{
				"Aspire:StackExchange:Redis:redis:ConnectionString": "unused",
				"ConnectionStrings:redis":                           cs,
			},
			wantCS:     cs,
			wantSource: "ConnectionStrings:redis (values)",
		},
		{
			name:       "top-level section applies to every client",
			values:     map[string]any{"Aspire:StackExchange:Redis:ConnectionString": cs},
			wantCS:     cs,
			wantSource: "Aspire:StackExchange:Redis:ConnectionString (values)",
		},
		{
			name: "named section beats the top-level section",
			values: map[string]any{
				"Aspire:StackExchange:Redis:ConnectionString":       "unused",
				"Aspire:StackExchange:Redis:redis:ConnectionString": cs,
			},
			wantCS:     cs,
			wantSource: "Aspire:StackExchange:Redis:redis:ConnectionString (values)",
		},
		{
			name: "option that keeps the configured string keeps its source",
			values: map[string]any{
				"ConnectionStrings:redis": cs,
			},
			opts:       []Option{DisableTracing(), nil},
			wantCS:     cs,
			wantSource: "ConnectionStrings:redis (values)",
			check: func(t *testing.T, s Settings) {
				if !s.DisableTracing {
					t.Error("DisableTracing() did not apply")
				}
			},
		},
		{
			name:       "defaults",
			values:     map[string]any{"ConnectionStrings:redis": cs},
			wantCS:     cs,
			wantSource: "ConnectionStrings:redis (values)",
			check: func(t *testing.T, s Settings) {
				want := defaults()
				want.ConnectionString = cs
				if fmt.Sprint(s) != fmt.Sprint(want) {
					t.Errorf("settings = %v; want %v", s, want)
				}
			},
		},
		{
			name: "named section beats the top-level one for the switches (conformance)",
			values: map[string]any{
				"ConnectionStrings:redis":                                 cs,
				"Aspire:StackExchange:Redis:DisableTracing":               "false",
				"Aspire:StackExchange:Redis:DisableHealthChecks":          false,
				"Aspire:StackExchange:Redis:DisableMetrics":               "TRUE",
				"Aspire:StackExchange:Redis:HealthCheckTimeout":           "00:00:09",
				"Aspire:StackExchange:Redis:REDIS:DisableTracing":         "True",
				"Aspire:StackExchange:Redis:redis:DisableHealthChecks":    true,
				"Aspire:StackExchange:Redis:redis:DisableAutoActivation":  " false ",
				"Aspire:StackExchange:Redis:redis:HealthCheckTimeout":     "1500ms",
				"Aspire:StackExchange:Redis:redis:Unknown":                "ignored, like the .NET binder",
				"Aspire:StackExchange:Redis:other:DisableMetrics":         "false",
				"Aspire:StackExchange:Redis:Something:Nested:Deeper":      "ignored",
				"Aspire:StackExchange:Redis:redis:DisableTracing:Ignored": "a section below a value",
			},
			wantCS:     cs,
			wantSource: "ConnectionStrings:redis (values)",
			check: func(t *testing.T, s Settings) {
				if !s.DisableTracing || !s.DisableHealthChecks || !s.DisableMetrics || s.DisableAutoActivation {
					t.Errorf("switches = %v", s)
				}
				if s.HealthCheckTimeout != 1500*time.Millisecond {
					t.Errorf("HealthCheckTimeout = %v; want 1.5s", s.HealthCheckTimeout)
				}
			},
		},
		{
			name: "options beat every configuration layer",
			values: map[string]any{
				"ConnectionStrings:redis":                                cs,
				"Aspire:StackExchange:Redis:redis:DisableTracing":        false,
				"Aspire:StackExchange:Redis:redis:DisableMetrics":        false,
				"Aspire:StackExchange:Redis:redis:DisableHealthChecks":   false,
				"Aspire:StackExchange:Redis:redis:DisableAutoActivation": true,
				"Aspire:StackExchange:Redis:redis:HealthCheckTimeout":    "00:00:09",
			},
			opts: []Option{DisableTracing(), DisableMetrics(), DisableHealthChecks(), EnableAutoActivation(),
				WithHealthCheckTimeout(time.Second), func(s *Settings) { s.DisableMetrics = false }},
			wantCS:     cs,
			wantSource: "ConnectionStrings:redis (values)",
			check: func(t *testing.T, s Settings) {
				if !s.DisableTracing || s.DisableMetrics || !s.DisableHealthChecks || s.DisableAutoActivation || s.HealthCheckTimeout != time.Second {
					t.Errorf("settings = %v", s)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustResolve(t, newConfig(t, tt.values), "redis", tt.opts...)
			if r.Name != "redis" {
				t.Errorf("Name = %q", r.Name)
			}
			if r.Settings.ConnectionString != tt.wantCS {
				t.Errorf("ConnectionString = %q; want %q", r.Settings.ConnectionString, tt.wantCS)
			}
			if r.Source != tt.wantSource {
				t.Errorf("Source = %q; want %q", r.Source, tt.wantSource)
			}
			if got := r.Connection.Options.Addrs; len(got) != 1 || got[0] != "localhost:6379" {
				t.Errorf("Addrs = %q", got)
			}
			if tt.check != nil {
				tt.check(t, r.Settings)
			}
		})
	}
}

func TestResolveAbortConnectMatrix(t *testing.T) {
	// Spec §3.2, AbortOnConnectFailDefaults, for the top-level and the named
	// ConfigurationOptions section.
	tests := []struct {
		name   string
		values map[string]any
		want   bool
	}{
		{"Aspire default", map[string]any{"ConnectionStrings:redis": "localhost"}, false},
		{"top-level ConfigurationOptions", map[string]any{
			"ConnectionStrings:redis": "localhost",
			"Aspire:StackExchange:Redis:ConfigurationOptions:AbortOnConnectFail": "true",
		}, true},
		{"named ConfigurationOptions", map[string]any{
			"ConnectionStrings:redis": "localhost",
			"Aspire:StackExchange:Redis:redis:ConfigurationOptions:AbortOnConnectFail": "true",
		}, true},
		{"named beats top-level", map[string]any{
			"ConnectionStrings:redis": "localhost",
			"Aspire:StackExchange:Redis:ConfigurationOptions:AbortOnConnectFail":       true,
			"Aspire:StackExchange:Redis:redis:ConfigurationOptions:AbortOnConnectFail": false,
		}, false},
		{"ConfigurationOptions beats the string", map[string]any{
			"ConnectionStrings:redis": "localhost,abortConnect=false",
			"Aspire:StackExchange:Redis:ConfigurationOptions:AbortOnConnectFail": "True",
		}, true},
		{"abortConnect=true", map[string]any{"ConnectionStrings:redis": "localhost,abortConnect=true"}, true},
		{"abortConnect=false", map[string]any{"ConnectionStrings:redis": "localhost,abortConnect=false"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustResolve(t, newConfig(t, tt.values), "redis")
			if r.Connection.AbortConnect != tt.want {
				t.Errorf("AbortConnect = %v; want %v", r.Connection.AbortConnect, tt.want)
			}
		})
	}
}

func TestResolveFromLoadedConfig(t *testing.T) {
	files := map[string]string{
		"appsettings.json": `{
			"connectionstrings": {"Cache": "file:1"},
			"Aspire": {"StackExchange": {"Redis": {
				"DisableMetrics": true,
				"Cache": {"DisableTracing": true, "HealthCheckTimeout": "00:00:02"}
			}}}
		}`,
		"appsettings.Development.json": `{"Aspire": {"StackExchange": {"Redis": {"cache": {"HealthCheckTimeout": "3s"}}}}}`,
	}
	tests := []struct {
		name       string
		environ    []string
		wantAddr   string
		wantSource string
		wantHC     time.Duration
		wantTrace  bool
	}{
		{"file only", nil, "file:1", "ConnectionStrings:cache (DIR/appsettings.json)", 2 * time.Second, true},
		{"environment file beats base file", []string{"DOTNET_ENVIRONMENT=Development"},
			"file:1", "ConnectionStrings:cache (DIR/appsettings.json)", 3 * time.Second, true},
		{"env beats file, any case", []string{"CONNECTIONSTRINGS__CACHE=env:2", "ASPIRE__STACKEXCHANGE__REDIS__CACHE__DISABLETRACING=false"},
			"env:2", "ConnectionStrings:cache (environment variable CONNECTIONSTRINGS__CACHE)", 2 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, files)
			cfg, err := LoadConfig(LoadOptions{Dir: dir, Environ: append([]string{}, tt.environ...)})
			if err != nil {
				t.Fatal(err)
			}
			r := mustResolve(t, cfg, "cache")
			r.Source = strings.ReplaceAll(r.Source, dir+string(filepath.Separator), "DIR/")
			if got := r.Connection.Options.Addrs; len(got) != 1 || got[0] != tt.wantAddr {
				t.Errorf("Addrs = %q; want [%s]", got, tt.wantAddr)
			}
			if r.Source != tt.wantSource {
				t.Errorf("Source = %q; want %q", r.Source, tt.wantSource)
			}
			if r.Settings.HealthCheckTimeout != tt.wantHC || r.Settings.DisableTracing != tt.wantTrace || !r.Settings.DisableMetrics {
				t.Errorf("settings = %v", r.Settings)
			}
		})
	}
}

func TestResolveFallback(t *testing.T) {
	tests := []struct {
		name       string
		client     string
		environ    []string
		wantAddrs  []string
		wantUser   string
		wantPass   string
		wantTLS    bool
		wantSource string
	}{
		{
			name:       "URI",
			client:     "cache",
			environ:    []string{"CACHE_URI=redis://:" + secret + "@127.0.0.1:6380", "CACHE_HOST=ignored", "CACHE_PORT=1"},
			wantAddrs:  []string{"127.0.0.1:6380"},
			wantPass:   secret,
			wantSource: "CACHE_URI (environment variable CACHE_URI)",
		},
		{
			name:       "rediss URI",
			client:     "cache",
			environ:    []string{"CACHE_URI=rediss://127.0.0.1:7000"},
			wantAddrs:  []string{"127.0.0.1:7000"},
			wantTLS:    true,
			wantSource: "CACHE_URI (environment variable CACHE_URI)",
		},
		{
			name:      "host, port and password",
			client:    "cache",
			environ:   []string{"CACHE_HOST=127.0.0.1", "CACHE_PORT=6390", "CACHE_PASSWORD=" + secret},
			wantAddrs: []string{"127.0.0.1:6390"},
			wantPass:  secret,
			wantSource: "CACHE_HOST (environment variable CACHE_HOST), CACHE_PORT (environment variable CACHE_PORT), " +
				"CACHE_PASSWORD (environment variable CACHE_PASSWORD)",
		},
		{
			name:       "empty URI is absent",
			client:     "cache",
			environ:    []string{"CACHE_URI=", "CACHE_HOST=127.0.0.1"},
			wantAddrs:  []string{"127.0.0.1:6379"},
			wantSource: "CACHE_HOST (environment variable CACHE_HOST)",
		},
		{
			name:       "name with a dash",
			client:     "resource-with-dash",
			environ:    []string{"RESOURCE_WITH_DASH_HOST=127.0.0.1", "RESOURCE_WITH_DASH_PORT=6391"},
			wantAddrs:  []string{"127.0.0.1:6391"},
			wantSource: "RESOURCE_WITH_DASH_HOST (environment variable RESOURCE_WITH_DASH_HOST), RESOURCE_WITH_DASH_PORT (environment variable RESOURCE_WITH_DASH_PORT)",
		},
		{
			name:       "IPv6 host",
			client:     "Cache",
			environ:    []string{"CACHE_HOST=::1", "CACHE_PORT=6392"},
			wantAddrs:  []string{"[::1]:6392"},
			wantSource: "CACHE_HOST (environment variable CACHE_HOST), CACHE_PORT (environment variable CACHE_PORT)",
		},
		{
			name:       "REDIS_HOST and REDIS_PORT for any client",
			client:     "cache",
			environ:    []string{"REDIS_HOST=127.0.0.1", "REDIS_PORT=6394", "REDIS_PASSWORD=" + secret},
			wantAddrs:  []string{"127.0.0.1:6394"},
			wantPass:   secret,
			wantSource: "REDIS_HOST (environment variable REDIS_HOST), REDIS_PORT (environment variable REDIS_PORT), REDIS_PASSWORD (environment variable REDIS_PASSWORD)",
		},
		{
			name:       "Kubernetes-style REDIS_PORT next to REDIS_HOST",
			client:     "cache",
			environ:    []string{"REDIS_HOST=127.0.0.2", "REDIS_PORT=tcp://10.0.0.1:6395"},
			wantAddrs:  []string{"127.0.0.2:6395"},
			wantSource: "REDIS_HOST (environment variable REDIS_HOST), REDIS_PORT (environment variable REDIS_PORT)",
		},
		{
			name:       "the client's own variables win over REDIS_HOST",
			client:     "cache",
			environ:    []string{"REDIS_HOST=127.0.0.2", "CACHE_HOST=127.0.0.3"},
			wantAddrs:  []string{"127.0.0.3:6379"},
			wantSource: "CACHE_HOST (environment variable CACHE_HOST)",
		},
		{
			name:       "the client's URI wins over REDIS_HOST",
			client:     "cache",
			environ:    []string{"REDIS_HOST=127.0.0.2", "CACHE_URI=redis://127.0.0.4:6396"},
			wantAddrs:  []string{"127.0.0.4:6396"},
			wantSource: "CACHE_URI (environment variable CACHE_URI)",
		},
		{
			name:       "REDIS_PORT alone is ignored",
			client:     "cache",
			environ:    []string{"REDIS_PORT=tcp://10.0.0.1:6379", "CACHE_HOST=127.0.0.5"},
			wantAddrs:  []string{"127.0.0.5:6379"},
			wantSource: "CACHE_HOST (environment variable CACHE_HOST)",
		},
		{
			name:       "double underscore in the prefix",
			client:     "a--b",
			environ:    []string{"A__B_URI=redis://127.0.0.1:6393"},
			wantAddrs:  []string{"127.0.0.1:6393"},
			wantSource: "A__B_URI (environment variable A__B_URI)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustResolve(t, mustLoad(t, nil, tt.environ...), tt.client)
			o := r.Connection.Options
			if fmt.Sprint(o.Addrs) != fmt.Sprint(tt.wantAddrs) {
				t.Errorf("Addrs = %q; want %q", o.Addrs, tt.wantAddrs)
			}
			if o.Username != tt.wantUser || o.Password != tt.wantPass {
				t.Errorf("credentials = %q/%q; want %q/%q", o.Username, o.Password, tt.wantUser, tt.wantPass)
			}
			if (o.TLSConfig != nil) != tt.wantTLS {
				t.Errorf("TLS = %v; want %v", o.TLSConfig != nil, tt.wantTLS)
			}
			if r.Source != tt.wantSource {
				t.Errorf("Source = %q; want %q", r.Source, tt.wantSource)
			}
			if strings.Contains(r.Source, secret) || strings.Contains(fmt.Sprint(r), secret) {
				t.Errorf("the password leaked: %v", r)
			}
		})
	}
}

func TestEnvPrefix(t *testing.T) {
	for name, want := range map[string]string{
		"cache":              "CACHE",
		"resource-with-dash": "RESOURCE_WITH_DASH",
		"my_cache":           "MY_CACHE",
		"1cache":             "_1CACHE",
		"a.b c":              "A_B_C",
		"café":               "CAF_",
	} {
		if got := configstore.PropertyPrefix(name); got != want {
			t.Errorf("PropertyPrefix(%q) = %q; want %q", name, got, want)
		}
	}
}

func TestResolveNoEndpoints(t *testing.T) {
	tests := []struct {
		name    string
		client  string
		environ []string
	}{
		{"nothing", "cache", nil},
		{"other client's string", "cache", []string{"ConnectionStrings__chat=localhost"}},
		{"port alone (Kubernetes service link)", "redis", []string{"REDIS_PORT=tcp://127.0.0.1:6379"}},
		{"only ConfigurationOptions", "cache", []string{"Aspire__StackExchange__Redis__ConfigurationOptions__Ssl=true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(mustLoad(t, nil, tt.environ...), tt.client)
			want := "No endpoints specified. Ensure a valid connection string was provided in 'ConnectionStrings:" + tt.client +
				"' or for the 'Aspire:StackExchange:Redis:ConnectionString' configuration key."
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v; want %q", err, want)
			}
			if !errors.Is(err, ErrNoEndpoints) {
				t.Errorf("errors.Is(err, ErrNoEndpoints) = false")
			}
		})
	}
	if _, err := Resolve(nil, "cache"); !errors.Is(err, ErrNoEndpoints) {
		t.Errorf("Resolve(nil) err = %v; want ErrNoEndpoints", err)
	}
}

// A connection setting that is present but names no server it can use is
// reported as set and unusable, with its key, its source and the bad part:
// not as Aspire's "No endpoints specified", which reads as if nothing were
// set, and not as ErrNoEndpoints, which callers take for "not configured".
func TestResolveSetButUnusable(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		opts    []Option
		wantKey string // ConfigError.Key; "" = set in code
		wantSrc string
		want    []string
		notCS   bool // a connection property, not a connection string
	}{
		{
			name:    "port not a number",
			environ: []string{"ConnectionStrings__cache=127.0.0.1:abc,password=" + secret},
			wantKey: "ConnectionStrings:cache", wantSrc: "environment variable ConnectionStrings__cache",
			want: []string{"set, but no endpoint in it can be used", "piece 1, '127.0.0.1:abc': the port is not a number"},
		},
		{
			name:    "no endpoint at all",
			environ: []string{"ConnectionStrings__cache=ssl=true"},
			wantKey: "ConnectionStrings:cache", wantSrc: "environment variable ConnectionStrings__cache",
			want: []string{"set, but names no endpoint"},
		},
		{
			name:    "section key",
			environ: []string{"Aspire__StackExchange__Redis__cache__ConnectionString=localhost:port"},
			wantKey: "Aspire:StackExchange:Redis:cache:ConnectionString", wantSrc: "environment variable Aspire__StackExchange__Redis__cache__ConnectionString",
			want: []string{"'localhost:port': the port is not a number"},
		},
		{
			name:    "URI variable holding a StackExchange.Redis string",
			environ: []string{"CACHE_URI=127.0.0.1:abc"},
			wantKey: "CACHE_URI", wantSrc: "environment variable CACHE_URI",
			want: []string{"'127.0.0.1:abc': the port is not a number"},
		},
		{
			name:    "host variable holding a port",
			environ: []string{"CACHE_HOST=127.0.0.1:abc"},
			wantKey: "CACHE_HOST", wantSrc: "environment variable CACHE_HOST",
			want:  []string{"'127.0.0.1:abc' is not a host name or IP address", "the port goes in CACHE_PORT"},
			notCS: true,
		},
		{
			name: "set in code",
			opts: []Option{WithConnectionString("127.0.0.1:abc,password=" + secret)},
			want: []string{`client "cache": connection string (set in code): set, but no endpoint in it can be used`, "'127.0.0.1:abc'"},
		},
		{
			name:    "string without endpoint and ConfigureOptions that add none",
			environ: []string{"ConnectionStrings__cache=ssl=true"},
			opts:    []Option{ConfigureOptions(func(*redis.UniversalOptions) {})},
			wantKey: "ConnectionStrings:cache", wantSrc: "environment variable ConnectionStrings__cache",
			want: []string{"set, but names no endpoint"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(mustLoad(t, nil, tt.environ...), "cache", tt.opts...)
			if err == nil {
				t.Fatal("Resolve succeeded")
			}
			msg := err.Error()
			if errors.Is(err, ErrNoEndpoints) || strings.Contains(msg, "No endpoints specified") {
				t.Errorf("err = %v; reported as not configured", err)
			}
			if !tt.notCS && !errors.Is(err, ErrInvalidConnectionString) {
				t.Errorf("errors.Is(err, ErrInvalidConnectionString) = false: %v", err)
			}
			var ce *ConfigError
			switch {
			case tt.wantKey == "":
				if errors.As(err, &ce) {
					t.Errorf("err = %v is a *ConfigError; want the code named", err)
				}
			case !errors.As(err, &ce):
				t.Fatalf("err = %v; want a *ConfigError", err)
			case ce.Key != tt.wantKey || ce.Source != tt.wantSrc:
				t.Errorf("Key, Source = %q, %q; want %q, %q", ce.Key, ce.Source, tt.wantKey, tt.wantSrc)
			case !strings.HasPrefix(msg, "settings: config key "+tt.wantKey+" ("+tt.wantSrc+"): "):
				t.Errorf("error %q does not start with the key and its source", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error %q shows the password", msg)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name    string
		client  string
		values  map[string]any
		opts    []Option
		wantKey string // ConfigError.Key; "" = not a ConfigError
		wantMsg string
		is      error
	}{
		{name: "empty name", client: "", values: nil, wantMsg: "client name is empty"},
		{
			name:    "empty ConnectionStrings value",
			values:  map[string]any{"ConnectionStrings:cache": "", "CACHE_URI": "redis://127.0.0.1"},
			wantKey: "ConnectionStrings:cache", wantMsg: "empty", is: ErrInvalidConnectionString,
		},
		{
			name:    "empty section value",
			values:  map[string]any{"Aspire:StackExchange:Redis:cache:ConnectionString": ""},
			wantKey: "Aspire:StackExchange:Redis:cache:ConnectionString", wantMsg: "empty", is: ErrInvalidConnectionString,
		},
		{
			name:    "bad boolean",
			values:  map[string]any{"ConnectionStrings:cache": "localhost", "Aspire:StackExchange:Redis:cache:DisableTracing": "maybe"},
			wantKey: "Aspire:StackExchange:Redis:cache:DisableTracing", wantMsg: `"maybe" is not a boolean`,
		},
		{
			name:    "empty boolean",
			values:  map[string]any{"ConnectionStrings:cache": "localhost", "Aspire:StackExchange:Redis:DisableMetrics": ""},
			wantKey: "Aspire:StackExchange:Redis:DisableMetrics", wantMsg: "not a boolean",
		},
		{
			name:    "bare integer timeout",
			values:  map[string]any{"ConnectionStrings:cache": "localhost", "Aspire:StackExchange:Redis:HealthCheckTimeout": 5},
			wantKey: "Aspire:StackExchange:Redis:HealthCheckTimeout", wantMsg: "has no unit",
		},
		{
			name:    "zero timeout",
			values:  map[string]any{"ConnectionStrings:cache": "localhost", "Aspire:StackExchange:Redis:cache:HealthCheckTimeout": "00:00:00"},
			wantKey: "Aspire:StackExchange:Redis:cache:HealthCheckTimeout", wantMsg: "greater than zero",
		},
		{
			name:    "timeout set to zero in code",
			values:  map[string]any{"ConnectionStrings:cache": "localhost"},
			opts:    []Option{WithHealthCheckTimeout(0)},
			wantMsg: "HealthCheckTimeout must be greater than zero",
		},
		{
			name: "bad ConfigurationOptions value",
			values: map[string]any{"ConnectionStrings:cache": "localhost",
				"Aspire:StackExchange:Redis:cache:ConfigurationOptions:ConnectTimeout": "soon"},
			wantKey: "Aspire:StackExchange:Redis:cache:ConfigurationOptions:ConnectTimeout", is: ErrInvalidConnectionString,
		},
		{
			name: "bad top-level ConfigurationOptions value",
			values: map[string]any{"ConnectionStrings:cache": "localhost",
				"Aspire:StackExchange:Redis:ConfigurationOptions:Ssl": "maybe"},
			wantKey: "Aspire:StackExchange:Redis:ConfigurationOptions:Ssl", is: ErrInvalidConnectionString,
		},
		{
			name: "ConfigurationOptions as a value",
			values: map[string]any{"ConnectionStrings:cache": "localhost",
				"Aspire:StackExchange:Redis:ConfigurationOptions": "YOUR_OPTION"},
			wantKey: "Aspire:StackExchange:Redis:ConfigurationOptions", wantMsg: "not a value",
		},
		{
			name: "ConfigurationOptions property as a section",
			values: map[string]any{"ConnectionStrings:cache": "localhost",
				"Aspire:StackExchange:Redis:cache:ConfigurationOptions:Password:Value": secret},
			wantKey: "Aspire:StackExchange:Redis:cache:ConfigurationOptions:Password", wantMsg: "not a section",
		},
		{
			name: "bad HeartbeatInterval",
			values: map[string]any{"ConnectionStrings:cache": "localhost",
				"Aspire:StackExchange:Redis:ConfigurationOptions:HeartbeatInterval": "3S"},
			wantKey: "Aspire:StackExchange:Redis:ConfigurationOptions:HeartbeatInterval", wantMsg: "not a TimeSpan",
		},
		{
			name: "bad IncludeDetailInExceptions",
			values: map[string]any{"ConnectionStrings:cache": "localhost",
				"Aspire:StackExchange:Redis:ConfigurationOptions:IncludeDetailInExceptions": "yes please"},
			wantKey: "Aspire:StackExchange:Redis:ConfigurationOptions:IncludeDetailInExceptions", wantMsg: "requires a boolean value",
		},
		{
			name:    "bad connection string",
			values:  map[string]any{"ConnectionStrings:cache": "localhost,password=" + secret + ",bogus=1"},
			wantKey: "ConnectionStrings:cache", is: ErrInvalidConnectionString,
		},
		{
			name:    "bad connection string in code",
			values:  nil,
			opts:    []Option{WithConnectionString("localhost,bogus=1,password=" + secret)},
			wantMsg: "set in code", is: ErrInvalidConnectionString,
		},
		{
			name:    "bad URI",
			values:  map[string]any{"CACHE_URI": "http://:" + secret + "@localhost"},
			wantKey: "CACHE_URI", is: ErrInvalidConnectionString,
		},
		{
			name:    "bad port",
			values:  map[string]any{"CACHE_HOST": "localhost", "CACHE_PORT": "sixty"},
			wantKey: "CACHE_PORT", wantMsg: "not a port number",
		},
		{
			name:    "host with a comma",
			values:  map[string]any{"CACHE_HOST": "localhost,password=x"},
			wantKey: "CACHE_HOST", wantMsg: "not a host name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.client
			if name == "" && tt.wantMsg != "client name is empty" {
				name = "cache"
			}
			_, err := Resolve(newConfig(t, tt.values), name, tt.opts...)
			if err == nil {
				t.Fatal("Resolve succeeded; want an error")
			}
			msg := err.Error()
			var ce *ConfigError
			if tt.wantKey != "" {
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v; want a *ConfigError", err)
				}
				if ce.Key != tt.wantKey {
					t.Errorf("Key = %q; want %q", ce.Key, tt.wantKey)
				}
				if !strings.Contains(msg, tt.wantKey) {
					t.Errorf("error %q does not name %q", msg, tt.wantKey)
				}
				if ce.Source != configstore.SourceValues {
					t.Errorf("Source = %q; want %q", ce.Source, configstore.SourceValues)
				}
			} else if errors.As(err, &ce) {
				t.Errorf("err = %v is a *ConfigError; want another error", err)
			}
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("error %q does not contain %q", msg, tt.wantMsg)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error %q shows the password", msg)
			}
		})
	}
}

func TestParseTimeout(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  string
	}{
		{in: "00:00:05", want: 5 * time.Second},
		{in: " 00:00:05 ", want: 5 * time.Second},
		{in: "5s", want: 5 * time.Second},
		{in: "1500ms", want: 1500 * time.Millisecond},
		{in: "1m30s", want: 90 * time.Second},
		{in: "00:01", want: time.Minute},
		{in: "0:00:05", want: 5 * time.Second},
		{in: "00:00:00.250", want: 250 * time.Millisecond},
		{in: "00:00:01.0000001", want: time.Second + 100*time.Nanosecond},
		{in: "1.02:03:04", want: 26*time.Hour + 3*time.Minute + 4*time.Second},
		{in: "1.02:03:04.5", want: 26*time.Hour + 3*time.Minute + 4500*time.Millisecond},
		{in: "1:02:03:04", want: 26*time.Hour + 3*time.Minute + 4*time.Second},
		{in: "5", bad: "has no unit"},
		{in: "", bad: "not a duration"},
		{in: "soon", bad: "not a duration"},
		{in: "0s", bad: "greater than zero"},
		{in: "-5s", bad: "greater than zero"},
		{in: "-00:00:05", bad: "greater than zero"},
		{in: "00:60:00", bad: "not a TimeSpan"},
		{in: "24:00:00", bad: "not a TimeSpan"},
		{in: "00:00:05.", bad: "not a TimeSpan"},
		{in: "00:00:05.12345678", bad: "not a TimeSpan"},
		{in: "00:00:05:01:02", bad: "not a TimeSpan"},
		{in: "1.2.00:00:01", bad: "not a TimeSpan"},
		{in: "00:x:05", bad: "not a TimeSpan"},
		{in: "00:00:+5", bad: "not a TimeSpan"},
	}
	for _, tt := range tests {
		got, err := parseTimeout(tt.in)
		switch {
		case tt.bad != "":
			if err == nil || !strings.Contains(err.Error(), tt.bad) {
				t.Errorf("parseTimeout(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.bad)
			}
		case err != nil || got != tt.want:
			t.Errorf("parseTimeout(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestResolveConfigurationOptions(t *testing.T) {
	const top = "Aspire:StackExchange:Redis:ConfigurationOptions:"
	const named = "Aspire:StackExchange:Redis:cache:ConfigurationOptions:"
	cfg := newConfig(t, map[string]any{
		"ConnectionStrings:cache": "localhost,name=fromstring,password=" + secret + ",connectTimeout=50",
		top + "ConnectTimeout":    100,
		top + "ClientName":        "top",
		top + "User":              "alice",
		top + "DefaultDatabase":   2,
		named + "connecttimeout":  "200",
		named + "Password":        "other" + secret,
		named + "LibraryName":     "myapp",
		// Accepted and ignored: validated, no go-redis equivalent.
		named + "HeartbeatInterval":                      "00:00:02",
		named + "HeartbeatConsistencyChecks":             true,
		named + "IncludeDetailInExceptions":              "False",
		named + "IncludePerformanceCountersInExceptions": false,
		named + "ChannelPrefix:UseImplicitAutoPattern":   true,
		named + "AllowAdmin":                             true,
		named + "SyncTimeout":                            3000,
		named + "Ssl":                                    "true",
		named + "SslHost":                                "redis.example",
		named + "SslProtocols":                           "Tls12, Tls13",
	})
	r := mustResolve(t, cfg, "cache")
	o := r.Connection.Options
	if o.DialTimeout != 200*time.Millisecond {
		t.Errorf("DialTimeout = %v; want 200ms (named section last)", o.DialTimeout)
	}
	if o.ReadTimeout != 3*time.Second || o.WriteTimeout != 3*time.Second {
		t.Errorf("Read/WriteTimeout = %v/%v; want 3s", o.ReadTimeout, o.WriteTimeout)
	}
	if o.ClientName != "top" || o.Username != "alice" || o.Password != "other"+secret || o.DB != 2 {
		t.Errorf("ClientName %q, Username %q, DB %d, password replaced: %v", o.ClientName, o.Username, o.DB, o.Password == "other"+secret)
	}
	if o.IdentitySuffix != "myapp" {
		t.Errorf("IdentitySuffix = %q; want myapp (LibraryName)", o.IdentitySuffix)
	}
	if o.TLSConfig == nil || o.TLSConfig.ServerName != "redis.example" ||
		o.TLSConfig.MinVersion != tls.VersionTLS12 || o.TLSConfig.MaxVersion != tls.VersionTLS13 {
		t.Errorf("TLSConfig = %+v", o.TLSConfig)
	}
	if fmt.Sprint(o.Addrs) != "[localhost:6380]" {
		t.Errorf("Addrs = %q; want the ssl default port", o.Addrs)
	}
}

func TestResolveConfigureOptionsRunLast(t *testing.T) {
	cfg := newConfig(t, map[string]any{
		"Aspire:StackExchange:Redis:ConnectionString":                      "localhost,name=fromstring",
		"Aspire:StackExchange:Redis:cache:ConfigurationOptions:ClientName": "fromconfig",
	})
	var seen []string
	r := mustResolve(t, cfg, "cache",
		ConfigureOptions(func(o *redis.UniversalOptions) {
			seen = append(seen, o.ClientName)
			o.ClientName = "first"
		}),
		ConfigureOptions(nil),
		ConfigureOptions(func(o *redis.UniversalOptions) {
			seen = append(seen, o.ClientName)
			o.Username = "aspire-test-user" // spec §9.5
		}),
	)
	if got := strings.Join(seen, ","); got != "fromconfig,first" {
		t.Errorf("ConfigureOptions saw %q; want fromconfig,first", got)
	}
	if o := r.Connection.Options; o.ClientName != "first" || o.Username != "aspire-test-user" {
		t.Errorf("ClientName %q, Username %q", o.ClientName, o.Username)
	}
	if r.Connection.Topology != Standalone {
		t.Errorf("Topology = %v", r.Connection.Topology)
	}

	// A function that turns the client into a cluster client changes the
	// reported topology too.
	r = mustResolve(t, cfg, "cache", ConfigureOptions(func(o *redis.UniversalOptions) {
		o.Addrs = append(o.Addrs, "127.0.0.1:7001")
	}))
	if r.Connection.Topology != Cluster || len(r.Connection.Endpoints) != 2 {
		t.Errorf("Topology = %v, Endpoints = %q; want cluster of 2", r.Connection.Topology, r.Connection.Endpoints)
	}
	r = mustResolve(t, cfg, "cache", ConfigureOptions(func(o *redis.UniversalOptions) { o.MasterName = "mymaster" }))
	if r.Connection.Topology != Sentinel {
		t.Errorf("Topology = %v; want sentinel", r.Connection.Topology)
	}
}

func TestRedaction(t *testing.T) {
	cfg := newConfig(t, map[string]any{"ConnectionStrings:cache": "localhost:6379,user=bob,password=" + secret})
	r := mustResolve(t, cfg, "cache", ConfigureOptions(func(*redis.UniversalOptions) {}))
	s := r.Settings
	values := map[string]any{"Settings": s, "*Settings": &s, "Resolved": *r, "*Resolved": r}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%10v"} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, secret) || strings.Contains(out, fmt.Sprintf("%x", secret)) {
				t.Errorf("%s with %s shows the password: %s", name, verb, out)
			}
		}
		if out := fmt.Sprintf("%v", v); !strings.Contains(out, "***") {
			t.Errorf("%s %%v = %s; want the password shown as ***", name, out)
		}
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("resolved", "client", v)
			if out := buf.String(); strings.Contains(out, secret) || !strings.Contains(out, "***") {
				t.Errorf("%s in slog: %s", name, out)
			}
		}
	}
	if got := fmt.Sprintf("%v", s); !strings.Contains(got, "ConnectionString:\"localhost:6379,user=bob,password=***\"") ||
		!strings.Contains(got, "HealthCheckTimeout:5s") || !strings.Contains(got, "ConfigureOptions:1") {
		t.Errorf("%%v = %s", got)
	}
	if got := fmt.Sprintf("%#v", s); !strings.HasPrefix(got, "settings.Settings{ConnectionString:") {
		t.Errorf("%%#v = %s", got)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "r", r)
	for _, want := range []string{`"name":"cache"`, `"source":"ConnectionStrings:cache (values)"`, `"disable_auto_activation":true`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("slog JSON %s lacks %s", buf.String(), want)
		}
	}
	var nilResolved *Resolved
	if got := fmt.Sprint(nilResolved); got != "<nil>" {
		t.Errorf("nil *Resolved prints %q", got)
	}
	if got := fmt.Sprintf("%+v", Resolved{Name: "x"}); !strings.Contains(got, "Connection:<nil>") {
		t.Errorf("Resolved without a connection prints %q", got)
	}
}

func TestResolveTelemetryOptIns(t *testing.T) {
	cfg, err := NewConfig(map[string]any{
		"ConnectionStrings:cache":                         "localhost",
		"ConnectionStrings:chat":                          "localhost",
		"Aspire:StackExchange:Redis:RecordQueryText":      "true",
		"Aspire:StackExchange:Redis:chat:Redisotel":       "TRUE",
		"Aspire:StackExchange:Redis:chat:RecordQueryText": "false",
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                 string
		opts                 []Option
		queryText, redisotel bool
	}{
		{"cache", nil, true, false},
		{"chat", nil, false, true},
		{"chat", []Option{RecordQueryText()}, true, true},
		{"cache", []Option{UseRedisotel()}, true, true},
	}
	for _, tt := range tests {
		r, err := Resolve(cfg, tt.name, tt.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if r.Settings.RecordQueryText != tt.queryText || r.Settings.Redisotel != tt.redisotel {
			t.Errorf("%s %d opts: RecordQueryText=%t Redisotel=%t, want %t %t", tt.name, len(tt.opts),
				r.Settings.RecordQueryText, r.Settings.Redisotel, tt.queryText, tt.redisotel)
		}
	}
	if _, err := Resolve(mustNewConfig(t, map[string]any{"ConnectionStrings:x": "h", "Aspire:StackExchange:Redis:x:Redisotel": "sometimes"}), "x"); err == nil ||
		!strings.Contains(err.Error(), "Aspire:StackExchange:Redis:x:Redisotel") {
		t.Errorf("bad Redisotel value: err = %v", err)
	}
}

func mustNewConfig(t *testing.T, v map[string]any) *Config {
	t.Helper()
	c, err := NewConfig(v)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestResolveClusterMode(t *testing.T) {
	tests := []struct {
		name    string
		values  map[string]any
		opts    []Option
		wantErr string
	}{
		{name: "config key", values: map[string]any{"ConnectionStrings:c": "node1:7000", "Aspire:StackExchange:Redis:c:ClusterMode": "true"}},
		{name: "top-level key", values: map[string]any{"ConnectionStrings:c": "node1:7000", "Aspire:StackExchange:Redis:ClusterMode": "True"}},
		{name: "option", values: map[string]any{"ConnectionStrings:c": "node1:7000"}, opts: []Option{EnableClusterMode()}},
		{name: "with a database", values: map[string]any{"ConnectionStrings:c": "node1:7000,defaultDatabase=2"}, opts: []Option{EnableClusterMode()},
			wantErr: `settings: client "c": ClusterMode: a cluster has only database 0, but defaultDatabase is 2`},
		{name: "with sentinel", values: map[string]any{"ConnectionStrings:c": "s:26379,serviceName=m"}, opts: []Option{EnableClusterMode()},
			wantErr: "sentinel connection (serviceName) cannot also be a cluster"},
		{name: "unix socket", values: map[string]any{"ConnectionStrings:c": "unix:///tmp/redis.sock"}, opts: []Option{EnableClusterMode()},
			wantErr: "a unix socket cannot be a cluster"},
		{name: "bad value", values: map[string]any{"ConnectionStrings:c": "node1:7000", "Aspire:StackExchange:Redis:c:ClusterMode": "yes please"},
			wantErr: "Aspire:StackExchange:Redis:c:ClusterMode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Resolve(mustNewConfig(t, tt.values), "c", tt.opts...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !r.Settings.ClusterMode || !r.Connection.Options.IsClusterMode || r.Connection.Topology != Cluster {
				t.Errorf("ClusterMode=%t IsClusterMode=%t Topology=%v, want true true cluster",
					r.Settings.ClusterMode, r.Connection.Options.IsClusterMode, r.Connection.Topology)
			}
		})
	}
	r, err := Resolve(mustNewConfig(t, map[string]any{"ConnectionStrings:c": "node1:7000"}), "c")
	if err != nil || r.Connection.Options.IsClusterMode || r.Connection.Topology != Standalone {
		t.Errorf("without ClusterMode: %v, IsClusterMode=%t, Topology=%v", err, r.Connection.Options.IsClusterMode, r.Connection.Topology)
	}
}

func TestConfigErrorDetail(t *testing.T) {
	pe := &ParseError{Key: "connectTimeout", msg: "Keyword 'connectTimeout' requires an integer value"}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"parse error without its prefix", pe,
			"settings: config key K (S): Keyword 'connectTimeout' requires an integer value"},
		// Text that only looks like a prefix is kept: the message is not trimmed.
		{"other error as written", errors.New("connection string: is a word here"),
			"settings: config key K (S): connection string: is a word here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&ConfigError{Key: "K", Source: "S", Err: tt.err}).Error()
			if got != tt.want {
				t.Errorf("Error() = %q; want %q", got, tt.want)
			}
		})
	}
}
