// Package telemetry traces and measures a go-redis client you build yourself
// with OpenTelemetry: telemetry.Instrument(client, telemetry.Config{...}).
// Clients from package rediscache are instrumented already.
//
// It follows the current database semantic conventions, at a cost close to
// that of the OpenTelemetry SDK itself.
//
// [Instrument] installs go-redis hooks on a client; [Config] chooses the
// providers and what is recorded; the returned stop function unregisters
// the pool-metric callbacks when the client is closed. The package depends
// on the OpenTelemetry API only; package otlp of this module builds SDK
// providers that export over OTLP as configured by the OTEL_* environment
// variables an Aspire AppHost injects, so that a Go service shows up in
// the Aspire dashboard next to .NET ones.
//
//	stop, err := telemetry.Instrument(rdb, telemetry.Config{Name: "cache"})
//	...
//	defer stop()
//
// # Spans
//
// Every command is one span of kind CLIENT named after the command in upper
// case (GET, HSET), with these attributes:
//
//	db.system.name     redis
//	db.system          redis (the old name; see Semantic-convention versions)
//	db.operation.name  the command: GET (the span name)
//	db.namespace       the database index from the client options, "0"
//	                   for clusters (a SELECT on a pooled connection is not
//	                   followed)
//	server.address     the server the command went to: the configured
//	server.port        address for a standalone client, the node of a
//	                   cluster or ring client, the current primary of a
//	                   sentinel-managed client (a unix socket path has no
//	                   port)
//
// and, per call:
//
//	db.operation.batch.size  pipelines and transactions (see below)
//	db.stored_procedure.name EVALSHA and FCALL: the SHA1 or function name
//	db.query.text            only with Config.QueryText (see below)
//	error.type               on failure (see below)
//	db.response.status_code  on an error reply: its prefix
//
// A failed command sets the span status to Error with the error message as
// description (but see What is not recorded), and error.type to:
//
//   - for an error reply from the server, its prefix (ERR, WRONGTYPE, MOVED,
//     NOSCRIPT, ...), which is also db.response.status_code; _OTHER when the
//     reply has no upper-case prefix;
//   - context.Canceled or context.DeadlineExceeded;
//   - timeout for other timeouts (a net.Error whose Timeout() is true);
//   - redis.ErrClosed, redis.ErrPoolTimeout, redis.ErrPoolExhausted, io.EOF,
//     io.ErrUnexpectedEOF;
//   - otherwise the Go type of the innermost wrapped error, for example
//     *net.OpError or *net.DNSError.
//
// redis.Nil (a missing key) is not an error, in spans or in metrics.
//
// The attributes are set in one call when the command is done, not passed
// when the span starts: that saves the SDK an allocation and copy per span,
// skips the work for spans that are not sampled, and is when the server
// (cluster node, sentinel primary) and the outcome are known. Samplers see
// the span name, which is db.operation.name, and the kind; a sampler that
// needs the other attributes does not get them.
//
// server.address names the server that ran the command, so that the
// Aspire dashboard can link the span to that resource. (For cluster and
// sentinel clients the conventions prefer the configured address, which is
// a list of seeds or of sentinels there.)
//
// A pipeline is one span named PIPELINE, or PIPELINE GET when all its
// commands are GETs; a MULTI/EXEC transaction is one span named MULTI or
// MULTI SET. Both carry db.operation.batch.size (the number of commands,
// without MULTI and EXEC). A pipeline of one command is recorded as that
// command, as the conventions ask. The batch fails when any of its
// commands fails (other than with redis.Nil).
//
// Span contexts are not handed down to go-redis: a command's span is the
// child of the span in the caller's context and has no children.
//
// # What is not recorded
//
// Health-check commands (their context is marked inside this module) produce
// neither a span nor a measurement.
//
// Connection set-up is not recorded, like the dial itself: HELLO, AUTH,
// SELECT, READONLY and CLIENT SETNAME, SETINFO, MAINT_NOTIFICATIONS and
// TRACKING, which go-redis sends on every new connection before the
// command that needed it (with Redis older than 7.2, CLIENT SETINFO would
// also fail each time). Config.ConnectionSetup records them. The same
// commands sent by the application are skipped too unless it is set.
//
// The error reply of a failed command whose arguments can hold a secret
// (AUTH, HELLO, MIGRATE, ACL, CONFIG, SENTINEL) is not recorded: Redis
// echoes some arguments in its error replies (a malformed ACL SETUSER
// modifier, which can be a password; a value CONFIG SET rejects). The span
// status then reads "ERR (server reply not recorded: ...)", error.type is
// the reply's prefix when it is a known error code (ERR, WRONGPASS,
// NOPERM, ...) and _OTHER otherwise. The same holds for a batch with such a
// command in it. In redisotel mode those commands are not traced.
//
// Command arguments are not recorded. Config.QueryText records a sanitised
// db.query.text: the command, its first argument when that is a key or a
// subcommand (at most 128 bytes of it), and "?" for every other argument,
// up to 32: "SET user:42 ? ? ?", "CONFIG SET ? ?". ECHO, PING, EVAL and
// FCALL replace every argument. AUTH, HELLO and MIGRATE keep only their
// name: their arguments can hold a password. Keys may be personal data,
// which is why this is opt-in. A batch records up to 16 commands separated
// by "; ".
//
// # Semantic-convention versions
//
// Besides the current names, spans carry db.system=redis by default,
// because the Aspire dashboard builds its span summary ("DATA redis GET")
// and database icon from that old name only; without it a Redis span shows
// as a bare "GET". The variable OTEL_SEMCONV_STABILITY_OPT_IN, which
// OpenTelemetry instrumentations read during the database conventions'
// migration, changes that (Config.Conventions overrides it):
//
//	(unset)        current names + db.system
//	database       current names only
//	database/dup   current names + the v1.24 names the migration guide maps
//	               them from: db.system, db.operation,
//	               db.redis.database_index and, with Config.QueryText,
//	               db.statement (database/dup wins over database)
//
// Metrics carry the current names only. server.address and server.port
// are what the dashboard links a span to its Redis resource by
// (server.address:server.port, 127.0.0.1 read as localhost).
//
// # Metrics
//
// Each command (or batch) is measured in db.client.operation.duration, a
// histogram in seconds with the conventions' advisory buckets 0.001, 0.005,
// 0.01, 0.05, 0.1, 0.5, 1, 5 and 10, with the attributes db.system.name,
// db.operation.name, db.namespace, server.address, server.port, and
// error.type and db.response.status_code on failure (the same values as on
// the span). The attribute sets are built once per operation, endpoint and
// outcome, so recording allocates nothing.
//
// The connection pool is observed when metrics are collected, with
// db.client.connection.pool.name = Config.Name (the address when empty):
//
//	db.client.connection.count           {connection}  state=idle|used
//	db.client.connection.max             {connection}  PoolSize + pipeline pool size
//	db.client.connection.idle.max        {connection}  MaxIdleConns (when set)
//	db.client.connection.idle.min        {connection}  MinIdleConns
//	db.client.connection.pending_requests {request}    commands waiting for a connection
//	db.client.connection.timeouts        {timeout}     counter
//	redis.client.connection.wait_time    s             counter: total time spent waiting
//	redis.client.connection.waits        {wait}        counter: number of waits
//
// go-redis keeps only the total time spent waiting for a connection, not
// each wait, so the conventions' db.client.connection.wait_time histogram
// cannot be derived; the two redis.* counters give the mean wait instead.
// The main and the pipeline pool of a client are counted together; for a
// cluster or ring client the counts are summed over the nodes and the
// limits are per node.
//
// # Cluster, ring and sentinel clients
//
// A cluster (or ring) client gets one hook on itself, which sees every
// command exactly once, and one hook on each node client, which tells the
// first hook, through the context, which node ran the command. MOVED and
// ASK redirections and retries do not duplicate spans: the command is
// reported with the node that answered last. Commands sent to a node client
// directly (ClusterClient.ForEachMaster and go-redis' own COMMAND and
// CLUSTER SLOTS requests) are recorded once, by the node. Nodes are hooked
// as go-redis creates them (OnNewNode), so instrument a cluster client
// before its first command; commands to nodes created earlier report the
// first configured address.
//
// A sentinel-managed client (redis.NewFailoverClient) reports the address
// of the primary its last connection was made to, which follows failovers.
//
// # Providers
//
// Spans and metrics are recorded under the instrumentation scope
// [ScopeName], with the module's version ([Version]) and the semantic
// conventions' schema URL.
//
// Nil providers in Config mean the otel globals. While the global tracer
// provider is still otel's default (no SDK installed yet), commands are not
// traced at all and cost nothing; once otel.SetTracerProvider is called,
// spans flow without instrumenting again. The same holds for the meter
// provider. Known no-op providers (trace/noop, metric/noop) are detected
// when Instrument runs; with both no-op, no hook is installed. With
// DisableTracing and DisableMetrics both set nothing is installed at all,
// and the client is exactly a raw go-redis client.
//
// # redisotel compatibility mode
//
// Config.Redisotel instruments the client with go-redis' own
// extra/redisotel instead, for dashboards built on its names (semantic
// conventions v1.24: span names like "get", db.system,
// db.client.connections.* metrics in milliseconds). It is set up safely: no
// db.statement, no caller capture (code.*), no dial spans, AUTH and a
// HELLO that carries credentials filtered (the credential-free HELLO sent
// when a connection opens is recorded, as a span named "hello"), pool
// callbacks unregistered by stop, and health-check commands produce no
// span (redisotel's per-command use_time
// histogram still counts them). It is much slower: see Performance.
//
// # OTLP export
//
// This package does not export: it records through whatever providers it
// is given (or the otel globals). github.com/aspirego/redis/otlp builds SDK
// providers from the OTEL_* variables (traces, metrics and logs), and
// otlp.Module wires them into an fx application.
//
// # Multiplexed mode
//
// go-redis's auto-pipeliner sends the commands of concurrent callers as
// shared batches from a goroutine of its own, on context.Background():
// hooks see one PIPELINE per batch and no caller. A client of package
// rediscache in the multiplexed mode (Settings.AutoPipelining) records
// each command where it is issued instead: its own span under the
// caller's, its own duration sample; batch sizes go to the
// redis.client.autopipeline.batch.size histogram. Its client-side cache
// (Settings.ClientSideCaching) adds hit, miss, eviction and invalidation
// counters; reads it serves get no span.
// See docs/multiplexing.md and docs/observability.md.
//
// # Performance
//
// Measured with internal/cmd/benchmark (50 goroutines, one client with
// PoolSize 50, SET/GET over 1024 keys, redis-server on loopback, 2 vCPUs
// shared by client and server, other work on the machine), throughput
// relative to raw go-redis in the same run (medians of several runs; the
// noise of a single run is about ±5%), and client CPU time per command
// added:
//
//	                                       throughput   CPU/command  allocations/command
//	telemetry disabled                     1.00         +0 µs        +0 (no hook at all)
//	on, no SDK installed                   0.96–1.06    +0 µs        +0
//	metrics only (SDK)                     0.93–0.98    +1 µs        +0
//	tracing + metrics (SDK, AlwaysSample)  0.82–0.89    +3.5–5.5 µs  +4 (+1.3 KB)
//	redisotel mode (SDK)                   0.68–0.76    +8–11 µs     +12 (+2.7 KB)
//
// Raw go-redis spends about 18 µs of client CPU per command on that machine
// (mostly in system calls); where system calls are cheaper the same added
// cost weighs more and the ratios are lower. Without the network (the
// BenchmarkHook benchmarks), a command costs raw go-redis about 150 ns;
// the metrics hook adds about 0.45 µs, nearly all of it in the SDK's
// handling of the attribute set; the tracing hook adds about 2.3 µs, of
// which about 1.15 µs is the least any tracing hook pays (one bare SDK span
// through the batch span processor, BenchmarkHookFloor) and most of the
// rest is the SDK storing and de-duplicating the attributes. db.system
// (the default Conventions) is one more attribute in the same call: no
// extra allocation, 64 more bytes in the SDK's attribute slice per span
// (BenchmarkHook/tracing+metrics against tracing+metrics-stable).
package telemetry
