package healthcheck

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/aspirego/redis/internal/redact"
)

// HandlerOption configures the HTTP handlers.
type HandlerOption interface {
	apply(*handlerConfig)
}

type handlerConfig struct {
	details bool
	redact  func(string) string
	codes   map[Status]int // overrides of defaultStatusCode
}

type optionFunc func(*handlerConfig)

func (f optionFunc) apply(c *handlerConfig) { f(c) }

// WithDetails adds each failing check's error text ("description"), and
// each check's Data ("data", see [Check]), to the JSON report. It is off by default: error texts can name hosts, ports and
// users, which a public health endpoint should not reveal. The text is
// scrubbed (see [WithRedact]) before it is written.
func WithDetails() HandlerOption {
	return optionFunc(func(c *handlerConfig) { c.details = true })
}

// WithRedact adds a redaction step for the error texts that [WithDetails]
// shows. The handler always scrubs what looks like a password first
// ("password=…" pieces, including sentinelPassword=, and the password in
// URI user info); fn then receives the scrubbed text and returns what may
// be shown. A nil fn is ignored; several WithRedact options run in order.
//
// A check's own Redact (see [Check]) runs before both.
//
// The error text is only ever what the check returned (or the checker's
// own "timed out"/"panicked" text, which holds no data from the check).
// Checks are responsible for not putting secrets into their errors; the
// redaction steps are a second line of defence.
func WithRedact(fn func(string) string) HandlerOption {
	return optionFunc(func(c *handlerConfig) {
		if fn == nil {
			return
		}
		if prev := c.redact; prev != nil {
			c.redact = func(s string) string { return fn(prev(s)) }
		} else {
			c.redact = fn
		}
	})
}

// WithStatusCode sets the HTTP status code answered for a report of
// status s. The defaults are ASP.NET Core's: 200 for Healthy and Degraded,
// 503 for Unhealthy. A code outside 200-599 is ignored. To take a
// degraded service out of rotation, use WithStatusCode(Degraded, 503).
func WithStatusCode(s Status, code int) HandlerOption {
	return optionFunc(func(c *handlerConfig) {
		if code < 200 || code > 599 {
			return
		}
		if c.codes == nil {
			c.codes = make(map[Status]int)
		}
		c.codes[s] = code
	})
}

// statusCode is the HTTP status code of a report of status s.
func (c *handlerConfig) statusCode(s Status) int {
	if code, ok := c.codes[s]; ok {
		return code
	}
	if s == Unhealthy {
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}

func newHandlerConfig(opts []HandlerOption) handlerConfig {
	var cfg handlerConfig
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	return cfg
}

// HealthHandler returns the handler of /health: every check, "ready to
// accept traffic". Mount it at any path, such as a Kubernetes readiness
// probe's /readyz. It answers GET and HEAD; see the package documentation
// for the responses.
func (c *Checker) HealthHandler(opts ...HandlerOption) http.Handler {
	return &handler{checker: c, cfg: newHandlerConfig(opts)}
}

// AliveHandler returns the handler of /alive: the checks tagged
// [TagLive], including "self", "the process is alive". Mount it at any
// path, such as a Kubernetes liveness probe's /livez.
func (c *Checker) AliveHandler(opts ...HandlerOption) http.Handler {
	return &handler{checker: c, tags: []string{TagLive}, cfg: newHandlerConfig(opts)}
}

type handler struct {
	checker *Checker
	tags    []string
	cfg     handlerConfig
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	rep := h.checker.run(r.Context(), h.tags...)

	// The same headers as ASP.NET Core's health check middleware, so no
	// cache or proxy ever answers a probe with an old status.
	hdr.Set("Cache-Control", "no-store, no-cache")
	hdr.Set("Pragma", "no-cache")
	hdr.Set("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
	hdr.Set("Vary", "Accept")
	hdr.Set("X-Content-Type-Options", "nosniff")

	code := h.cfg.statusCode(rep.Status)
	var body []byte
	if acceptsJSON(r.Header.Values("Accept")) {
		hdr.Set("Content-Type", "application/json")
		body = h.json(rep)
	} else {
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
		body = []byte(rep.Status.String())
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// redact masks the check's own secrets (own, may be nil), then what looks
// like a password, then applies the WithRedact steps.
func (h *handler) redact(own func(string) string, s string) string {
	if own != nil {
		s = own(s)
	}
	s = redact.Scrub(s)
	if h.cfg.redact != nil {
		s = h.cfg.redact(s)
	}
	return s
}

// scrub masks what looks like a password in an error text, with the
// module's one scrubber (redact.Scrub).
func scrub(s string) string { return redact.Scrub(s) }

// acceptsJSON reports whether an Accept header asks for application/json
// (or any +json type) with a non-zero quality.
func acceptsJSON(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}
