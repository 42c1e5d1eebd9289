package clusterinfo

import "testing"

func TestField(t *testing.T) {
	reply := "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n"
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"cluster_state", "ok", true},
		{"cluster_slots_ok", "16384", true},
		{"cluster_slots", "", false}, // a prefix of a key is not the key
		{"cluster_known_nodes", "", false},
	}
	for _, tt := range tests {
		if got, ok := Field(reply, tt.key); got != tt.want || ok != tt.ok {
			t.Errorf("Field(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}
