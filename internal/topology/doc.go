// Package topology is what a rediscache client of several endpoints found
// behind them: a Redis Cluster, or a primary and its replicas. redis-doctor
// and the integration tests read it; it is not part of the public API.
package topology
