package instrument

import (
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// SemconvStabilityEnv is the environment variable through which
// OpenTelemetry instrumentations let a user choose between old and current
// semantic conventions during a migration. Its value is a comma-separated
// list; this package reads the database category from it (see
// [Conventions]).
const SemconvStabilityEnv = "OTEL_SEMCONV_STABILITY_OPT_IN"

// Conventions selects which database semantic-convention names spans
// carry, besides the current ones (db.system.name, db.operation.name,
// db.namespace, db.query.text, server.*), which are always there.
type Conventions uint8

const (
	// ConventionsEnv, the zero value, lets OTEL_SEMCONV_STABILITY_OPT_IN
	// choose when Instrument runs (see EnvConventions): database =
	// ConventionsStable, database/dup = ConventionsDup, otherwise
	// ConventionsAspire.
	ConventionsEnv Conventions = iota
	// ConventionsAspire, the default, adds db.system=redis, the one old
	// name the Aspire dashboard needs: it builds its span summary
	// ("DATA redis GET") and database icon from db.system only.
	ConventionsAspire
	// ConventionsStable records the current names only
	// (OTEL_SEMCONV_STABILITY_OPT_IN=database).
	ConventionsStable
	// ConventionsDup records the current names and, beside them, the
	// names of semantic conventions v1.24 that the database migration
	// guide maps to them: db.system, db.operation,
	// db.redis.database_index and, with Config.QueryText, db.statement
	// (OTEL_SEMCONV_STABILITY_OPT_IN=database/dup).
	ConventionsDup
)

// String returns the value of OTEL_SEMCONV_STABILITY_OPT_IN that selects
// c: "database", "database/dup", "" for ConventionsAspire and "env" for
// ConventionsEnv.
func (c Conventions) String() string {
	switch c {
	case ConventionsEnv:
		return "env"
	case ConventionsStable:
		return "database"
	case ConventionsDup:
		return "database/dup"
	}
	return ""
}

// resolve returns c, or for ConventionsEnv what the environment selects.
func (c Conventions) resolve() Conventions {
	if c == ConventionsEnv {
		return EnvConventions()
	}
	return c
}

// EnvConventions reads OTEL_SEMCONV_STABILITY_OPT_IN: "database/dup"
// anywhere in the list wins over "database" (as the conventions say);
// other categories (http, messaging) and unknown values are ignored.
func EnvConventions() Conventions {
	return parseConventions(os.Getenv(SemconvStabilityEnv))
}

func parseConventions(v string) Conventions {
	c := ConventionsAspire
	for item := range strings.SplitSeq(v, ",") {
		switch strings.ToLower(strings.TrimSpace(item)) {
		case "database/dup":
			return ConventionsDup
		case "database":
			c = ConventionsStable
		}
	}
	return c
}

// Old (semantic conventions v1.24) attribute names, recorded on spans by
// ConventionsAspire (db.system) and ConventionsDup (all of them). They are
// not in the semconv package versions this module uses any more.
const (
	oldDBSystem        = attribute.Key("db.system")
	oldDBOperation     = attribute.Key("db.operation")
	oldDBStatement     = attribute.Key("db.statement")
	oldDBRedisDatabase = attribute.Key("db.redis.database_index")
)

// oldDBSystemRedis is db.system=redis.
var oldDBSystemRedis = oldDBSystem.String("redis")

// oldEndpointAttrs are the old attributes of an endpoint's spans.
func (c Conventions) oldEndpointAttrs(db int) []attribute.KeyValue {
	switch c {
	case ConventionsAspire:
		return []attribute.KeyValue{oldDBSystemRedis}
	case ConventionsDup:
		return []attribute.KeyValue{oldDBSystemRedis, oldDBRedisDatabase.Int(db)}
	}
	return nil
}
