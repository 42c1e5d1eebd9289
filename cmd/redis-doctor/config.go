package main

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/aspirego/redis/internal/configstore"
	"github.com/aspirego/redis/internal/connstr"
	"github.com/aspirego/redis/settings"
)

// section keys of the connection.
func (d *doctor) generalSection() string { return settings.SectionKey }
func (d *doctor) namedSection() string   { return settings.SectionKey + ":" + d.opts.name }
func (d *doctor) connectionStringKey() string {
	return settings.ConnectionStringsKey + ":" + d.opts.name
}

// lookup returns the value and "KEY (SOURCE)" of key, if present.
func (d *doctor) lookup(key string) (value, where string, ok bool) {
	v, ok := d.cfg.String(key)
	if !ok {
		return "", "", false
	}
	return v, key + " (" + d.cfg.Source(key) + ")", true
}

// redactValue shows a configuration value without its secrets.
func redactValue(key, value string) string {
	lk := strings.ToLower(key)
	switch {
	case value == "":
		return `""`
	case strings.Contains(lk, "password"):
		return "***"
	case strings.HasPrefix(lk, "connectionstrings:"), strings.HasSuffix(lk, ":connectionstring"),
		strings.HasSuffix(lk, "_uri"), strings.Contains(value, "://"), strings.Contains(value, ","):
		return settings.Redact(value)
	}
	return value
}

// collectSecrets remembers every password the configuration holds, so that
// none can reach the output even through an error message: the values of
// keys that name a password, and whatever settings.Redact hides in a
// connection string (which covers strings that do not parse, and the tail
// of a password with a comma).
func (d *doctor) collectSecrets() {
	for _, k := range configstore.Of(d.cfg).Keys() {
		v, _ := d.cfg.String(k)
		if v == "" {
			continue
		}
		lk := strings.ToLower(k)
		if strings.Contains(lk, "password") {
			d.secrets.Add(v)
			continue
		}
		if strings.HasPrefix(lk, "connectionstrings:") || strings.HasSuffix(lk, ":connectionstring") ||
			strings.HasSuffix(lk, "_uri") || strings.Contains(v, "://") || strings.Contains(v, ",") {
			d.secrets.Add(connstr.Secrets(v)...)
		}
	}
}

// scrub replaces every known secret in s, and what looks like a password,
// by "***" (redact.Scrubber, the module's one scrubber).
func (d *doctor) scrub(s string) string { return d.secrets.Scrub(s) }

