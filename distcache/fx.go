package distcache

import (
	"fmt"
	"slices"

	"go.uber.org/fx"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/keyedmark"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// instanceNameKey is the key, under settings.SectionKey
// (Aspire:StackExchange:Redis) and under its named section
// (Aspire:StackExchange:Redis:{name}, which wins), that Cache and Keyed
// read InstanceName from. Aspire binds no configuration to
// RedisCacheOptions (microsoft/aspire#20292): this key is Go's, and the
// .NET service reads it itself (see docs/distributed-cache.md). .NET's
// settings binder ignores it.
const instanceNameKey = "InstanceName"

// withClientOptions passes settings options to the client that Cache and
// Keyed build (Keyed marks its client keyed with it). New, which is given
// a client, ignores them.
func withClientOptions(opts ...settings.Option) Option {
	return func(o *options) { o.client = append(o.client, opts...) }
}

// registration marks one provided cache, so that two caches of one name
// fail at fx.New with an error that names the cache.
type registration struct{}

// Cache returns an fx constructor for the distributed cache over the
// connection called name: use it as fx.Provide(distcache.Cache("cache")).
// It provides a *RedisCache, the counterpart of Aspire's
// AddRedisDistributedCache(name). Its client is built as
// rediscache.Client(name) builds one (ConnectionStrings:{name}, the
// Aspire:StackExchange:Redis sections, the {NAME}_URI properties), with
// the same telemetry,
// health check redis_{name} and lifecycle; InstanceName comes from
// WithInstanceName, else the configuration key
// Aspire:StackExchange:Redis:{name}:InstanceName, else
// Aspire:StackExchange:Redis:InstanceName.
func Cache(name string, opts ...Option) any {
	ctor := constructor(name, opts)
	return fx.Annotate(
		func(p rediscache.Params) (registration, *RedisCache, []healthcheck.Check, error) {
			c, checks, err := ctor(p)
			return registration{}, c, checks, err
		},
		fx.ResultTags(`name:"distcache.Cache(`+name+`)"`, ``, rediscache.GroupTag),
	)
}

// Keyed is Cache for a keyed cache: the *RedisCache is provided under the
// fx tag name:"<name>", like Aspire's AddKeyedRedisDistributedCache(name).
// Inject it with an fx.In field tagged name:"<name>".
//
// Its health check has the keyed client's name (redis_keyed_{name}, see
// keyed.Client), shared with a keyed.Client of the same name.
func Keyed(name string, opts ...Option) any {
	// Marked keyed for the name of its health check.
	keyed := withClientOptions(func(s *settings.Settings) { keyedmark.Mark(s) })
	ctor := constructor(name, append(slices.Clip(opts), keyed))
	return fx.Annotate(
		func(p rediscache.Params) (registration, *RedisCache, []healthcheck.Check, error) {
			c, checks, err := ctor(p)
			return registration{}, c, checks, err
		},
		fx.ResultTags(`name:"distcache.Keyed(`+name+`)"`, `name:"`+name+`"`, rediscache.GroupTag),
	)
}

// constructor builds the client with rediscache.Constructor and the cache
// over it.
func constructor(name string, opts []Option) func(rediscache.Params) (*RedisCache, []healthcheck.Check, error) {
	o := resolveOptions(opts)
	return func(p rediscache.Params) (*RedisCache, []healthcheck.Check, error) {
		// The configuration the client is resolved from, loaded once here
		// and handed to rediscache as it is, so that InstanceName comes
		// from the same place.
		if p.Config == nil {
			cfg, err := settings.LoadConfig(settings.LoadOptions{})
			if err != nil {
				return nil, nil, fmt.Errorf("distcache: cache %q: %w", name, err)
			}
			p.Config = cfg
		}
		for _, over := range p.Overlays {
			p.Config = p.Config.Merge(over)
		}
		p.Overlays = nil
		client, checks, err := rediscache.Constructor(name, o.client...)(p)
		if err != nil {
			return nil, nil, err
		}
		cacheOpts := append([]Option{}, opts...)
		if !o.instanceNameSet {
			if v, ok := instanceName(p.Config, name); ok {
				cacheOpts = append(cacheOpts, WithInstanceName(v))
			}
		}
		return New(client, cacheOpts...), checks, nil
	}
}

// instanceName reads instanceNameKey, the named section first.
func instanceName(cfg *settings.Config, name string) (string, bool) {
	if v, ok := cfg.String(settings.SectionKey + ":" + name + ":" + instanceNameKey); ok {
		return v, true
	}
	return cfg.String(settings.SectionKey + ":" + instanceNameKey)
}
