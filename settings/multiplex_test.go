package settings

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestResolveMultiplexing(t *testing.T) {
	tests := []struct {
		name    string
		cfg     map[string]any
		opts    []Option
		check   func(t *testing.T, s Settings)
		wantErr string
	}{
		{
			name: "defaults off",
			cfg:  map[string]any{"ConnectionStrings:c": "localhost"},
			check: func(t *testing.T, s Settings) {
				t.Helper()
				if s.AutoPipelining || s.ClientSideCaching {
					t.Errorf("AutoPipelining=%t ClientSideCaching=%t, want both off", s.AutoPipelining, s.ClientSideCaching)
				}
			},
		},
		{
			name: "from the shared and the named sections",
			cfg: map[string]any{
				"ConnectionStrings:c":                                    "localhost",
				"Aspire:StackExchange:Redis:AutoPipelining":              "true",
				"Aspire:StackExchange:Redis:AutoPipeliningBatchSize":     "64",
				"Aspire:StackExchange:Redis:c:AutoPipeliningBatchSize":   "128",
				"Aspire:StackExchange:Redis:c:AutoPipeliningFlushDelay":  "00:00:00.0005",
				"Aspire:StackExchange:Redis:c:AutoPipeliningConcurrency": "2",
				"Aspire:StackExchange:Redis:c:ClientSideCaching":         "True",
				"Aspire:StackExchange:Redis:c:ClientSideCacheSize":       "500",
				"Aspire:StackExchange:Redis:c:ClientSideCacheTTL":        "30s",
			},
			check: func(t *testing.T, s Settings) {
				t.Helper()
				if !s.AutoPipelining || s.AutoPipeliningBatchSize != 128 || s.AutoPipeliningFlushDelay != 500*time.Microsecond ||
					s.AutoPipeliningConcurrency != 2 || !s.ClientSideCaching || s.ClientSideCacheSize != 500 ||
					s.ClientSideCacheTTL != 30*time.Second {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "zero delay",
			cfg: map[string]any{
				"ConnectionStrings:c": "localhost",
				"Aspire:StackExchange:Redis:c:AutoPipeliningFlushDelay": "0",
			},
			check: func(t *testing.T, s Settings) {
				t.Helper()
				if s.AutoPipeliningFlushDelay != 0 {
					t.Errorf("delay %v", s.AutoPipeliningFlushDelay)
				}
			},
		},
		{
			name: "options win",
			cfg: map[string]any{
				"ConnectionStrings:c":                         "localhost",
				"Aspire:StackExchange:Redis:c:AutoPipelining": "false",
			},
			opts: []Option{EnableAutoPipelining(), EnableClientSideCaching()},
			check: func(t *testing.T, s Settings) {
				t.Helper()
				if !s.AutoPipelining || !s.ClientSideCaching {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name:    "bad bool",
			cfg:     map[string]any{"ConnectionStrings:c": "localhost", "Aspire:StackExchange:Redis:c:AutoPipelining": "yes"},
			wantErr: "Aspire:StackExchange:Redis:c:AutoPipelining",
		},
		{
			name:    "negative size",
			cfg:     map[string]any{"ConnectionStrings:c": "localhost", "Aspire:StackExchange:Redis:ClientSideCacheSize": "-1"},
			wantErr: "Aspire:StackExchange:Redis:ClientSideCacheSize",
		},
		{
			name:    "delay without unit",
			cfg:     map[string]any{"ConnectionStrings:c": "localhost", "Aspire:StackExchange:Redis:c:AutoPipeliningFlushDelay": "5"},
			wantErr: "Aspire:StackExchange:Redis:c:AutoPipeliningFlushDelay",
		},
		{
			name:    "negative in code",
			cfg:     map[string]any{"ConnectionStrings:c": "localhost"},
			opts:    []Option{func(s *Settings) { s.AutoPipeliningConcurrency = -2 }},
			wantErr: "AutoPipeliningConcurrency must not be negative",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := NewConfig(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Resolve(cfg, "c", tt.opts...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(tt.wantErr, ":") {
					var ce *ConfigError
					if !errors.As(err, &ce) {
						t.Errorf("err %v is not a *ConfigError", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r.Settings)
		})
	}
}
