// Package keyed provides named Redis clients for uber fx: [Client]("chat")
// gives a redis.UniversalClient tagged name:"chat" (Aspire's AddKeyedRedisClient).
//
// A service that talks to more than one Redis server gives each one a
// name:
//
//	fx.New(
//		fxmodule.Module,
//		fx.Provide(rediscache.Client("cache")), // un-keyed redis.UniversalClient
//		fx.Provide(keyed.Client("chat")),       // redis.UniversalClient tagged name:"chat"
//		fx.Invoke(func(p struct {
//			fx.In
//			Cache redis.UniversalClient
//			Chat  redis.UniversalClient `name:"chat"`
//		}) { /* ... */ }),
//	)
//
// Each keyed client resolves its own ConnectionStrings:<name> and
// Aspire:StackExchange:Redis:<name> settings, has its own health check
// redis_keyed_<name> (distinct from an un-keyed client's redis_<name>) and
// its own telemetry, and is closed when the application stops. Providing
// two keyed clients of one name fails at fx.New with an error that names
// the client.
package keyed
