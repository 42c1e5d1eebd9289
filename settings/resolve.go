package settings

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/configstore"
	"github.com/aspirego/redis/internal/connstr"
)

// Configuration keys read by [Resolve].
const (
	// SectionKey is the configuration section of the integration's
	// settings; Aspire:StackExchange:Redis:{name} holds a client's own.
	SectionKey = "Aspire:StackExchange:Redis"
	// ConnectionStringsKey is the section whose {name} key holds a client's
	// connection string, the one an Aspire AppHost sets through the
	// ConnectionStrings__{name} environment variable.
	ConnectionStringsKey = "ConnectionStrings"
	// ConfigurationOptionsKey is the sub-section, under SectionKey and
	// under SectionKey:{name}, whose keys are StackExchange.Redis
	// ConfigurationOptions properties.
	ConfigurationOptionsKey = "ConfigurationOptions"
)

// sourceCode is the Resolved.Source of a connection string set by an Option.
const sourceCode = "set in code"

// Resolved is the outcome of [Resolve]: everything needed to build a
// client. Printing it (fmt, slog) never shows a password.
type Resolved struct {
	// Name is the client's connection name.
	Name string `json:"name"`
	// Settings are the final settings, after every configuration layer and
	// the options.
	Settings Settings `json:"settings"`
	// Connection holds the final go-redis options: the parsed connection
	// string, then the ConfigurationOptions sections, then the
	// ConfigureOptions functions.
	Connection *Connection `json:"connection,omitempty"`
	// Source says where the connection string came from, e.g.
	// "ConnectionStrings:cache (environment variable ConnectionStrings__cache)".
	// It never holds a secret.
	Source string `json:"source"`
}

// ConfigError reports a configuration value that cannot be used: a value
// of the wrong type, an unknown ConfigurationOptions property, a connection
// string that does not parse. It never holds a password.
type ConfigError struct {
	// Key is the full configuration key as a user would write it, e.g.
	// "Aspire:StackExchange:Redis:cache:DisableTracing".
	Key string
	// Source is where the value came from (see [Config.Source]); may be "".
	Source string
	// Err is the cause.
	Err error
}

// Error returns "settings: config key KEY (SOURCE): CAUSE".
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("settings: config key ")
	b.WriteString(e.Key)
	if e.Source != "" {
		b.WriteString(" (")
		b.WriteString(e.Source)
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(detail(e.Err))
	}
	return b.String()
}

// detailer is an error that can describe itself without the prefixes
// that the context of a ConfigError or a contextError already gives
// ("settings: ", "connection string: "), as *ParseError does.
type detailer interface{ detail() string }

// detail is the message of err for use after such a context.
func detail(err error) string {
	if d, ok := err.(detailer); ok {
		return d.detail()
	}
	return err.Error()
}

// emptyError is a connection string that is present but empty.
type emptyError struct{}

func (emptyError) Error() string { return "the connection string is empty" }
func (emptyError) Unwrap() error { return ErrInvalidConnectionString }

// contextError adds context to an error message without repeating the
// prefixes of the inner one.
type contextError struct {
	context string
	err     error
}

func (e *contextError) Error() string { return e.context + ": " + detail(e.err) }
func (e *contextError) Unwrap() error { return e.err }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// noEndpointsError is Aspire's error for a client with nowhere to connect:
// nothing names a server.
type noEndpointsError struct {
	name string
}

func (e *noEndpointsError) Error() string {
	return "No endpoints specified. Ensure a valid connection string was provided in 'ConnectionStrings:" +
		e.name + "' or for the 'Aspire:StackExchange:Redis:ConnectionString' configuration key."
}

func (e *noEndpointsError) Unwrap() error { return ErrNoEndpoints }

// unusableError is a connection string (or {P}_URI) that is set but names
// no endpoint that can be used. It is wrapped in the origin of the string
// (a *ConfigError when it came from configuration), and matches
// ErrInvalidConnectionString, not ErrNoEndpoints: the connection is
// configured, wrongly.
type unusableError struct {
	skipped []string // why each endpoint piece was skipped; none: the string names no endpoint
}

func (e *unusableError) Error() string {
	if len(e.skipped) == 0 {
		return "set, but names no endpoint"
	}
	return "set, but no endpoint in it can be used: " + strings.Join(e.skipped, "; ")
}

