package keyed

import (
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/fxerr"
	"github.com/aspirego/redis/internal/keyedmark"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// registration marks one keyed client, so that two keyed clients of one
// name fail at fx.New with an error that names the client.
type registration struct{}

// Client returns an fx constructor for the client called name, provided as
// a redis.UniversalClient under the fx tag name:"<name>": use it as
// fx.Provide(keyed.Client("chat")) and inject it with an fx.In field tagged
// name:"chat" or fx.ParamTags(`name:"chat"`).
//
// It resolves exactly as rediscache.Client does (ConnectionStrings:chat,
// the Aspire:StackExchange:Redis sections, then opts), and each keyed
// client is an instance of its own with its own health check,
// redis_keyed_<name> (StackExchange.Redis_<name> with
// Settings.DotNetHealthCheckNames), distinct from the check of an
// un-keyed client of the same name.
func Client(name string, opts ...settings.Option) any {
	ctor := rediscache.Constructor(name, append(slices.Clip(opts), markKeyed)...)
	// fx names an annotated constructor "reflect".makeFuncStub: the errors
	// carry the name as written, for fxmodule's event logger.
	label := fmt.Sprintf("keyed.Client(%q)", name)
	return fx.Annotate(
		func(p rediscache.Params) (registration, redis.UniversalClient, []healthcheck.Check, error) {
			p.Lifecycle = fxerr.Lifecycle(p.Lifecycle, label)
			c, checks, err := ctor(p)
			return registration{}, c, checks, fxerr.Wrap(label, err)
		},
		fx.ResultTags(`name:"keyed.Client(`+name+`)"`, `name:"`+name+`"`, rediscache.GroupTag),
	)
}

// markKeyed marks the client's settings as a keyed client's, for the name
// of its health check (settings.Resolved.HealthCheckName).
func markKeyed(s *settings.Settings) { keyedmark.Mark(s) }
