// Package healthjson is the JSON health report that package healthcheck's
// handlers write, in the shape of the HealthChecks.UI.Client writer common
// in ASP.NET Core services, and the one place that shape is defined: the
// handlers write it, redis-doctor and the module's tests read it. Routes
// is the one handler of both endpoints, /health and /alive.
package healthjson