// describeKeys lists the configuration keys that concern the connection,
// each with its (redacted) value, its source and whether it is used.
func (d *doctor) describeKeys() []configKey {
	name := strings.ToLower(d.opts.name)
	general := strings.ToLower(d.generalSection()) + ":"
	named := general + name + ":"
	csKey := strings.ToLower(d.connectionStringKey())
	prefix := strings.ToLower(configstore.PropertyPrefix(d.opts.name))
	props := map[string]bool{prefix + "_uri": true, prefix + "_host": true, prefix + "_port": true, prefix + "_password": true}
	redisVars := map[string]bool{"redis_host": true, "redis_port": true, "redis_password": true}

	present := func(key string) bool { _, ok := d.cfg.String(key); return ok }
	hasConnectionString := present(csKey) || present(named+"connectionstring") || present(general+"connectionstring")

	var keys []configKey
	for _, k := range configstore.Of(d.cfg).Keys() {
		lk := strings.ToLower(k)
		v, _ := d.cfg.String(k)
		note := ""
		switch {
		case lk == csKey:
			note = "used"
		case strings.HasPrefix(lk, named):
			sub := lk[len(named):]
			switch {
			case strings.HasPrefix(sub, "configurationoptions:") && !strings.Contains(sub[len("configurationoptions:"):], ":"):
				note = "used"
			case !strings.Contains(sub, ":") && isSetting(sub):
				note = "used"
				if sub == "connectionstring" && present(csKey) {
					note = "overridden by " + d.connectionStringKey()
				}
			default:
				note = "ignored: not a setting of " + d.generalSection()
			}
		case strings.HasPrefix(lk, general):
			sub := lk[len(general):]
			switch {
			case strings.HasPrefix(sub, "configurationoptions:") && !strings.Contains(sub[len("configurationoptions:"):], ":"):
				note = "used"
				if present(named + sub) {
					note = "overridden by " + d.namedSection() + ":" + k[len(general):]
				}
			case !strings.Contains(sub, ":") && isSetting(sub):
				note = "used"
				if present(named + sub) {
					note = "overridden by " + d.namedSection() + ":" + k[len(general):]
				}
				if sub == "connectionstring" && present(csKey) {
					note = "overridden by " + d.connectionStringKey()
				}
			case !strings.Contains(sub, ":"):
				note = "ignored: not a setting of " + d.generalSection()
			default:
				continue // another client's section
			}
		case props[lk]:
			switch {
			case hasConnectionString:
				note = "not used: a connection string is configured"
			case lk == prefix+"_uri" && !present(k):
				note = "not used: empty"
			case lk != prefix+"_uri" && present(prefix+"_URI"):
				note = "not used: " + configstore.PropertyPrefix(d.opts.name) + "_URI wins"
			case lk == prefix+"_port" && !present(prefix+"_HOST"):
				note = "ignored without " + configstore.PropertyPrefix(d.opts.name) + "_HOST"
			case lk == prefix+"_password" && !present(prefix+"_HOST"):
				note = "ignored without " + configstore.PropertyPrefix(d.opts.name) + "_HOST"
			default:
				note = "used"
			}
		case redisVars[lk] && prefix != "redis":
			// The last fallback of every client (Aspire's instruction for
			// non-.NET apps).
			p := configstore.PropertyPrefix(d.opts.name)
			switch {
			case hasConnectionString:
				note = "not used: a connection string is configured"
			case present(prefix + "_uri"):
				note = "not used: " + p + "_URI wins"
			case present(prefix + "_host"):
				note = "not used: " + p + "_HOST wins"
			case lk != "redis_host" && !present("REDIS_HOST"):
				note = "ignored without REDIS_HOST (Kubernetes sets REDIS_PORT=tcp://... for a service named redis)"
			default:
				note = "used (the last fallback: no connection string, " + p + "_URI or " + p + "_HOST)"
			}
		default:
			continue
		}
		if strings.Contains(lk, ":configurationoptions:") && strings.HasPrefix(note, "used") {
			prop := lk[strings.LastIndex(lk, ":")+1:]
			if !knownProperty(prop) {
				note = "ignored: not a ConfigurationOptions property this integration binds (a warning, as .NET's binder ignores it)"
			}
		}
		keys = append(keys, configKey{Key: k, Value: redactValue(k, v), Source: d.cfg.Source(k), Note: note})
	}
	return keys
}

// knownProperty reports whether the key table has the ConfigurationOptions
// property (lower case).
func knownProperty(lower string) bool {
	for _, k := range connstr.Keys() {
		if k.Property != "" && strings.EqualFold(k.Property, lower) {
			return true
		}
	}
	return false
}

func isSetting(lower string) bool {
	for _, s := range configstore.SettingsKeys() {
		if strings.EqualFold(s, lower) {
			return true
		}
	}
	return false
}

// connectionNames lists the names that have a connection string, to
// suggest one when the requested name has none.
func (d *doctor) connectionNames() []string {
	var names []string
	prefix := strings.ToLower(settings.ConnectionStringsKey) + ":"
	for _, k := range configstore.Of(d.cfg).Keys() {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, prefix) && !strings.Contains(lk[len(prefix):], ":") {
			names = append(names, k[len(prefix):])
		}
	}
	return names
}

