package fxmodule

import (
	"fmt"
	"strings"

	"github.com/aspirego/redis/healthcheck"
)

// rejectUngroupedChecks fails start when health checks were provided as a
// plain []healthcheck.Check: what a constructor such as
// rediscache.Constructor gives when it is annotated with fx.ResultTags but
// without rediscache.GroupTag for its checks. Nothing reads that type, so
// the checks would be missing from /health without a word.
func rejectUngroupedChecks(checks []healthcheck.Check) error {
	if len(checks) == 0 {
		return nil
	}
	names := make([]string, len(checks))
	for i, c := range checks {
		names[i] = c.Name
	}
	return fmt.Errorf("fxmodule: health checks %s were provided as a plain []healthcheck.Check, which nothing reads, so /health would not run them: "+
		"give the checks result the tag rediscache.GroupTag, e.g. fx.ResultTags(`name:\"chat\"`, rediscache.GroupTag)",
		strings.Join(names, ", "))
}
