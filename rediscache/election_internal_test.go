package rediscache

import (
	"errors"
	"slices"
	"testing"
)

// Replication ids as servers report them.
const (
	idOld   = "1b7a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2" // the history both shared
	idNew   = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432" // a promoted replica's own
	idFresh = "aaaabbbbccccddddeeeeffff0000111122223333" // a primary restarted empty
	idNone  = "0000000000000000000000000000000000000000"
)

// node builds what one endpoint answered: its ROLE reply and, for a
// primary, its INFO replication and INFO keyspace (nil: not answered).
func node(addr string, role []any, replication, keyspace map[string]map[string]string) nodeReport {
	r := nodeReport{addr: addr}
	rr, err := parseRole(roleCmd(role))
	r.role, r.master, r.links, r.offset, r.roleErr = rr.role, rr.master, rr.links, rr.offset, err
	if replication != nil {
		r.repl = parseReplState(replication, keyspace)
	}
	return r
}

func primaryRole(offset int64, replicas ...string) []any {
	reps := []any{}
	for _, r := range replicas {
		reps = append(reps, []any{"127.0.0.1", r, "0"})
	}
	return []any{"master", offset, reps}
}

func replication(id, id2 string) map[string]map[string]string {
	return map[string]map[string]string{"Replication": {"role": "master", "master_replid": id, "master_replid2": id2}}
}

func keyspace(dbs ...string) map[string]map[string]string {
	ks := map[string]string{}
	for i, v := range dbs {
		ks["db"+string(rune('0'+i))] = v
	}
	return map[string]map[string]string{"Keyspace": ks}
}

// TestElect: which endpoint is the primary, from the ROLE, INFO
// replication and INFO keyspace replies; the split-brain cases of issue 20
// first.
func TestElect(t *testing.T) {
	replica := []any{"slave", "127.0.0.1", int64(7002), "connected", int64(100)}
	empty := keyspace()
	full := keyspace("keys=17009,expires=0,avg_ttl=0")
	tests := []struct {
		name     string
		reports  []nodeReport
		primary  string // "" with splitBrain false: no primary
		replicas []string
		split    bool
	}{
		{name: "one primary",
			reports: []nodeReport{node("a", replica, nil, nil), node("b", primaryRole(100, "7001"), nil, nil)},
			primary: "b", replicas: []string{"a"}},
		{name: "the old primary restarted empty, listed first, beside the promoted replica with the data",
			reports: []nodeReport{
				node("old", primaryRole(0), replication(idFresh, idNone), empty),
				node("new", primaryRole(52000), replication(idNew, idOld), full),
			},
			primary: "new"},
		{name: "the old primary restarted with its data and its replication id: the promoted one supersedes it",
			reports: []nodeReport{
				node("old", primaryRole(40000), replication(idOld, idNone), full),
				node("new", primaryRole(52000), replication(idNew, idOld), full),
			},
			primary: "new"},
		{name: "the old primary left running beside the promoted replica, with more writes since",
			reports: []nodeReport{
				node("old", primaryRole(90000), replication(idOld, idNone), full),
				node("new", primaryRole(52000), replication(idNew, idOld), full),
				node("c", replica, nil, nil),
			},
			primary: "new", replicas: []string{"c"}},
		{name: "three claimants: the old one superseded, then the empty one",
			reports: []nodeReport{
				node("fresh", primaryRole(0), replication(idFresh, idNone), empty),
				node("old", primaryRole(90000), replication(idOld, idNone), full),
				node("new", primaryRole(52000), replication(idNew, idOld), full),
			},
			primary: "new"},
		{name: "both hold keys, no common history, one has a replica",
			reports: []nodeReport{
				node("a", primaryRole(10), replication(idFresh, idNone), full),
				node("b", primaryRole(10, "7003"), replication(idNew, idNone), full),
				node("c", replica, nil, nil),
			},
			primary: "b", replicas: []string{"c"}},
		{name: "both hold keys, no common history, no replica: split brain",
			reports: []nodeReport{
				node("a", primaryRole(10), replication(idFresh, idNone), full),
				node("b", primaryRole(90), replication(idNew, idNone), full),
			},
			split: true},
		{name: "both empty: split brain",
			reports: []nodeReport{
				node("a", primaryRole(0), replication(idFresh, idNone), empty),
				node("b", primaryRole(0), replication(idNew, idNone), empty),
			},
			split: true},
		{name: "all-zero replication ids are no history",
			reports: []nodeReport{
				node("a", primaryRole(0), replication(idNone, idNone), full),
				node("b", primaryRole(0), replication(idNew, idNone), full),
			},
			split: true},
		{name: "INFO refused: replicas cannot tell, split brain",
			reports: []nodeReport{
				{addr: "a", role: "master", repl: replState{asked: true, err: errors.New("NOPERM")}},
				{addr: "b", role: "master", repl: replState{asked: true, err: errors.New("NOPERM")}},
			},
			split: true},
		{name: "a key count unknown: the data does not decide, the replicas do",
			reports: []nodeReport{
				node("a", primaryRole(0), replication(idFresh, idNone), empty),
				node("b", primaryRole(0, "7003"), replication(idNew, idNone), map[string]map[string]string{}),
			},
			primary: "b"},
		{name: "the replicas follow the empty one: the data wins",
			reports: []nodeReport{
				node("a", primaryRole(0, "7003"), replication(idFresh, idNone), empty),
				node("b", primaryRole(500), replication(idNew, idOld), full),
			},
			primary: "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := elect(tc.reports)
			if e.primary != tc.primary || e.splitBrain != tc.split || !slices.Equal(e.replicas, tc.replicas) {
				t.Fatalf("elect = primary %q, replicas %v, split brain %v (rule %q); want %q, %v, %v",
					e.primary, e.replicas, e.splitBrain, e.rule, tc.primary, tc.replicas, tc.split)
			}
			if e.primary != "" && len(e.claimants) > 1 && e.rule == "" {
				t.Error("chosen among several claimants without a rule")
			}
			t.Logf("primary %q: %s", e.primary, e.rule)
		})
	}
}

func TestParseReplState(t *testing.T) {
	s := parseReplState(replication(idNew, idNone), keyspace("keys=3,expires=0,avg_ttl=0", "keys=4,expires=1,avg_ttl=9"))
	if !s.asked || s.replID != idNew || s.replID2 != "" || !s.keysKnown || s.keys != 7 {
		t.Fatalf("parseReplState = %+v", s)
	}
	if s := parseReplState(nil, nil); s.keysKnown || s.replID != "" {
		t.Fatalf("parseReplState of nothing = %+v", s)
	}
	if s := parseReplState(nil, keyspace("keys=x")); s.keysKnown {
		t.Fatalf("a malformed key count is known: %+v", s)
	}
}