// describeSettings lists the settings with their final values and where
// each came from: the named section, the general section, or the default.
func (d *doctor) describeSettings(res *settings.Resolved) []setting {
	s := res.Settings
	values := []struct{ name, value string }{
		{"DisableHealthChecks", fmt.Sprint(s.DisableHealthChecks)},
		{"DisableTracing", fmt.Sprint(s.DisableTracing)},
		{"DisableMetrics", fmt.Sprint(s.DisableMetrics)},
		{"DisableAutoActivation", fmt.Sprint(s.DisableAutoActivation)},
		{"HealthCheckTimeout", s.HealthCheckTimeout.String()},
		{"ClusterMode", fmt.Sprint(s.ClusterMode)},
		{"RecordQueryText", fmt.Sprint(s.RecordQueryText)},
		{"Redisotel", fmt.Sprint(s.Redisotel)},
		{settings.AzureAuthenticationKey, fmt.Sprint(s.AzureAuthentication)},
		{"AutoPipelining", fmt.Sprint(s.AutoPipelining)},
		{"ClientSideCaching", fmt.Sprint(s.ClientSideCaching)},
	}
	if s.AutoPipelining {
		values = append(values, []struct{ name, value string }{
			{"AutoPipeliningBatchSize", fmt.Sprint(s.AutoPipeliningBatchSize)},
			{"AutoPipeliningFlushDelay", s.AutoPipeliningFlushDelay.String()},
			{"AutoPipeliningConcurrency", fmt.Sprint(s.AutoPipeliningConcurrency)},
		}...)
	}
	if s.ClientSideCaching {
		values = append(values, []struct{ name, value string }{
			{"ClientSideCacheSize", fmt.Sprint(s.ClientSideCacheSize)},
			{"ClientSideCacheTTL", s.ClientSideCacheTTL.String()},
		}...)
	}
	out := make([]setting, 0, len(values))
	for _, v := range values {
		src := "default"
		for _, sec := range []string{d.namedSection(), d.generalSection()} {
			if _, where, ok := d.lookup(sec + ":" + v.name); ok {
				src = where
				break
			}
		}
		out = append(out, setting{Name: v.name, Value: v.value, Source: src})
	}
	return out
}

// describeConnection fills in what the client would connect to.
func (d *doctor) describeConnection(c *configReport, res *settings.Resolved) {
	conn := res.Connection
	o := conn.Options
	c.ConnectionString = settings.Redact(res.Settings.ConnectionString)
	c.Source = res.Source
	c.Topology = conn.Topology.String()
	c.Endpoints = conn.Endpoints
	c.ServiceName = o.MasterName
	c.User = o.Username
	if o.Password != "" {
		c.Password = "***"
	}
	if o.TLSConfig != nil {
		c.TLS = &tlsReport{
			ServerName:         o.TLSConfig.ServerName,
			InsecureSkipVerify: o.TLSConfig.InsecureSkipVerify,
			MinVersion:         tlsVersion(o.TLSConfig.MinVersion),
			MaxVersion:         tlsVersion(o.TLSConfig.MaxVersion),
		}
	}
	c.Database = o.DB
	c.Protocol = o.Protocol
	if c.Protocol == 0 {
		c.Protocol = 3 // go-redis's default
	}
	c.DialTimeout = o.DialTimeout.String()
	c.ReadTimeout = o.ReadTimeout.String()
	c.WriteTimeout = o.WriteTimeout.String()
	c.AbortConnect = conn.AbortConnect
	c.Tunnel = conn.Tunnel
	c.Ignored = conn.Ignored
	for _, w := range conn.Warnings {
		c.Warnings = append(c.Warnings, d.scrub(w.String()))
	}
	if _, azure := connstr.AzureEndpoint(conn.Endpoints); azure != connstr.NotAzure {
		c.Azure = azure.String()
	}
	if len(conn.CommandMap) > 0 {
		c.CommandMap = conn.CommandMap
	}
	c.Settings = d.describeSettings(res)
}

func tlsVersion(v uint16) string {
	if v == 0 {
		return ""
	}
	return tls.VersionName(v)
}

// passwordWhere tells, for messages, where the password comes from: a
// ConfigurationOptions Password property (named section first), which
// overrides the connection string, else the connection string's own source:
// "password=… in ConnectionStrings:cache (environment variable …)".
func (d *doctor) passwordWhere() string {
	for _, sec := range []string{d.namedSection(), d.generalSection()} {
		if _, where, ok := d.lookup(sec + ":" + settings.ConfigurationOptionsKey + ":Password"); ok {
			return "Password property at " + where
		}
	}
	src := d.resolved.Source
	switch {
	case d.usesURI():
		return "password in the URI in " + src
	case d.resolved.Settings.ConnectionString == "":
		return "password in " + src // CACHE_HOST, CACHE_PORT, CACHE_PASSWORD
	}
	return "password=… in " + src
}
