package healthcheck

import (
	"context"
	"errors"
	"time"
)

// TagLive marks a check that belongs to the liveness endpoint (/alive). A
// check without it runs only on /health. Dependencies such as Redis are not
// live: a restart does not fix an unreachable server.
const TagLive = "live"

// Group is the name of the fx value group through which modules contribute
// checks: a constructor annotated with `group:"health_checks"` (or
// `group:"health_checks,flatten"` for a []Check) adds its checks, and the
// checker is built from `group:"health_checks"`, e.g.
// fx.Annotate(healthcheck.New, fx.ParamTags(`group:"health_checks"`)).
// fx does not order a value group, so when two contributions share a name
// which one [New] keeps is unspecified.
const Group = "health_checks"

// DefaultTimeout bounds one run of a check whose Timeout is zero.
const DefaultTimeout = 5 * time.Second

// SelfName is the name of the always-healthy check, tagged [TagLive], that
// every [Checker] contains (the "self" check of the Aspire service
// defaults). A check of the same name passed to [New] is dropped.
const SelfName = "self"

// Check is one health check.
type Check struct {
	// Name identifies the check in reports. Names are unique within a
	// Checker: the first check with a name wins, later ones are dropped.
	Name string
	// Tags select the endpoints the check runs on; [TagLive] adds it to
	// /alive. Every check runs on /health.
	Tags []string
	// Timeout bounds one run; zero means [DefaultTimeout]. Run's context
	// ends slightly earlier (by a twentieth of Timeout, at most 100ms), so
	// that a check honouring it can still report why it failed before the
	// caller stops waiting.
	Timeout time.Duration
	// Run reports a failure by returning an error. It must honour ctx: it
	// should return soon after ctx is done. A Run that ignores ctx cannot
	// hold up a request past Timeout (the request reports it as timed
	// out), but the goroutine running it lives until Run returns, and no
	// new run of the check starts before then. Run may be called from
	// several goroutines over time, never concurrently with itself.
	Run func(ctx context.Context) error
	// Data is what the check wants a reader of the JSON report to know
	// whatever its status, such as a warning about its configuration
	// ("tls": "TLS certificate verification is off"). With [WithDetails]
	// it is the "data" object of the check's entry (the HealthChecks.UI
	// shape), scrubbed like error texts. It does not change the status.
	Data map[string]string
	// Redact masks the check's own secrets (the passwords of its client)
	// wherever they turn up in its error text and Data, before a handler
	// shows them, whatever they look like: the pattern scrubbing every
	// report gets cannot tell where a password with a comma ends. It runs
	// first, then the pattern scrubbing, then [WithRedact]'s function. Nil
	// means pattern scrubbing only. rediscache sets it for its clients.
	Redact func(string) string
}

// hasTag reports whether c carries tag.
func (c Check) hasTag(tag string) bool {
	for _, t := range c.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Status is the outcome of a check or of a whole report. The zero value is
// Unhealthy, so a status nobody set never reads as healthy.
type Status uint8

const (
	// Unhealthy means the check failed, timed out or panicked.
	Unhealthy Status = iota
	// Healthy means the check returned nil in time.
	Healthy
	// Degraded means the check works for now but reports a problem that
	// will become a failure if nobody acts, such as a credential that
	// could not be refreshed while the current one is still valid. A check
	// reports it by returning an error made by [Degrade]. As in ASP.NET
	// Core, /health answers 200 "Degraded" by default (see
	// [WithStatusCode]).
	Degraded
)

// String returns "Healthy", "Degraded" or "Unhealthy", the names ASP.NET
// Core uses.
func (s Status) String() string {
	switch s {
	case Healthy:
		return "Healthy"
	case Degraded:
		return "Degraded"
	}
	return "Unhealthy"
}

// rank orders statuses from worst to best: a report's status is the worst
// of its results'.
func (s Status) rank() int {
	switch s {
	case Healthy:
		return 2
	case Degraded:
		return 1
	}
	return 0
}

// Degrade marks err as a warning rather than a failure: a check whose Run
// returns Degrade(err) is reported [Degraded] with err as its error.
// Degrade(nil) is nil (Healthy). A degraded error that arrives after the
// check's deadline still counts as a timeout (Unhealthy).
func Degrade(err error) error {
	if err == nil {
		return nil
	}
	return &degradedError{err: err}
}

// degradedError is the error of a [Degraded] check (see [Degrade]). Its
// message is the message of err, which it wraps.
type degradedError struct{ err error }

func (e *degradedError) Error() string { return e.err.Error() }
func (e *degradedError) Unwrap() error { return e.err }

// statusOf maps what a check produced to its status.
func statusOf(err error) Status {
	var de *degradedError
	switch {
	case err == nil:
		return Healthy
	case errors.Is(err, errTimeout), errors.Is(err, errAbandoned):
		return Unhealthy
	case errors.As(err, &de):
		return Degraded
	}
	return Unhealthy
}

// result is the outcome of one check within a report.
type result struct {
	// Name is the check's name, e.g. "redis_cache".
	Name string
	// Tags are the check's tags, e.g. "live" for the /alive checks.
	Tags []string
	// Status is Healthy or Unhealthy.
	Status Status
	// Duration is how long the run took or, when the request stopped
	// waiting for it, how long the request waited.
	Duration time.Duration
	// Err is nil when Status is Healthy. It is the error Run returned (a
	// *degradedError when Status is Degraded), an
	// error wrapping errTimeout when the check did not finish in time
	// (and also Run's error if Run returned one after its deadline),
	// errAbandoned when the caller's context was cancelled first, or
	// errPanicked when Run panicked. It is what the check
	// produced, unredacted: the HTTP handlers show it only with
	// [WithDetails], and only after redaction.
	Err error
	// Data is the check's Data (see [Check]), unscrubbed; shared between
	// reports, so read it, do not modify it.
	Data map[string]string

	redact func(string) string // the check's, for the handlers
}

// report is the outcome of one run of a set of checks.
type report struct {
	// Status is the worst status of the results: Unhealthy if any is,
	// else Degraded if any is, else Healthy (also when there are no
	// results).
	Status Status
	// Duration is the wall time of the whole run.
	Duration time.Duration
	// Results holds one entry per selected check, in registration order.
	Results []result
}

// errTimeout is wrapped by the error of a check that did not finish before
// its deadline.
var errTimeout = errors.New("health check timed out")

// errAbandoned is wrapped by the error of a check the caller stopped
// waiting for because its context was cancelled.
var errAbandoned = errors.New("health check abandoned")

// ErrInvalidCheck is wrapped by the errors [New] returns for a check
// without a name or Run function, or with a negative timeout.
var ErrInvalidCheck = errors.New("invalid health check")

// errPanicked is the error of a check whose Run panicked. It does not
// include the panic value, which the check did not mean to report.
var errPanicked = errors.New("health check panicked")