func (e *unusableError) Unwrap() error { return ErrInvalidConnectionString }

// Resolve works out the settings and the go-redis options of the client
// named name from cfg (nil means an empty configuration) and opts, with
// Aspire's precedence; later wins:
//
//  1. the defaults (see [Settings]);
//  2. section Aspire:StackExchange:Redis;
//  3. section Aspire:StackExchange:Redis:{name};
//  4. ConnectionStrings:{name}, which replaces ConnectionString when
//     present (an empty value counts, and fails as an empty connection
//     string);
//  5. opts, in order.
//
// The go-redis options are then built from the connection string, then
// Aspire:StackExchange:Redis:ConfigurationOptions, then
// Aspire:StackExchange:Redis:{name}:ConfigurationOptions, then the
// [ConfigureOptions] functions. See the package documentation for the keys,
// the fallback to {NAME}_URI / {NAME}_HOST when no connection string is
// set, and the errors.
func Resolve(cfg *Config, name string, opts ...Option) (*Resolved, error) {
	if name == "" {
		return nil, errors.New("settings: the client name is empty")
	}
	named := SectionKey + ":" + name

	s := defaults()
	var cs origin // where ConnectionString was set, if in configuration
	for _, section := range []string{SectionKey, named} {
		o, err := bindSettings(cfg, section, &s)
		if err != nil {
			return nil, err
		}
		if o.key != "" {
			cs = o
		}
	}
	csKey := ConnectionStringsKey + ":" + name
	if v, ok := cfg.String(csKey); ok {
		s.ConnectionString = v
		cs = origin{key: csKey, source: cfg.Source(csKey)}
	}

	fromConfig := s.ConnectionString
	for _, opt := range opts {
		if opt != nil {
			opt(&s)
		}
	}
	if cs.key != "" && s.ConnectionString != fromConfig {
		cs = origin{source: sourceCode}
	} else if cs.key == "" && s.ConnectionString != "" {
		cs = origin{source: sourceCode}
	}
	if s.HealthCheckTimeout <= 0 {
		return nil, fmt.Errorf("settings: client %q: HealthCheckTimeout must be greater than zero, got %v (set in code)", name, s.HealthCheckTimeout)
	}

	if err := validateMultiplexing(name, &s); err != nil {
		return nil, err
	}

	b := connstr.NewBuilder()
	switch {
	case s.ConnectionString != "":
		if err := parseError(b.Parse(s.ConnectionString)); err != nil {
			return nil, cs.wrap(name, err)
		}
	case cs.key != "":
		// Present in configuration, but empty: .NET fails to parse it.
		return nil, cs.wrap(name, emptyError{})
	default:
		o, err := fallback(cfg, name, b)
		if err != nil {
			return nil, err
		}
		cs = o
	}

	post := postBuild{setBy: make(map[string]origin)}
	for _, section := range []string{SectionKey, named} {
		if err := applyConfigurationOptions(cfg, section+":"+ConfigurationOptionsKey, b, &post); err != nil {
			return nil, err
		}
	}

	// An endpoint may come from a ConfigureOptions function alone, as
	// .NET's configureOptions may add EndPoints.
	noEndpoints := b.EndpointCount() == 0 && len(s.configure) > 0
	built, err := b.Build(noEndpoints)
	err = parseError(err)
	if err != nil {
		if errors.Is(err, ErrNoEndpoints) {
			return nil, unusable(name, cs, b)
		}
		// A problem found once everything is known: blame the key that
		// set the value last, else the connection string.
		var pe *ParseError
		if errors.As(err, &pe) && pe.Key != "" {
			if o, ok := post.setBy[strings.ToLower(pe.Key)]; ok {
				return nil, &ConfigError{Key: o.key, Source: o.source, Err: err}
			}
		}
		return nil, cs.wrap(name, err)
	}
	conn := connectionOf(built)
	if s.ClusterMode {
		if err := clusterMode(conn); err != nil {
			return nil, fmt.Errorf("settings: client %q: ClusterMode: %w", name, err)
		}
	}
	if len(s.configure) > 0 {
		for _, fn := range s.configure {
			if fn != nil {
				fn(conn.Options)
			}
		}
		// The functions may have changed the servers.
		conn.Topology = topologyOf(conn.Options)
		conn.Endpoints = slices.Clone(conn.Options.Addrs)
		if len(conn.Endpoints) == 0 {
			if noEndpoints {
				return nil, unusable(name, cs, b)
			}
			return nil, &noEndpointsError{name: name}
		}
		if noEndpoints {
			cs = origin{source: "ConfigureOptions (set in code)"}
		}
	}

	return &Resolved{Name: name, Settings: s, Connection: conn, Source: cs.String()}, nil
}

