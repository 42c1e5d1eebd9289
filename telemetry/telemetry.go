package telemetry

import (
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspirego/redis/internal/instrument"
)

// Config selects what Instrument records for one client and where it
// goes. The zero value traces and measures through the otel globals.
type Config struct {
	// Name is the client's name (the Aspire connection name), reported as
	// db.client.connection.pool.name. Empty: the server address.
	Name string
	// TracerProvider receives the spans. Nil: otel.GetTracerProvider() at
	// the time of Instrument; while that is still otel's default provider
	// (no SDK installed yet) nothing is traced, and tracing starts when
	// otel.SetTracerProvider is called.
	TracerProvider trace.TracerProvider
	// MeterProvider receives the metrics. Nil: otel.GetMeterProvider(), in
	// the same way.
	MeterProvider metric.MeterProvider
	// DisableTracing records no spans; DisableMetrics no metrics. With both
	// set Instrument installs nothing at all.
	DisableTracing, DisableMetrics bool
	// QueryText records a sanitised db.query.text on spans: the command,
	// its key and a "?" for every other argument. Keys may be personal
	// data, so it is off by default. Arguments of AUTH, HELLO and MIGRATE
	// are never recorded.
	QueryText bool
	// ConnectionSetup also records the commands go-redis sends when it
	// opens a connection (HELLO, AUTH, SELECT, READONLY, CLIENT SETNAME,
	// SETINFO, MAINT_NOTIFICATIONS, TRACKING), which are otherwise skipped
	// like the dial itself. The same commands sent by the application are
	// skipped too unless this is set.
	ConnectionSetup bool
	// Conventions chooses the old semantic-convention names spans carry
	// beside the current ones. The zero value, ConventionsEnv, follows
	// OTEL_SEMCONV_STABILITY_OPT_IN and by default adds db.system=redis,
	// which the Aspire dashboard needs. Metrics always carry the current
	// names only. Ignored with Redisotel.
	Conventions Conventions
	// Redisotel instruments the client with go-redis' own redisotel
	// package instead of this package's hooks, for dashboards built on its
	// names (semantic conventions v1.24). It costs about twice as much CPU
	// per command as this package's hooks; see the package documentation.
	// stop unregisters its pool callbacks but cannot remove its hooks.
	Redisotel bool
}

// Instrument installs tracing and metrics hooks on client, which must be a
// *redis.Client (standalone or sentinel-managed), a *redis.ClusterClient or
// a *redis.Ring, as returned by redis.NewUniversalClient. Call it right
// after creating the client, before its first command: cluster and ring
// node clients created earlier report the configured seed address instead
// of their own.
//
// The returned stop unregisters the pool-metric callbacks (so a closed
// client is no longer kept alive by the meter provider) and turns the
// hooks into pass-throughs; go-redis has no way to remove a hook. stop is
// safe to call more than once.
//
// With DisableTracing and DisableMetrics both set nothing is installed and
// stop does nothing.
func Instrument(client redis.UniversalClient, cfg Config) (stop func() error, err error) {
	return instrument.Instrument(client, instrument.Config(cfg))
}

// Conventions selects which database semantic-convention names spans
// carry, besides the current ones (db.system.name, db.operation.name,
// db.namespace, db.query.text, server.*), which are always there. Its
// String method returns the value of OTEL_SEMCONV_STABILITY_OPT_IN that
// selects it.
type Conventions = instrument.Conventions

const (
	// ConventionsEnv, the zero value, lets the environment variable
	// OTEL_SEMCONV_STABILITY_OPT_IN choose when Instrument runs: database
	// = ConventionsStable, database/dup = ConventionsDup (it wins when
	// both are listed), otherwise ConventionsAspire.
	ConventionsEnv = instrument.ConventionsEnv
	// ConventionsAspire, the default, adds db.system=redis, the one old
	// name the Aspire dashboard needs: it builds its span summary
	// ("DATA redis GET") and database icon from db.system only.
	ConventionsAspire = instrument.ConventionsAspire
	// ConventionsStable records the current names only
	// (OTEL_SEMCONV_STABILITY_OPT_IN=database).
	ConventionsStable = instrument.ConventionsStable
	// ConventionsDup records the current names and, beside them, the
	// names of semantic conventions v1.24 that the database migration
	// guide maps to them: db.system, db.operation,
	// db.redis.database_index and, with Config.QueryText, db.statement
	// (OTEL_SEMCONV_STABILITY_OPT_IN=database/dup).
	ConventionsDup = instrument.ConventionsDup
)

// ScopeName is the instrumentation scope of every span and metric this
// package records.
const ScopeName = instrument.ScopeName

// ErrUnsupportedClient is returned by Instrument for a client type it
// cannot instrument (anything but *redis.Client, *redis.ClusterClient and
// *redis.Ring).
var ErrUnsupportedClient = instrument.ErrUnsupportedClient
