package settings

import (
	"testing"
)

// TestConfigurationOptionsStringsVerbatim checks that text properties bound
// from a ConfigurationOptions section keep their white space, as .NET's
// configuration binder sets a string property to the value as written,
// while the same keys in a connection string are trimmed, as
// StackExchange.Redis trims every piece.
func TestConfigurationOptionsStringsVerbatim(t *testing.T) {
	const (
		sect     = "Aspire:StackExchange:Redis:cache:ConfigurationOptions:"
		sentinel = "localhost:26379,serviceName=mymaster,ssl=true"
	)
	tests := []struct {
		property string
		value    string
		cs       string
		got      func(*Connection) string
	}{
		{"Password", "  pa ss\t", "", func(c *Connection) string { return c.Options.Password }},
		{"User", " alice ", "", func(c *Connection) string { return c.Options.Username }},
		{"SentinelUser", " watcher ", sentinel, func(c *Connection) string { return c.Options.SentinelUsername }},
		{"SentinelPassword", " s3cret ", sentinel, func(c *Connection) string { return c.Options.SentinelPassword }},
		{"ServiceName", " mymaster ", "", func(c *Connection) string { return c.Options.MasterName }},
		{"SslHost", " redis.example ", "", func(c *Connection) string { return c.Options.TLSConfig.ServerName }},
	}
	for _, tt := range tests {
		t.Run(tt.property, func(t *testing.T) {
			cs := tt.cs
			if cs == "" {
				cs = "localhost:6379,ssl=true"
			}
			cfg := newConfig(t, map[string]any{
				"ConnectionStrings:cache": cs,
				sect + tt.property:        tt.value,
			})
			r, err := Resolve(cfg, "cache")
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got := tt.got(r.Connection); got != tt.value {
				t.Errorf("%s from ConfigurationOptions = %q; want %q verbatim", tt.property, got, tt.value)
			}
		})
	}
}

// TestConnectionStringStringsTrimmed is the other half: in a connection
// string the same values are trimmed.
func TestConnectionStringStringsTrimmed(t *testing.T) {
	cfg := newConfig(t, map[string]any{
		"ConnectionStrings:cache": "localhost:6379,password=  pa ss\t,user= alice ,sslHost= redis.example ,ssl=true",
	})
	r, err := Resolve(cfg, "cache")
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	o := r.Connection.Options
	if o.Password != "pa ss" || o.Username != "alice" || o.TLSConfig.ServerName != "redis.example" {
		t.Errorf("Password, Username, ServerName = %q, %q, %q; want them trimmed", o.Password, o.Username, o.TLSConfig.ServerName)
	}
}

// TestConfigurationOptionsNonStringsTrimmed checks that numbers, booleans
// and enums from ConfigurationOptions still accept white space around them,
// as .NET's int, bool and enum parsers do.
func TestConfigurationOptionsNonStringsTrimmed(t *testing.T) {
	const sect = "Aspire:StackExchange:Redis:cache:ConfigurationOptions:"
	cfg := newConfig(t, map[string]any{
		"ConnectionStrings:cache": "localhost:6379",
		sect + "DefaultDatabase":  " 3 ",
		sect + "Ssl":              " true ",
		sect + "Protocol":         " Resp3 ",
	})
	r, err := Resolve(cfg, "cache")
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if o := r.Connection.Options; o.DB != 3 || o.TLSConfig == nil || o.Protocol != 3 {
		t.Errorf("DB, TLS, Protocol = %d, %v, %d; want 3, on, 3", o.DB, o.TLSConfig != nil, o.Protocol)
	}
}