// unusable is the error for a client left without an endpoint: the
// connection string from cs is set but unusable, or, when cs is empty,
// nothing names a server.
func unusable(name string, cs origin, b *connstr.Builder) error {
	if cs.String() == "" {
		return &noEndpointsError{name: name}
	}
	return cs.wrap(name, &unusableError{skipped: b.SkippedEndpoints()})
}

// topologyOf says which client redis.NewUniversalClient makes from o.
func topologyOf(o *redis.UniversalOptions) Topology {
	switch {
	case o.MasterName != "":
		return Sentinel
	case o.IsClusterMode || len(o.Addrs) > 1:
		return Cluster
	}
	return Standalone
}

// clusterMode turns conn into a cluster connection that discovers the
// cluster from its endpoints.
func clusterMode(conn *Connection) error {
	o := conn.Options
	switch {
	case o.MasterName != "":
		return errors.New("a sentinel connection (serviceName) cannot also be a cluster")
	case o.DB != 0:
		return fmt.Errorf("a cluster has only database 0, but defaultDatabase is %d", o.DB)
	case o.Dialer != nil && conn.Tunnel == "":
		return errors.New("a unix socket cannot be a cluster")
	}
	o.IsClusterMode = true
	conn.Topology = Cluster
	return nil
}

// origin is where a value came from: a configuration key and its source.
type origin struct {
	key    string // as a user would write it; "" when not from configuration
	source string
}

func (o origin) String() string {
	switch {
	case o.key == "":
		return o.source
	case o.source == "":
		return o.key
	}
	return o.key + " (" + o.source + ")"
}

// wrap attaches the origin to an error about the connection string.
func (o origin) wrap(name string, err error) error {
	if o.key == "" {
		return &contextError{context: fmt.Sprintf("settings: client %q: connection string (%s)", name, o.source), err: err}
	}
	return &ConfigError{Key: o.key, Source: o.source, Err: err}
}

// Settings keys, as written in the Aspire configuration schema.
const (
	keyConnectionString      = "ConnectionString"
	keyDisableHealthChecks   = "DisableHealthChecks"
	keyDisableTracing        = "DisableTracing"
	keyDisableMetrics        = "DisableMetrics"
	keyDisableAutoActivation = "DisableAutoActivation"
	keyHealthCheckTimeout    = "HealthCheckTimeout"
	keyRecordQueryText       = "RecordQueryText"
	keyClusterMode           = "ClusterMode"
	keyRedisotel             = "Redisotel"

	keyAutoPipelining            = "AutoPipelining"
	keyAutoPipeliningBatchSize   = "AutoPipeliningBatchSize"
	keyAutoPipeliningFlushDelay  = "AutoPipeliningFlushDelay"
	keyAutoPipeliningConcurrency = "AutoPipeliningConcurrency"
	keyClientSideCaching         = "ClientSideCaching"
	keyClientSideCacheSize       = "ClientSideCacheSize"
	keyClientSideCacheTTL        = "ClientSideCacheTTL"
)

// bindSettings applies the Settings keys of section to s, like .NET's
// configuration binder: other keys (named sub-sections,
// ConfigurationOptions, anything unknown) are ignored. It returns the
// origin of ConnectionString when the section sets it.
func bindSettings(cfg *Config, section string, s *Settings) (origin, error) {
	var cs origin
	key := func(k string) string { return section + ":" + k }

	for _, k := range settingKeys {
		v, ok := cfg.String(key(k.name))
		if !ok {
			continue
		}
		if err := k.bind(s, v); err != nil {
			return cs, &ConfigError{Key: key(k.name), Source: cfg.Source(key(k.name)), Err: err}
		}
		if k.name == keyConnectionString {
			cs = origin{key: key(k.name), source: cfg.Source(key(k.name))}
		}
	}
	return cs, nil
}

