package rediscache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrSplitBrain is wrapped by the error of a command refused because
// several endpoints of a primary/replica list report themselves primary
// and none can be chosen without risking acknowledged writes (see
// docs/topologies.md). The client asks the roles again every second and
// serves commands again as soon as one primary can be chosen.
var ErrSplitBrain = errors.New("several endpoints report themselves primary and none can be chosen safely")

// nodeReport is what one endpoint answered.
type nodeReport struct {
	addr    string
	err     error  // the endpoint could not be asked
	role    string // "master", "slave", "sentinel" or "" (unknown)
	roleErr error  // ROLE's error reply
	master  string // a replica's primary, as it reports it
	links   int    // a primary's connected replicas
	offset  int64  // a primary's replication offset
	// What a primary answered to INFO replication and INFO keyspace,
	// asked only when several endpoints report themselves primary.
	repl replState
}

// replState is a primary's replication history and data, from INFO.
type replState struct {
	asked     bool
	err       error  // INFO could not be read (refused, command map, network)
	replID    string // master_replid; "" unknown
	replID2   string // master_replid2: the history it was promoted from; "" none
	keys      int64  // keys in every database
	keysKnown bool
}

// roleReply is a parsed ROLE reply.
type roleReply struct {
	role   string
	master string // a replica's primary
	links  int    // a primary's replicas
	offset int64  // a primary's replication offset
}

