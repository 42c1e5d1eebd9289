// Package integration proves, against real server processes, that the
// clients built by rediscache work on distributed topologies and survive
// faults. It holds tests only.
//
// The suites start their own servers with internal/testserver (a 3-primary
// Redis Cluster, a primary and replica watched by sentinel, standalone
// servers behind a stalling TCP proxy) and reach them only through the
// public API: a connection string in configuration, rediscache.New, the
// client's health check served by healthcheck, and the telemetry hooks.
//
//   - Cluster: a connection string listing the nodes gives a
//     *redis.ClusterClient; keys in all 16384 slots round-trip; MOVED and ASK
//     are followed while a slot migrates under a reader and writer; the health
//     check covers every primary; every command is one span naming the node
//     that served it. One node with ClusterMode discovers the rest; one
//     node without it is a standalone client that returns a
//     rediscache.ErrRedirect for keys on other nodes.
//   - Sentinel: "host:port,serviceName=mymaster,password=...,sentinelPassword=..."
//     gives a failover client whose writes resume on the new primary after
//     SENTINEL FAILOVER; the tests measure when, and which acknowledged
//     writes the asynchronous replication lost (none of those confirmed
//     with WAIT).
//   - Faults, on a standalone server and on one cluster node, under a steady
//     bounded load: SIGKILL and restart on the same port (with
//     appendfsync always, so that every acknowledged write must survive), a
//     node that stops answering, a restart with another password. Every
//     command returns (a success or an error) within the timeouts of the
//     connection string, no read returns another key's value, health goes
//     Unhealthy and back to Healthy, and no goroutine is left behind.
//     A primary with a replica is killed too, for the cluster's own failover.
//   - Timeouts: how long one command takes to fail when a TCP connect hangs
//     or a server accepts and never answers, for several connection strings.
//
// Every suite runs once per server flavour (testserver.EachBinary): against
// redis-server, and against valkey-server when it is on PATH (reported as
// "not run" otherwise).
//
// The tests log what they measure. With ASPIREGO_RELIABILITY_REPORT=path
// they also write the figures as Markdown tables to path; when path is an
// existing file holding the markers "<!-- figures:begin -->" and
// "<!-- figures:end -->" (docs/reliability.md does), only the text between
// them is replaced:
//
//	ASPIREGO_RELIABILITY_REPORT=$PWD/docs/reliability.md go test -race -count=1 ./internal/integration/
package integration
