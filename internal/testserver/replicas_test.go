package testserver

import (
	"testing"
)

func TestReplicaSetPromote(t *testing.T) {
	t.Parallel()
	set := StartReplicas(t, ReplicaOptions{Password: "data-pw"})
	if len(set.Nodes) != 2 || set.Primary() != set.Nodes[0] || len(set.Replicas()) != 1 {
		t.Fatalf("%d nodes, primary %s", len(set.Nodes), set.PrimaryAddr())
	}
	if got := set.ConnectionString(); got != set.Nodes[0].Addr+","+set.Nodes[1].Addr+",password=data-pw" {
		t.Fatalf("ConnectionString = %q", got)
	}
	set.Nodes[0].Do(t, "SET", "k", "before")

	set.Promote(t, set.Nodes[1])
	if set.Primary() != set.Nodes[1] {
		t.Fatalf("primary %s after Promote", set.PrimaryAddr())
	}
	for _, tc := range []struct {
		n    *Server
		role string
	}{{set.Nodes[1], "master"}, {set.Nodes[0], "slave"}} {
		if got := tc.n.Info(t, "replication")["role"]; got != tc.role {
			t.Errorf("%s: role %s, want %s", tc.n.Addr, got, tc.role)
		}
	}
	if got := set.Nodes[1].Do(t, "GET", "k"); got != "before" {
		t.Fatalf("GET k on the new primary = %v", got)
	}
	if _, err := set.Nodes[0].DoErr("SET", "k", "x"); err == nil {
		t.Fatal("the old primary still accepts writes")
	}

	// A restarted replica follows the current primary.
	set.Nodes[0].Restart(t)
	set.waitInSync(t)
}
