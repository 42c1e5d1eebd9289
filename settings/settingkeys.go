package settings

import (
	"time"

	"github.com/aspirego/redis/internal/configstore"
)

// settingKind is how the value of a Settings key is read.
type settingKind int

const (
	kindString  settingKind = iota // as written
	kindBool                       // parseBool: .NET's bool.Parse
	kindTimeout                    // parseTimeout: greater than zero
	kindDelay                      // parseDelay: zero or more
	kindCount                      // parseCount: a whole number, zero or more
)

// settingKey is one key of Settings in a configuration section
// (Aspire:StackExchange:Redis[:{name}]:{key}) and the field it binds.
type settingKey struct {
	name  string
	kind  settingKind
	field func(*Settings) any // *string, *bool, *time.Duration or *int, by kind
}

// settingKeys is the one list of the Settings keys, in the order of
// docs/configuration.md: bindSettings binds them, SettingsKeys exports
// them (redis-doctor), and TestSettingsKeysDocs holds the docs to them.
var settingKeys = []settingKey{
	{keyConnectionString, kindString, func(s *Settings) any { return &s.ConnectionString }},
	{keyDisableHealthChecks, kindBool, func(s *Settings) any { return &s.DisableHealthChecks }},
	{keyDisableTracing, kindBool, func(s *Settings) any { return &s.DisableTracing }},
	{keyDisableMetrics, kindBool, func(s *Settings) any { return &s.DisableMetrics }},
	{keyDisableAutoActivation, kindBool, func(s *Settings) any { return &s.DisableAutoActivation }},
	{keyHealthCheckTimeout, kindTimeout, func(s *Settings) any { return &s.HealthCheckTimeout }},
	{keyDotNetHealthCheckNames, kindBool, func(s *Settings) any { return &s.DotNetHealthCheckNames }},
	{keyClusterMode, kindBool, func(s *Settings) any { return &s.ClusterMode }},
	{keyRecordQueryText, kindBool, func(s *Settings) any { return &s.RecordQueryText }},
	{keyRedisotel, kindBool, func(s *Settings) any { return &s.Redisotel }},
	{keyAutoPipelining, kindBool, func(s *Settings) any { return &s.AutoPipelining }},
	{keyAutoPipeliningBatchSize, kindCount, func(s *Settings) any { return &s.AutoPipeliningBatchSize }},
	{keyAutoPipeliningFlushDelay, kindDelay, func(s *Settings) any { return &s.AutoPipeliningFlushDelay }},
	{keyAutoPipeliningConcurrency, kindCount, func(s *Settings) any { return &s.AutoPipeliningConcurrency }},
	{keyClientSideCaching, kindBool, func(s *Settings) any { return &s.ClientSideCaching }},
	{keyClientSideCacheSize, kindCount, func(s *Settings) any { return &s.ClientSideCacheSize }},
	{keyClientSideCacheTTL, kindDelay, func(s *Settings) any { return &s.ClientSideCacheTTL }},
	{AzureAuthenticationKey, kindBool, func(s *Settings) any { return &s.AzureAuthentication }},
}

func init() { configstore.SettingsKeys = settingsKeys }

// settingsKeys returns the keys of Settings that a configuration section
// (Aspire:StackExchange:Redis or Aspire:StackExchange:Redis:{name}) binds,
// as the Aspire configuration schema spells them. Keys are matched without
// regard to case. The slice is a fresh copy.
func settingsKeys() []string {
	keys := make([]string, len(settingKeys))
	for i, k := range settingKeys {
		keys[i] = k.name
	}
	return keys
}

// bind parses v by the key's kind and stores it in s.
func (k settingKey) bind(s *Settings, v string) error {
	switch p := k.field(s).(type) {
	case *string:
		*p = v
	case *bool:
		b, err := parseBool(v)
		if err != nil {
			return err
		}
		*p = b
	case *int:
		n, err := parseCount(v)
		if err != nil {
			return err
		}
		*p = n
	case *time.Duration:
		parse := parseTimeout
		if k.kind == kindDelay {
			parse = parseDelay
		}
		d, err := parse(v)
		if err != nil {
			return err
		}
		*p = d
	}
	return nil
}