// parseRole reads a ROLE reply: ["master", offset, [[ip, port, offset]...]]
// or ["slave", ip, port, state, offset].
func parseRole(cmd *redis.Cmd) (roleReply, error) {
	var r roleReply
	v, err := cmd.Slice()
	if err != nil {
		return r, err
	}
	if len(v) == 0 {
		return r, errors.New("empty ROLE reply")
	}
	r.role, _ = v[0].(string)
	switch r.role {
	case "master":
		if len(v) >= 2 {
			r.offset = toInt64(v[1])
		}
		if len(v) >= 3 {
			if rs, ok := v[2].([]any); ok {
				r.links = len(rs)
			}
		}
	case "slave":
		if len(v) >= 3 {
			host, _ := v[1].(string)
			port := fmt.Sprint(v[2])
			r.master = net.JoinHostPort(host, port)
		}
	}
	return r, nil
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// parseReplState reads INFO replication and INFO keyspace, as go-redis's
// InfoMap returns them (sections "Replication" and "Keyspace"). A reply
// without the section leaves its facts unknown.
func parseReplState(replication, keyspace map[string]map[string]string) replState {
	s := replState{asked: true}
	if r, ok := replication["Replication"]; ok {
		s.replID = replID(r["master_replid"])
		s.replID2 = replID(r["master_replid2"])
	}
	if ks, ok := keyspace["Keyspace"]; ok {
		s.keysKnown = true
		for db, v := range ks {
			if !strings.HasPrefix(db, "db") {
				continue
			}
			// keys=3,expires=0,avg_ttl=0
			for field := range strings.SplitSeq(v, ",") {
				if n, ok := strings.CutPrefix(field, "keys="); ok {
					k, err := strconv.ParseInt(n, 10, 64)
					if err != nil || k < 0 {
						s.keysKnown = false
						break
					}
					s.keys += k
				}
			}
		}
	}
	return s
}

// replID returns id, or "" when it is the all-zero id a server reports
// for no history.
func replID(id string) string {
	if strings.Trim(id, "0") == "" {
		return ""
	}
	return id
}

// election is what elect decided.
type election struct {
	// primary is the endpoint chosen; "" when none reports itself
	// primary (noPrimary) or the choice is ambiguous (splitBrain).
	primary string
	// replicas are the endpoints that report themselves replicas (and,
	// when ROLE was refused everywhere, the others that answered).
	replicas []string
	// claimants are the endpoints that report themselves primary, when
	// there are several.
	claimants []nodeReport
	// rule says how primary was chosen among several claimants.
	rule string
	// roleless: no endpoint could tell its role; primary is the first
	// that answered.
	roleless   bool
	splitBrain bool
	// reports are the reports elected from.
	reports []nodeReport
}

// elect chooses the primary among reports, which are in the endpoints'
// order: which endpoint of a primary/replica list is the primary, as a
// pure function of the endpoints' replies, apart from how the slot map is
// handed to go-redis (discovery.slots in replicas.go).
//
// One endpoint that reports itself primary is the primary. Several do
// after a role change that went wrong: a primary that died, was replaced
// by a promoted replica, and came back empty but still a primary; or an
// old primary cut off while a replica was promoted, left running beside
// it. StackExchange.Redis then counts the votes of its tie-breaker key
// (__Booksleeve_TieBreak, which it writes only when it promotes a node
// itself) and otherwise takes the first primary listed ("Choosing primary
// arbitrarily"), which sends the writes to the empty node in the first
// case. Here the choice follows the data, from INFO replication and INFO
// keyspace, in this order:
//
//  1. A primary whose master_replid2 is another's master_replid was
//     promoted out of that one's replication history: the other is the
//     old primary and loses (a replica promoted by REPLICAOF NO ONE, by a
//     sentinel or by FAILOVER keeps its old primary's replication id as
//     master_replid2).
//  2. Of the rest, the only one that holds keys (when each told its key
//     count): the others are empty, a primary restarted without its data.
//  3. Of the rest, the one with strictly the most connected replicas: the
//     replicas follow it.
//
// When none of these decides, the choice is ambiguous and nothing is
// chosen: the client refuses commands with ErrSplitBrain (naming the
// endpoints and what each reported) and its health check is Unhealthy,
// until an endpoint is demoted.
func elect(reports []nodeReport) election {
	e := election{reports: reports}
	var answered []string
	for _, r := range reports {
		switch {
		case r.err != nil:
		case r.role == "master":
			e.claimants = append(e.claimants, r)
		case r.role == "slave":
			e.replicas = append(e.replicas, r.addr)
		case r.roleErr != nil:
			answered = append(answered, r.addr)
		}
	}
	switch {
	case len(e.claimants) == 1:
		e.primary = e.claimants[0].addr
		e.claimants = nil
	case len(e.claimants) > 1:
		// The other claimants are not replicas of the one chosen: reading
		// from them would read another history.
		e.primary, e.rule = pick(e.claimants)
		e.splitBrain = e.primary == ""
	case len(answered) > 0:
		e.primary, e.roleless = answered[0], true
		e.replicas = append(e.replicas, answered[1:]...)
	}
	return e
}

// pick applies elect's rules to several claimants;
// it returns "" when none decides.
func pick(cands []nodeReport) (primary, rule string) {
	// 1. A primary promoted out of another's history supersedes it.
	var left []nodeReport
	for _, b := range cands {
		superseded := slices.ContainsFunc(cands, func(a nodeReport) bool {
			return a.addr != b.addr && a.repl.replID2 != "" && a.repl.replID2 == b.repl.replID
		})
		if !superseded {
			left = append(left, b)
		}
	}
	if len(left) == 1 {
		var old []string
		for _, c := range cands {
			if c.addr != left[0].addr {
				old = append(old, c.addr)
			}
		}
		return left[0].addr, "it was promoted out of the replication history of " + strings.Join(old, ", ") +
			" (its master_replid2 is their master_replid)"
	}
	if len(left) == 0 {
		return "", ""
	}
	// 2. The only one that holds data.
	if !slices.ContainsFunc(left, func(c nodeReport) bool { return !c.repl.keysKnown }) {
		var full []nodeReport
		for _, c := range left {
			if c.repl.keys > 0 {
				full = append(full, c)
			}
		}
		if len(full) == 1 {
			return full[0].addr, "it is the only one that holds keys"
		}
	}
	// 3. The one the replicas follow.
	best, tie := left[0], false
	for _, c := range left[1:] {
		switch {
		case c.links > best.links:
			best, tie = c, false
		case c.links == best.links:
			tie = true
		}
	}
	if !tie && best.links > 0 {
		return best.addr, "it has the most connected replicas"
	}
	return "", ""
}

// describe says what an endpoint that claims primary reported, for logs
// and errors (no secret: addresses, counts and replication ids).
func (r nodeReport) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d replica(s), replication offset %d", r.addr, r.links, r.offset)
	switch {
	case !r.repl.asked:
	case r.repl.err != nil:
		fmt.Fprintf(&b, ", INFO not readable (%v)", r.repl.err)
	default:
		if r.repl.keysKnown {
			fmt.Fprintf(&b, ", %d key(s)", r.repl.keys)
		}
		if r.repl.replID != "" {
			fmt.Fprintf(&b, ", master_replid %s", r.repl.replID)
		}
		if r.repl.replID2 != "" {
			fmt.Fprintf(&b, ", master_replid2 %s", r.repl.replID2)
		}
	}
	return b.String()
}

// askState sends INFO replication and INFO keyspace to r's endpoint
// through c, in one round trip.
func askState(ctx context.Context, c *redis.Client) replState {
	var repl, keys *redis.InfoCmd
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		repl = p.InfoMap(ctx, "replication")
		keys = p.InfoMap(ctx, "keyspace")
		return nil
	})
	if err := repl.Err(); err != nil {
		return replState{asked: true, err: err}
	}
	s := parseReplState(repl.Val(), keys.Val())
	if keys.Err() != nil {
		s.keysKnown = false
	}
	return s
}
