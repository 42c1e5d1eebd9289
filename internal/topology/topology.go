package topology

// The values of Topology.Kind.
const (
	Cluster         = "cluster"          // a Redis Cluster
	PrimaryReplicas = "primary/replicas" // a primary and its replicas, outside a cluster
	Unknown         = "unknown"          // not discovered yet, or not a client of several endpoints
)

// Topology is what a client built from several endpoints found when it last
// asked them.
type Topology struct {
	// Kind is Cluster, PrimaryReplicas, or Unknown before the first
	// successful discovery.
	Kind string
	// Primary is the endpoint that reported itself primary
	// (primary/replicas only).
	Primary string
	// Replicas are the endpoints that reported themselves replicas
	// (primary/replicas only).
	Replicas []string
	// Nodes are the cluster's nodes as CLUSTER SLOTS reported them
	// (cluster only).
	Nodes []string
}

// Of returns what the *rediscache.Instance inst found behind its
// endpoints (Kind Unknown for other clients, and before the first
// command). Package rediscache sets it when it is linked; this package
// cannot import rediscache, which imports it.
var Of func(inst any) Topology
