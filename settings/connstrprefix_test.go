package settings

import (
	"slices"
	"testing"
)

// TestLoadConfigConnStrPrefixes checks every environment-variable prefix
// that .NET's EnvironmentVariablesConfigurationProvider maps to
// ConnectionStrings:{name} (four since the first release, seven more since
// .NET 10, dotnet/runtime#116037).
func TestLoadConfigConnStrPrefixes(t *testing.T) {
	for _, p := range []string{
		"CUSTOMCONNSTR_", "MYSQLCONNSTR_", "SQLAZURECONNSTR_", "SQLCONNSTR_",
		"POSTGRESQLCONNSTR_", "APIHUBCONNSTR_", "DOCDBCONNSTR_", "EVENTHUBCONNSTR_",
		"NOTIFICATIONHUBCONNSTR_", "REDISCACHECONNSTR_", "SERVICEBUSCONNSTR_",
		"rediscacheconnstr_", // prefixes match in any case, as in .NET
	} {
		t.Run(p, func(t *testing.T) {
			name := p + "cache"
			cfg := mustLoad(t, nil, name+"=azure:6380,ssl=true")
			got, ok := cfg.String("ConnectionStrings:cache")
			if !ok || got != "azure:6380,ssl=true" {
				t.Errorf("String(ConnectionStrings:cache) = %q, %v; want the value of %s", got, ok, name)
			}
			if src, want := cfg.Source("ConnectionStrings:cache"), "environment variable "+name; src != want {
				t.Errorf("Source = %q; want %q", src, want)
			}
			if _, ok := cfg.String(name); ok {
				t.Errorf("%s is also a key of its own; .NET maps it only to ConnectionStrings:cache", name)
			}
		})
	}
}

// TestLoadConfigConnStrPrefixNestedName checks that "__" in the name after
// the prefix is a level, as .NET normalises it.
func TestLoadConfigConnStrPrefixNestedName(t *testing.T) {
	cfg := mustLoad(t, nil, "REDISCACHECONNSTR_a__b=h:1")
	if got, _ := cfg.String("ConnectionStrings:a:b"); got != "h:1" {
		t.Errorf("String(ConnectionStrings:a:b) = %q; want h:1", got)
	}
}

// TestLoadConfigConnStrPrefixPrecedence checks the rule for a name set both
// as ConnectionStrings__{name} and with a prefix: the ConnectionStrings__
// form wins whatever the order of the environment. (.NET's result depends
// on the order in which it enumerates a Hashtable of the variables, which
// changes from one process to the next.)
func TestLoadConfigConnStrPrefixPrecedence(t *testing.T) {
	plain := "ConnectionStrings__cache=plain:1"
	prefixed := "REDISCACHECONNSTR_cache=prefixed:2"
	custom := "CUSTOMCONNSTR_cache=custom:4"
	for _, environ := range [][]string{{plain, prefixed}, {prefixed, plain}, {plain, custom}, {custom, plain}} {
		cfg := mustLoad(t, map[string]string{"appsettings.json": `{"ConnectionStrings": {"cache": "file:3"}}`}, environ...)
		if got, _ := cfg.String("ConnectionStrings:cache"); got != "plain:1" {
			t.Errorf("environ %q: ConnectionStrings:cache = %q; want plain:1", environ, got)
		}
	}
	// Two prefixes for one name: the later variable wins, as two
	// spellings of one plain variable do.
	environ := []string{"CUSTOMCONNSTR_cache=custom:1", "REDISCACHECONNSTR_cache=redis:2"}
	cfg := mustLoad(t, nil, environ...)
	if got, _ := cfg.String("ConnectionStrings:cache"); got != "redis:2" {
		t.Errorf("environ %q: ConnectionStrings:cache = %q; want redis:2", environ, got)
	}
	slices.Reverse(environ)
	cfg = mustLoad(t, nil, environ...)
	if got, _ := cfg.String("ConnectionStrings:cache"); got != "custom:1" {
		t.Errorf("environ %q: ConnectionStrings:cache = %q; want custom:1", environ, got)
	}
	// A prefixed variable still beats the appsettings files.
	cfg = mustLoad(t, map[string]string{"appsettings.json": `{"ConnectionStrings": {"cache": "file:3"}}`}, prefixed)
	if got, _ := cfg.String("ConnectionStrings:cache"); got != "prefixed:2" {
		t.Errorf("ConnectionStrings:cache = %q; want prefixed:2 over the file", got)
	}
}
