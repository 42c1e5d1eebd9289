package settings

import (
	"strings"
	"testing"
)

func TestAzureAuthenticationSetting(t *testing.T) {
	cfg := mustNewConfig(t, map[string]any{
		"ConnectionStrings:cache":                             "cache.redis.azure.net:10000,ssl=true",
		"ConnectionStrings:chat":                              "localhost",
		"ConnectionStrings:bad":                               "localhost",
		"Aspire:StackExchange:Redis:AzureAuthentication":      "true",
		"Aspire:StackExchange:Redis:chat:azureauthentication": "False",
		"Aspire:StackExchange:Redis:bad:AzureAuthentication":  "yes",
	})
	tests := []struct {
		name string
		opts []Option
		want bool
	}{
		{"cache", nil, true}, // general section
		{"chat", nil, false}, // named section wins, any case
		{"chat", []Option{EnableAzureAuthentication()}, true}, // option wins
	}
	for _, tt := range tests {
		r, err := Resolve(cfg, tt.name, tt.opts...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if r.Settings.AzureAuthentication != tt.want {
			t.Errorf("%s with %d options: AzureAuthentication = %t, want %t", tt.name, len(tt.opts), r.Settings.AzureAuthentication, tt.want)
		}
	}
	if _, err := Resolve(cfg, "bad"); err == nil || !strings.Contains(err.Error(), "Aspire:StackExchange:Redis:bad:"+AzureAuthenticationKey) {
		t.Errorf("a value that is not a boolean: err = %v, want one naming the key", err)
	}
	if defaults().AzureAuthentication {
		t.Error("AzureAuthentication is on by default")
	}
}
