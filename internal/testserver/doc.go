// Package testserver starts real Redis (or Valkey) server processes for
// tests: standalone servers with passwords, ACL users, TLS or a unix socket,
// clusters, and sentinel-monitored primary/replica pairs, plus network fault
// helpers (a proxy that can stall, a listener that never answers).
//
// Every process runs from a fresh t.TempDir() on a free loopback port, logs
// to a file in that directory and is stopped by t.Cleanup (SIGTERM, then
// SIGKILL after a grace period). When the test fails, the tail of each
// server's log is printed with the test output, with passwords masked.
//
// # Requirements
//
// The servers are found on PATH: redis-server and redis-cli (Debian/Ubuntu:
// apt-get install -y redis-server, or `make test-deps`), and
// optionally valkey-server. A missing binary fails the test with a message
// saying what to install; set ASPIREGO_SKIP_REAL_SERVERS=1 to skip
// real-server tests instead (ignored when CI=true: in CI a missing binary
// always fails). [EachBinary] runs a test once per server
// flavour and reports Valkey as not run when valkey-server is absent.
//
// # Standalone
//
//	srv := testserver.Start(t, testserver.Options{Password: "s3cret"})
//	rdb := redis.NewClient(srv.ClientOptions()) // Addr and Password set
//	srv.Do(t, "CONFIG", "GET", "maxclients")    // admin command, fails the test on error
//	srv.Restart(t, func(o *testserver.Options) { o.Password = "new" })
//
// With Options.TLS the server serves TLS only (port 0, tls-port). The
// certificates are generated in the test: [TLSMaterial] holds the CA (as a
// pool and a PEM file), the server certificate (valid for 127.0.0.1, ::1 and
// localhost), an optional client certificate, and a second CA that signed
// nothing the server uses, for negative tests.
//
// # Cluster and sentinel
//
// [StartCluster] creates a cluster with redis-cli --cluster create and waits
// until every node agrees on the slot map. [Migration] moves one slot step by
// step (IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE) so that tests can observe
// ASK and MOVED redirections. [StartSentinel] starts a primary, a replica and
// one or three sentinels monitoring "mymaster"; [SentinelSet.Failover] forces
// a failover and returns once the new primary accepts writes and the old one
// no longer does. With SentinelOptions.TLS the whole set serves TLS only,
// replication and sentinel links included, and each kind of server has its
// own certificate from one CA: the sentinels' valid for [SentinelCertName]
// only, the data nodes' for [DataCertName] only.
//
// # Faults
//
// [StallProxy] forwards TCP traffic to a server until Stall is called; then
// it keeps accepting connections but swallows all traffic in both
// directions. [Blackhole] is a listener that accepts connections and never
// answers. Both stop all their goroutines on Close.
//
// Port choice: plain servers and sentinels use random ports in
// 20000–29999, cluster nodes use 10000–21999 so that the cluster bus port
// (port+10000) stays below the kernel's ephemeral range. A port is checked
// by binding it first, and a server that still loses a race for its port
// (several test binaries run in parallel) is started again on another one.
//
// Functions that take a testing.TB call t.Fatal on failure and must be
// called from the test's goroutine. Only loopback addresses are used.
package testserver
