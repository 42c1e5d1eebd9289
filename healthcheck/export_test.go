package healthcheck

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/aspirego/redis/internal/healthjson"
)

// What the external tests reach of the checker's engine, which the public
// API shows only through the HTTP handlers.
type (
	Report        = report
	Result        = result
	DegradedError = degradedError
)

var (
	ErrTimeout   = errTimeout
	ErrAbandoned = errAbandoned
	ErrPanicked  = errPanicked
)

// Run is run.
func (c *Checker) Run(ctx context.Context, tags ...string) Report { return c.run(ctx, tags...) }

// HasTag is hasTag.
func (c Check) HasTag(tag string) bool { return c.hasTag(tag) }

// Both serves /health and /alive, any other path 404, as fxmodule.Module's
// handler does.
func (c *Checker) Both(opts ...HandlerOption) http.Handler {
	return healthjson.Routes(c.HealthHandler(opts...), c.AliveHandler(opts...))
}

// UnmarshalText decodes what the JSON report holds (Status.String), for
// the tests that read reports into Status fields.
func (s *Status) UnmarshalText(b []byte) error {
	for _, st := range []Status{Healthy, Degraded, Unhealthy} {
		if strings.EqualFold(string(b), st.String()) {
			*s = st
			return nil
		}
	}
	return fmt.Errorf("unknown status %.32q", b)
}
