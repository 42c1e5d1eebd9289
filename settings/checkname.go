package settings

import "github.com/aspirego/redis/internal/keyedmark"

// keyDotNetHealthCheckNames is the Go-only key of
// Settings.DotNetHealthCheckNames.
const keyDotNetHealthCheckNames = "DotNetHealthCheckNames"

// The health check names of Aspire.StackExchange.Redis: AddRedisClient
// registers dotnetCheckName, AddKeyedRedisClient(name)
// dotnetCheckName + "_" + name.
const dotnetCheckName = "StackExchange.Redis"

func init() {
	keyedmark.Mark = func(s any) { s.(*Settings).keyed = true }
}

// UseDotNetHealthCheckNames gives the client's health check the name .NET
// gives it (see Settings.DotNetHealthCheckNames).
func UseDotNetHealthCheckNames() Option {
	return func(s *Settings) { s.DotNetHealthCheckNames = true }
}

// HealthCheckName returns the name of the client's Redis health check:
// redis_{name} for a client built by rediscache (New, Client,
// Constructor), redis_keyed_{name} for a keyed one (keyed.Client,
// distcache.Keyed), so that a plain and a keyed client of one name get a
// check each; with Settings.DotNetHealthCheckNames, the names .NET gives:
// StackExchange.Redis and StackExchange.Redis_{name}.
func (r *Resolved) HealthCheckName() string {
	switch s := &r.Settings; {
	case s.DotNetHealthCheckNames && s.keyed:
		return dotnetCheckName + "_" + r.Name
	case s.DotNetHealthCheckNames:
		return dotnetCheckName
	case s.keyed:
		return "redis_keyed_" + r.Name
	}
	return "redis_" + r.Name
}
