// Package settings resolves what a Redis client connects to, and how, from
// .NET Aspire configuration. A service author first calls its [Option]
// functions, passed to rediscache.Client(name, opts...): [WithConnectionString],
// [DisableTracing], [ConfigureOptions] and the others; without fx, [Resolve]
// over [LoadConfig] gives the go-redis options.
//
// It reads what the .NET Aspire integration (Aspire.StackExchange.Redis)
// reads: appsettings.json files, the environment variables an Aspire
// AppHost injects, and options in code. It does not open connections; it
// returns go-redis options ready for redis.NewUniversalClient.
//
// # Configuration
//
// [LoadConfig] reads configuration the way a .NET host does, later sources
// winning: appsettings.json, then appsettings.{Environment}.json (both
// optional, from [LoadOptions].Dir), then environment variables. The
// environment name comes from $DOTNET_ENVIRONMENT, else
// $ASPNETCORE_ENVIRONMENT, else "Production". [NewConfig] wraps values a
// program already has. Either way keys are ':'-separated paths that match
// in any case, and [Config.Source] tells where a value came from.
//
// In environment variable names, "__" separates levels:
//
//	ConnectionStrings__cache=localhost:6379,password=...
//	Aspire__StackExchange__Redis__cache__DisableTracing=true
//	Aspire__StackExchange__Redis__ConfigurationOptions__ConnectTimeout=2000
//
// # Resolution
//
// [Resolve] computes the [Settings] of the client named N with Aspire's
// precedence, later wins:
//
//  1. the defaults (see [Settings]);
//  2. section Aspire:StackExchange:Redis (applies to every client);
//  3. section Aspire:StackExchange:Redis:N;
//  4. ConnectionStrings:N, which replaces ConnectionString when present;
//  5. the [Option] functions passed to Resolve.
//
// The settings keys are ConnectionString, DisableHealthChecks,
// DisableTracing, DisableMetrics, DisableAutoActivation, ClusterMode,
// RecordQueryText, Redisotel (true or false, in any case; the last three
// are this SDK's own: ClusterMode discovers a Redis Cluster from one
// node, the other two are telemetry opt-ins), AzureAuthentication (Go
// only: Microsoft Entra ID tokens for Azure Redis hosts, implemented by
// package azureauth, which must be linked) and HealthCheckTimeout (a .NET TimeSpan such as "00:00:05" or a
// Go duration such as "5s"; greater than zero). The multiplexed mode has
// Go-only keys too (see docs/multiplexing.md): AutoPipelining and
// ClientSideCaching (true or false), AutoPipeliningBatchSize,
// AutoPipeliningConcurrency and ClientSideCacheSize (whole numbers, zero
// for the default), AutoPipeliningFlushDelay and ClientSideCacheTTL
// (durations, zero for the default). Other keys in those
// sections are ignored, as .NET's configuration binder ignores them; a
// value of the wrong type is a [*ConfigError] naming the full key.
//
// The go-redis options are built in this order: the parsed connection
// string (see [ParseConnectionString] for its keys and what each becomes),
// then section Aspire:StackExchange:Redis:ConfigurationOptions, then
// Aspire:StackExchange:Redis:N:ConfigurationOptions, then what the
// [ConfigureOptions] callbacks change. A ConfigurationOptions section holds
// StackExchange.Redis ConfigurationOptions properties; each is applied as
// its connection-string key, with the same validation:
//
//	Property                      Connection-string key / effect
//	AbortOnConnectFail            abortConnect
//	AllowAdmin                    allowAdmin
//	AsyncTimeout                  asyncTimeout
//	ChannelPrefix                 channelPrefix; the object form
//	                              {"UseImplicitAutoPattern": bool} sets no
//	                              prefix in .NET and is accepted and ignored
//	CheckCertificateRevocation    checkCertificateRevocation
//	ClientName                    name
//	ConfigCheckSeconds            configCheckSeconds
//	ConfigurationChannel          configChannel
//	ConnectRetry                  connectRetry
//	ConnectTimeout                connectTimeout
//	DefaultDatabase               defaultDatabase
//	DefaultVersion                version
//	HighIntegrity                 highIntegrity
//	KeepAlive                     keepAlive
//	Password                      password
//	Protocol                      protocol (Resp2, Resp3)
//	Proxy                         proxy
//	ResolveDns                    resolveDns
//	ServiceName                   serviceName
//	SetClientLibrary              setlib
//	Ssl                           ssl
//	SslHost                       sslHost
//	SslProtocols                  sslProtocols ("Tls12, Tls13" or "Tls12|Tls13")
//	SyncTimeout                   syncTimeout
//	TieBreaker                    tiebreaker
//	Tunnel                        tunnel
//	User                          user
//	LibraryName                   no key: go-redis IdentitySuffix, so the
//	                              server sees lib-name go-redis(<name>,<go version>)
//	HeartbeatInterval             no key: validated as a TimeSpan, ignored
//	                              (go-redis sends no heartbeats)
//	HeartbeatConsistencyChecks    no key: validated as a boolean, ignored
//	IncludeDetailInExceptions     no key: validated as a boolean, ignored
//	IncludePerformanceCountersInExceptions
//	                              no key: validated as a boolean, ignored
//
// As in .NET, whose binder ignores what it cannot bind, an unknown property
// is ignored; unlike .NET, it is listed in Connection.Warnings, so that a
// typo does not go unnoticed. Values from configuration override the
// connection string (a Password property replaces password=), and
// ConfigureOptions functions see and may change the result; they may also
// supply every endpoint, as .NET's configureOptions may.
//
// AbortOnConnectFail defaults to false, as in Aspire (the client starts
// while Redis is down): abortConnect=true in the connection string or
// AbortOnConnectFail=true in either ConfigurationOptions section sets
// [Connection].AbortConnect.
//
// # When no connection string is configured
//
// When neither ConnectionStrings:N nor a ConnectionString key is set (and
// no option sets one), Resolve reads the connection properties a recent
// Aspire AppHost injects: {P}_URI (redis://, rediss://, valkey://, ...),
// else {P}_HOST with the optional {P}_PORT and {P}_PASSWORD. {P} is N
// upper-cased, with every character other than an ASCII letter or digit
// turned into '_' and a leading digit prefixed with '_' (cache → CACHE_URI,
// resource-with-dash → RESOURCE_WITH_DASH_HOST). Last, for any client,
// REDIS_HOST with the optional REDIS_PORT and REDIS_PASSWORD, which Aspire's
// Redis page tells non-.NET apps to set. Empty values count as absent, and
// {P}_PORT alone is ignored (Kubernetes sets REDIS_PORT to a tcp:// address
// for a service named redis); next to {P}_HOST such a value gives its port.
//
// If nothing names a server (after the ConfigureOptions functions), Resolve
// fails with Aspire's message, matched
// by errors.Is(err, ErrNoEndpoints):
//
//	No endpoints specified. Ensure a valid connection string was provided
//	in 'ConnectionStrings:N' or for the
//	'Aspire:StackExchange:Redis:ConnectionString' configuration key.
//
// A ConnectionStrings:N that is present but empty is an error, as in .NET,
// not a reason to fall back. So is a connection string (or {P}_URI) that
// is set but names no endpoint that can be used, such as 127.0.0.1:abc,
// whose endpoint StackExchange.Redis skips: the error is a [*ConfigError]
// naming the key, its source and each skipped piece ("set, but no
// endpoint in it can be used: piece 1, '127.0.0.1:abc': the port is not a
// number; ..."), and it matches ErrInvalidConnectionString, not
// ErrNoEndpoints, which is kept for "nothing configured".
//
// # Secrets
//
// Passwords never appear in errors, in fmt output (any verb) or in slog
// output of [Settings], [Resolved] and [Connection]: they print the
// connection string through [Redact]. [Resolved].Source names the
// configuration key and source of the connection string, never its value.
// The go-redis options themselves (Connection.Options) hold the password
// in clear text: log the Connection, not its Options.
//
// Every other output of the module that may carry text from outside
// (health reports, the go-redis log bridge, redis-doctor) passes through
// one secret scrubber, which also masks what looks like a password.
package settings