// parseBool accepts what .NET's bool.Parse accepts: "true" or "false" in
// any case, surrounding white space ignored.
func parseBool(v string) (bool, error) {
	if b, ok := connstr.ParseBoolText(v, true); ok {
		return b, nil
	}
	return false, fmt.Errorf("%q is not a boolean (true or false)", v)
}

// parseTimeout reads a positive duration written as a .NET TimeSpan
// ("00:00:05", "1.00:00:00", "00:00:00.250") or a Go duration ("5s").
func parseTimeout(v string) (time.Duration, error) {
	t := strings.TrimSpace(v)
	var d time.Duration
	var err error
	switch {
	case strings.Contains(t, ":"):
		d, err = connstr.ParseTimeSpan(t)
	case t != "" && strings.Trim(t, "0123456789") == "":
		// .NET reads a bare integer as days; a Go reader expects seconds.
		// Neither guess is safe.
		return 0, fmt.Errorf("%q has no unit: write a TimeSpan such as \"00:00:05\" or a Go duration such as \"5s\"", v)
	default:
		d, err = time.ParseDuration(t)
		if err != nil {
			err = fmt.Errorf("%q is not a duration: write a TimeSpan such as \"00:00:05\" or a Go duration such as \"5s\"", v)
		}
	}
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: the timeout must be greater than zero", v)
	}
	return d, nil
}

// ---- connection properties fallback ----

// lookupProperty reads a connection property such as CACHE_URI. An
// environment variable named A__B_URI lands in the configuration as
// "A:B_URI", so both forms are tried. An empty value counts as absent.
func lookupProperty(cfg *Config, key string) (value string, o origin) {
	for _, k := range []string{key, strings.ReplaceAll(key, "__", ":")} {
		if v, ok := cfg.String(k); ok && v != "" {
			return v, origin{key: key, source: cfg.Source(k)}
		}
	}
	return "", origin{}
}

// redisHostPrefix is the prefix of the last-resort fallback variables
// REDIS_HOST, REDIS_PORT and REDIS_PASSWORD, which Aspire's Redis
// integration page tells non-.NET apps to set with WithEnvironment.
const redisHostPrefix = "REDIS"

// fallback reads the connection properties an Aspire AppHost injects when
// no connection string is configured: {P}_URI, else {P}_HOST with
// {P}_PORT and {P}_PASSWORD, else, for any client, REDIS_HOST with
// REDIS_PORT and REDIS_PASSWORD. It returns a zero origin when none is set.
func fallback(cfg *Config, name string, b *connstr.Builder) (origin, error) {
	p := configstore.PropertyPrefix(name)
	if uri, o := lookupProperty(cfg, p+"_URI"); o.key != "" {
		if err := parseError(b.Parse(uri)); err != nil {
			return o, &ConfigError{Key: o.key, Source: o.source, Err: err}
		}
		return o, nil
	}
	if o, err := hostFallback(cfg, p, b); o.source != "" || err != nil {
		return o, err
	}
	if p != redisHostPrefix {
		return hostFallback(cfg, redisHostPrefix, b)
	}
	return origin{}, nil
}

// hostFallback reads {p}_HOST with {p}_PORT and {p}_PASSWORD. {p}_PORT
// alone is ignored, and {p}_PORT=tcp://address:port (the variable
// Kubernetes sets for a service named p) gives its port: {p}_HOST names
// the host.
func hostFallback(cfg *Config, p string, b *connstr.Builder) (origin, error) {
	host, ho := lookupProperty(cfg, p+"_HOST")
	if ho.key == "" {
		return origin{}, nil
	}
	host = strings.TrimSpace(host)
	if strings.ContainsAny(host, ",= \t") || strings.HasPrefix(host, "[") || len(host) > MaxHostLength {
		return ho, &ConfigError{Key: ho.key, Source: ho.source, Err: fmt.Errorf("%s is not a host name or IP address", connstr.Show(host))}
	}
	endpoint := host
	if strings.Contains(host, ":") { // IPv6
		if _, err := netip.ParseAddr(host); err != nil {
			return ho, &ConfigError{Key: ho.key, Source: ho.source,
				Err: fmt.Errorf("%s is not a host name or IP address (the port goes in %s_PORT)", connstr.Show(host), p)}
		}
		endpoint = "[" + host + "]"
	}
	used := []origin{ho}
	if port, po := lookupProperty(cfg, p+"_PORT"); po.key != "" {
		n, ok := propertyPort(port)
		if !ok {
			return po, &ConfigError{Key: po.key, Source: po.source, Err: fmt.Errorf("%s is not a port number (1-65535) or tcp://address:port", connstr.Show(port))}
		}
		endpoint += ":" + strconv.Itoa(n)
		used = append(used, po)
	}
	if err := parseError(b.Parse(endpoint)); err != nil {
		return ho, &ConfigError{Key: ho.key, Source: ho.source, Err: err}
	}
	if pw, po := lookupProperty(cfg, p+"_PASSWORD"); po.key != "" {
		if err := parseError(b.Set("password", pw)); err != nil {
			return po, &ConfigError{Key: po.key, Source: po.source, Err: err}
		}
		used = append(used, po)
	}
	parts := make([]string, len(used))
	for i, o := range used {
		parts[i] = o.String()
	}
	return origin{source: strings.Join(parts, ", ")}, nil
}

