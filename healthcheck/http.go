package healthcheck

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

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
// A check's own Scrubber (see [Check]) runs before both.
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

// Handler returns an http.Handler that serves GET and HEAD on two paths:
// /health runs every check (readiness: "ready to accept traffic") and
// /alive runs the checks tagged [TagLive], including "self" (liveness).
// Any other path gets 404. Mount it at the root of a mux, or under a
// prefix with [http.StripPrefix]. See the package documentation for the
// responses.
func (c *Checker) Handler(opts ...HandlerOption) http.Handler {
	health := c.HealthHandler(opts...)
	alive := c.AliveHandler(opts...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			health.ServeHTTP(w, r)
		case "/alive":
			alive.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// HealthHandler returns the handler of /health (every check) for mounting
// at any path, such as a Kubernetes readiness probe's /readyz.
func (c *Checker) HealthHandler(opts ...HandlerOption) http.Handler {
	return &handler{checker: c, cfg: newHandlerConfig(opts)}
}

// AliveHandler returns the handler of /alive (the checks tagged
// [TagLive]) for mounting at any path, such as a Kubernetes liveness
// probe's /livez.
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
	rep := h.checker.Run(r.Context(), h.tags...)

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

// jsonReport is the JSON form of a Report. Its shape follows the
// HealthChecks.UI.Client response writer widely used with ASP.NET Core, so
// tools that read that format can read this one.
type jsonReport struct {
	Status        Status               `json:"status"`
	TotalDuration string               `json:"totalDuration"`
	Entries       map[string]jsonEntry `json:"entries"`
}

type jsonEntry struct {
	Status      Status            `json:"status"`
	Duration    string            `json:"duration"`
	Tags        []string          `json:"tags"`
	Description string            `json:"description,omitempty"`
	Data        map[string]string `json:"data,omitempty"`
}

func (h *handler) json(rep Report) []byte {
	out := jsonReport{
		Status:        rep.Status,
		TotalDuration: timeSpan(rep.Duration),
		Entries:       make(map[string]jsonEntry, len(rep.Results)),
	}
	for _, r := range rep.Results {
		e := jsonEntry{Status: r.Status, Duration: timeSpan(r.Duration), Tags: r.Tags}
		if e.Tags == nil {
			e.Tags = []string{}
		}
		if h.cfg.details && r.Err != nil {
			e.Description = h.redact(r.scrubber, r.Err.Error())
		}
		if h.cfg.details && len(r.Data) > 0 {
			e.Data = make(map[string]string, len(r.Data))
			for k, v := range r.Data {
				e.Data[h.redact(r.scrubber, k)] = h.redact(r.scrubber, v)
			}
		}
		out.Entries[r.Name] = e
	}
	b, err := json.Marshal(out)
	if err != nil { // cannot happen: strings, statuses and maps of them
		return []byte(`{"status":"Unhealthy"}`)
	}
	return append(b, '\n')
}

// redact masks the check's own secrets (sc, may be nil), then what looks
// like a password, then applies the WithRedact steps.
func (h *handler) redact(sc *redact.Scrubber, s string) string {
	s = sc.Scrub(s)
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

// timeSpan formats d as a .NET TimeSpan does by default
// ("[-][d.]hh:mm:ss[.fffffff]"), e.g. "00:00:00.0012345".
func timeSpan(d time.Duration) string {
	var b []byte
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	ticks := int64(d / 100) // 100 ns, the TimeSpan resolution
	frac := ticks % 10_000_000
	secs := ticks / 10_000_000
	days := secs / 86400
	secs %= 86400
	if days > 0 {
		b = strconv.AppendInt(b, days, 10)
		b = append(b, '.')
	}
	b = append2(b, secs/3600)
	b = append(b, ':')
	b = append2(b, secs/60%60)
	b = append(b, ':')
	b = append2(b, secs%60)
	if frac != 0 {
		b = append(b, '.')
		s := strconv.FormatInt(frac, 10)
		for range 7 - len(s) {
			b = append(b, '0')
		}
		b = append(b, s...)
	}
	return string(b)
}

func append2(b []byte, n int64) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}
