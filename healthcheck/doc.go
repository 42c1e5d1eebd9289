// Package healthcheck serves /health and /alive the way an Aspire service
// does: [New] builds a [Checker] from checks such as [Redis], and you mount
// its [Checker.HealthHandler] and [Checker.AliveHandler].
//
// With fx, fxmodule.Module does this for every client's check. /health
// tells whether the service is ready to take traffic (every check, Redis
// included), /alive whether the process is alive (only checks tagged
// [TagLive]).
//
// # Checks
//
// A [Check] is a name, tags, a timeout and a func(ctx) error. [Redis]
// builds the check of one Redis client, named "redis_<name>". [New] builds
// a [Checker] from checks, dropping later checks whose name was already
// seen (Aspire's TryAddHealthCheck semantics), and adds an always-healthy
// check named "self" tagged [TagLive], as the Aspire service defaults do.
//
// A request runs the selected checks concurrently, each under its own
// deadline (its Timeout, [DefaultTimeout] when zero). A check that does
// not return in time is reported Unhealthy ("timed out") at its deadline,
// even if it ignores its context; a check that panics is reported
// Unhealthy ("panicked"). Concurrent requests share runs: at most one run
// of a check is in flight at a time, and a request that arrives while it
// runs waits for it under its own deadline. So a dependency that hangs
// costs one goroutine, not one per request, and that goroutine ends when
// the check's Run returns. A Run must therefore honour its context; the
// Redis check does.
//
// # Endpoints
//
// [Checker.HealthHandler] serves /health and [Checker.AliveHandler]
// /alive, at whatever path they are mounted. They answer GET and HEAD
// (anything else gets 405 with an Allow header):
//
//	path     runs                  answers
//	/health  every check           200 "Healthy", 200 "Degraded" or 503 "Unhealthy"
//	/alive   checks tagged "live"  200 "Healthy", 200 "Degraded" or 503 "Unhealthy"
//
// A report is as bad as its worst check. A check is [Degraded] when its
// Run returns an error made by [Degrade]: it works for now but needs
// attention (the Entra ID check of package azureauth reports a failed
// token refresh this way while the current token is valid). As in ASP.NET
// Core, Degraded answers 200; [WithStatusCode] changes the code of any
// status.
//
// The body is text/plain, as in ASP.NET Core. Redis being down makes
// /health answer 503 and leaves /alive at 200: an orchestrator should stop
// sending traffic, not restart the process. Responses carry
// "Cache-Control: no-store, no-cache", "Pragma: no-cache" and an expired
// "Expires", so no cache answers a probe. The Aspire service defaults map
// these endpoints in Development only; here the service decides where to
// mount them, and without [WithDetails] they reveal nothing but statuses
// and check names.
//
// # JSON
//
// A request with "Accept: application/json" gets a JSON report in the
// shape of the HealthChecks.UI.Client writer common in ASP.NET Core
// services, with durations as .NET TimeSpan strings
// ("[d.]hh:mm:ss[.fffffff]"):
//
//	{
//	  "status": "Unhealthy",
//	  "totalDuration": "00:00:00.0021300",
//	  "entries": {
//	    "self":        {"status": "Healthy",   "duration": "00:00:00.0000004", "tags": ["live"]},
//	    "redis_cache": {"status": "Unhealthy", "duration": "00:00:00.0020811", "tags": [],
//	                    "description": "PING: dial tcp 127.0.0.1:6379: connect: connection refused"}
//	  }
//	}
//
// "description", the check's error text, appears only with [WithDetails]
// (off by default) and only after redaction: the check's own secrets (its
// Redact) and what looks like a password are masked, then every
// [WithRedact] function runs. With [WithDetails] too, "data" holds what a
// check attaches to its entry whatever its status (Check.Data), such as
// the Redis check's "tls": "TLS certificate verification is off", redacted
// the same way. The text is never more
// than what the check returned (or the checker's own "timed out" or
// "panicked"); a panic value is not shown.
//
// # Mounting
//
// On a net/http mux:
//
//	checker, err := healthcheck.New(healthcheck.Redis("cache", client, 5*time.Second))
//	if err != nil { ... }
//	mux := http.NewServeMux()
//	mux.Handle("GET /health", checker.HealthHandler())
//	mux.Handle("GET /alive", checker.AliveHandler())
//
// With fx, modules contribute checks to the value group named [Group], and
// fxmodule.Module builds the checker from it and provides a handler of
// both paths.
//
// # Aspire AppHost
//
// An AppHost waits for the service, and the dashboard shows its health,
// when the resource declares the endpoint:
//
//	builder.AddExecutable("api", "go", "../api", "run", ".")
//	       .WithHttpEndpoint(env: "PORT")
//	       .WithHttpHealthCheck("/health");
//
// WithHttpHealthCheck polls the path and treats a 2xx answer as healthy.
//
// # Kubernetes
//
// Use /alive for the liveness probe (restarting the process fixes what a
// live check detects, never an unreachable Redis) and /health for the
// readiness probe (a pod whose Redis is down stops receiving traffic).
// Mount the handlers at /livez and /readyz if that is the cluster's
// convention. Keep the probe's timeoutSeconds above the checks' timeouts,
// or the probe gives up before the checker answers:
//
//	livenessProbe:
//	  httpGet: {path: /alive, port: 8080}
//	readinessProbe:
//	  httpGet: {path: /health, port: 8080}
//	  timeoutSeconds: 6
package healthcheck