// propertyPort reads a {P}_PORT value: a port number, or the
// tcp://address:port form Kubernetes gives service variables.
func propertyPort(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if rest, ok := connstr.CutPrefixFold(v, "tcp://"); ok {
		i := strings.LastIndexByte(rest, ':')
		if i < 0 {
			return 0, false
		}
		v = rest[i+1:]
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, false
	}
	return n, true
}

// ---- ConfigurationOptions ----

// postBuild holds what the ConfigurationOptions sections leave for after
// build.
type postBuild struct {
	// setBy maps a lower-case connection-string key to the configuration
	// key that set it last, to name it in errors from build.
	setBy map[string]origin
}

// applyConfigurationOptions feeds the ConfigurationOptions properties in
// section to b through the key table, so that they get the connection
// string's validation (with .NET's binder grammar for booleans). Unknown
// properties are ignored, as .NET's configuration binder ignores them, and
// listed as warnings.
func applyConfigurationOptions(cfg *Config, section string, b *connstr.Builder, post *postBuild) error {
	if v, ok := cfg.String(section); ok && strings.TrimSpace(v) != "" {
		return &ConfigError{Key: section, Source: cfg.Source(section),
			Err: errors.New("ConfigurationOptions must be a section of StackExchange.Redis ConfigurationOptions properties, not a value")}
	}
	for _, ch := range cfg.st().Children(section) {
		key := section + ":" + ch.Name
		lkey := section + ":" + ch.Lower
		src := cfg.st().SourceUnder(lkey)
		fail := func(err error) error { return &ConfigError{Key: key, Source: src, Err: err} }

		d := connstr.PropertyDef(ch.Lower)
		if d == nil {
			b.Warn(key, fmt.Sprintf("%q is not a ConfigurationOptions property this integration binds; ignored, as .NET's configuration binder ignores properties it cannot bind", ch.Name))
			continue
		}
		if d.IsChannelPrefix() && ch.HasKids {
			// ChannelPrefix as an object: RedisChannel's only bindable
			// member, UseImplicitAutoPattern, is static, so .NET sets no
			// prefix. Validate and ignore it.
			for _, gc := range cfg.st().Children(lkey) {
				gkey := key + ":" + gc.Name
				if gc.Lower != "useimplicitautopattern" || gc.HasKids {
					b.Warn(gkey, fmt.Sprintf("%q is not a property of ChannelPrefix (only UseImplicitAutoPattern is); ignored", gc.Name))
					continue
				}
				v, _ := cfg.String(lkey + ":" + gc.Lower)
				if _, err := parseBool(v); err != nil {
					return &ConfigError{Key: gkey, Source: cfg.Source(lkey + ":" + gc.Lower), Err: err}
				}
			}
			if !ch.HasValue {
				continue
			}
		} else if ch.HasKids {
			return fail(fmt.Errorf("%s takes a value, not a section", d.Property()))
		}
		v, _ := cfg.String(lkey)
		if err := parseError(b.ApplyProperty(d, v)); err != nil {
			return fail(err)
		}
		if d.Keyword() != "" {
			post.setBy[strings.ToLower(d.Keyword())] = origin{key: key, source: src}
		}
	}
	return nil
}
