package settings

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultHealthCheckTimeout bounds one run of a client's health check when
// HealthCheckTimeout is not set.
const DefaultHealthCheckTimeout = 5 * time.Second

// Settings are the integration-level settings of one named client, the Go
// counterpart of Aspire's StackExchangeRedisSettings.
type Settings struct {
	// ConnectionString is a StackExchange.Redis configuration string
	// ("host:port,password=...,ssl=true") or a redis://, rediss://,
	// valkey://, valkeys:// or unix:// URI.
	ConnectionString string
	// DisableHealthChecks removes the client's health check
	// (Resolved.HealthCheckName).
	DisableHealthChecks bool
	// DisableTracing installs no tracing hook on the client.
	DisableTracing bool
	// DisableMetrics installs no metrics hook on the client.
	DisableMetrics bool
	// DisableAutoActivation, true by default as in Aspire, skips the PING
	// at start-up. Set it to false to connect when the application starts.
	DisableAutoActivation bool
	// HealthCheckTimeout bounds one run of the health check.
	HealthCheckTimeout time.Duration
	// ClusterMode makes a connection string that names one node of a Redis
	// Cluster build a cluster client, which discovers the other nodes
	// from it (StackExchange.Redis does that on its own; go-redis must be
	// told, because the kind of client is fixed before the first dial).
	// A setting rather than a connection-string key, so that a string
	// shared with .NET services stays valid for them.
	ClusterMode bool
	// RecordQueryText adds a sanitised db.query.text to spans: the command,
	// its key and "?" for every other argument. Keys can be personal data,
	// so it is off by default; AUTH and HELLO arguments are never recorded.
	RecordQueryText bool
	// Redisotel instruments the client with go-redis's redisotel package
	// instead of this SDK's hooks, for dashboards built on its names
	// (semantic conventions v1.24). It costs about half the throughput.
	Redisotel bool
	// AzureAuthentication authenticates with Microsoft Entra ID tokens
	// when the client connects to Azure Cache for Redis or Azure Managed
	// Redis, like .NET's WithAzureAuthentication(). It is implemented by
	// package azureauth, which must be linked (azureauth.Module with fx,
	// azureauth.Extension in rediscache.Deps otherwise): without it,
	// building the client fails with an error saying so.
	AzureAuthentication bool
	// DotNetHealthCheckNames names the client's health check as .NET's
	// Aspire.StackExchange.Redis does, StackExchange.Redis for a plain
	// client and StackExchange.Redis_{name} for a keyed one, instead of
	// redis_{name} and redis_keyed_{name} (see Resolved.HealthCheckName),
	// for dashboards and alerts built on the .NET names.
	DotNetHealthCheckNames bool

	// AutoPipelining hands out a multiplexed client: concurrent callers'
	// commands are queued and sent together as pipelines on shared
	// connections, as StackExchange.Redis's ConnectionMultiplexer does
	// (go-redis's experimental AutoPipeline). Off by default; see
	// docs/multiplexing.md for the measured trade-off. Telemetry stays per
	// command. The tuning below applies only when it is on.
	AutoPipelining bool
	// AutoPipeliningBatchSize is the target number of commands in one
	// pipeline (a soft limit). Zero: go-redis's default (300).
	AutoPipeliningBatchSize int
	// AutoPipeliningFlushDelay lets the pipeliner wait up to this long for
	// more commands before it sends a batch, trading latency for fewer,
	// larger batches. Zero (the default): send as soon as possible.
	AutoPipeliningFlushDelay time.Duration
	// AutoPipeliningConcurrency is how many batches may be in flight at
	// once. Zero or one (the default): one ordered stream. Above one the
	// batches run in parallel; each caller still sees its own commands in
	// order, because a call returns only once its command has run.
	AutoPipeliningConcurrency int

	// ClientSideCaching keeps the replies of read commands (GET, HGET, ...)
	// in process memory and lets the server invalidate them through RESP3
	// CLIENT TRACKING (go-redis's experimental client-side cache). Off by
	// default. Standalone servers and database 0 only; elsewhere, and on
	// servers without CLIENT TRACKING, the client warns once and runs
	// without it. See docs/multiplexing.md for the cached commands.
	ClientSideCaching bool
	// ClientSideCacheSize is the largest number of cached replies. Zero:
	// 10000.
	ClientSideCacheSize int
	// ClientSideCacheTTL is the longest a reply is served from the cache,
	// a backstop for a lost invalidation. Zero: no limit besides
	// invalidation.
	ClientSideCacheTTL time.Duration

	// keyed marks a keyed client's settings (internal/keyedmark).
	keyed bool

	// configure edits the final go-redis options, after the connection
	// string and the ConfigurationOptions sections were applied.
	configure []func(*redis.UniversalOptions)
}

// Option changes Settings. Options run after every configuration source,
// so they win.
type Option func(*Settings)

// defaults returns the settings every client starts from: the field
// defaults documented on Settings.
func defaults() Settings {
	return Settings{
		DisableAutoActivation: true,
		HealthCheckTimeout:    DefaultHealthCheckTimeout,
	}
}

// WithConnectionString sets the connection string, overriding every
// configuration source.
func WithConnectionString(s string) Option {
	return func(st *Settings) { st.ConnectionString = s }
}

// DisableTracing turns tracing off for the client.
func DisableTracing() Option { return func(s *Settings) { s.DisableTracing = true } }

// DisableMetrics turns metrics off for the client.
func DisableMetrics() Option { return func(s *Settings) { s.DisableMetrics = true } }

// DisableHealthChecks removes the client's health check.
func DisableHealthChecks() Option { return func(s *Settings) { s.DisableHealthChecks = true } }

// EnableAutoActivation makes the client PING its server when the
// application starts (Aspire's DisableAutoActivation=false).
func EnableAutoActivation() Option { return func(s *Settings) { s.DisableAutoActivation = false } }

// EnableClusterMode makes the client a cluster client even when its
// connection string names one node (see Settings.ClusterMode).
func EnableClusterMode() Option { return func(s *Settings) { s.ClusterMode = true } }

// EnableAutoPipelining turns auto-pipelining on (see
// Settings.AutoPipelining).
func EnableAutoPipelining() Option { return func(s *Settings) { s.AutoPipelining = true } }

// EnableClientSideCaching turns the client-side cache on (see
// Settings.ClientSideCaching).
func EnableClientSideCaching() Option { return func(s *Settings) { s.ClientSideCaching = true } }

// RecordQueryText turns on the sanitised db.query.text span attribute.
func RecordQueryText() Option { return func(s *Settings) { s.RecordQueryText = true } }

// UseRedisotel instruments the client with go-redis's redisotel package
// instead of this SDK's leaner hooks.
func UseRedisotel() Option { return func(s *Settings) { s.Redisotel = true } }

// EnableAzureAuthentication turns on Settings.AzureAuthentication with the
// default credential; azureauth.WithCredential chooses the credential.
func EnableAzureAuthentication() Option { return func(s *Settings) { s.AzureAuthentication = true } }

// AzureAuthenticationKey is the configuration key of
// Settings.AzureAuthentication, in the Aspire:StackExchange:Redis
// sections.
const AzureAuthenticationKey = "AzureAuthentication"

// WithHealthCheckTimeout sets the health check's time limit.
func WithHealthCheckTimeout(d time.Duration) Option {
	return func(s *Settings) { s.HealthCheckTimeout = d }
}

// ConfigureOptions edits the final go-redis options of the client, the
// counterpart of Aspire's configureOptions delegate. It runs after the
// connection string and the ConfigurationOptions sections were applied.
func ConfigureOptions(fn func(*redis.UniversalOptions)) Option {
	return func(s *Settings) { s.configure = append(s.configure, fn) }
}
