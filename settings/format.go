package settings

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/aspirego/redis/internal/connstr"
	"github.com/aspirego/redis/internal/redact"
)

// text is the %v form of the settings, the connection string's passwords
// replaced by "***" (see [Redact]).
func (s Settings) text() string {
	var b strings.Builder
	b.WriteString("{ConnectionString:")
	b.WriteString(strconv.Quote(redact.Clip(Redact(s.ConnectionString))))
	b.WriteString(" DisableHealthChecks:")
	b.WriteString(strconv.FormatBool(s.DisableHealthChecks))
	b.WriteString(" DisableTracing:")
	b.WriteString(strconv.FormatBool(s.DisableTracing))
	b.WriteString(" DisableMetrics:")
	b.WriteString(strconv.FormatBool(s.DisableMetrics))
	b.WriteString(" DisableAutoActivation:")
	b.WriteString(strconv.FormatBool(s.DisableAutoActivation))
	b.WriteString(" HealthCheckTimeout:")
	b.WriteString(s.HealthCheckTimeout.String())
	if s.ClusterMode {
		b.WriteString(" ClusterMode:true")
	}
	if s.RecordQueryText {
		b.WriteString(" RecordQueryText:true")
	}
	if s.Redisotel {
		b.WriteString(" Redisotel:true")
	}
	if s.AutoPipelining {
		b.WriteString(" AutoPipelining:true")
	}
	if s.ClientSideCaching {
		b.WriteString(" ClientSideCaching:true")
	}
	if n := len(s.configure); n > 0 {
		b.WriteString(" ConfigureOptions:")
		b.WriteString(strconv.Itoa(n))
	}
	b.WriteString("}")
	return b.String()
}

// goString is the %#v form of the settings, the connection string's
// passwords replaced by "***".
func (s Settings) goString() string {
	return fmt.Sprintf("settings.Settings{ConnectionString:%q, DisableHealthChecks:%t, DisableTracing:%t, "+
		"DisableMetrics:%t, DisableAutoActivation:%t, HealthCheckTimeout:%d, ClusterMode:%t, RecordQueryText:%t, Redisotel:%t}",
		redact.Clip(Redact(s.ConnectionString)), s.DisableHealthChecks, s.DisableTracing,
		s.DisableMetrics, s.DisableAutoActivation, int64(s.HealthCheckTimeout), s.ClusterMode, s.RecordQueryText, s.Redisotel)
}

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %d, ...) and slog's
// text handler print the settings with the connection string's passwords
// replaced by "***" (see [Redact]), so that no verb reaches the fields.
func (s Settings) Format(f fmt.State, verb rune) { redact.Format(f, verb, s.text(), s.goString) }

// logValue is the settings as a group with snake_case keys, the
// connection string redacted.
func (s Settings) logValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("connection_string", redact.Clip(Redact(s.ConnectionString))),
		slog.Bool("disable_health_checks", s.DisableHealthChecks),
		slog.Bool("disable_tracing", s.DisableTracing),
		slog.Bool("disable_metrics", s.DisableMetrics),
		slog.Bool("disable_auto_activation", s.DisableAutoActivation),
		slog.Duration("health_check_timeout", s.HealthCheckTimeout),
		slog.Bool("cluster_mode", s.ClusterMode),
		slog.Bool("record_query_text", s.RecordQueryText),
		slog.Bool("redisotel", s.Redisotel),
	}
	if s.AutoPipelining {
		attrs = append(attrs, slog.Bool("auto_pipelining", true))
	}
	if s.ClientSideCaching {
		attrs = append(attrs, slog.Bool("client_side_caching", true))
	}
	if s.DotNetHealthCheckNames {
		attrs = append(attrs, slog.Bool("dotnet_health_check_names", true))
	}
	if n := len(s.configure); n > 0 {
		attrs = append(attrs, slog.Int("configure_options", n))
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON encodes the settings (and slog's JSON handler logs them) as
// an object with snake_case keys, the connection string's passwords
// replaced by "***".
func (s Settings) MarshalJSON() ([]byte, error) { return redact.JSON(s.logValue()) }

// Format makes every fmt verb (and slog's text handler) print the
// configuration with its secrets redacted: the environment, the files read
// and every value, passwords "***" and connection strings and URIs
// redacted.
func (c *Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.text(), c.goString) }

// goString is the %#v form of the configuration, secrets redacted.
func (c *Config) goString() string {
	if c == nil {
		return "(*settings.Config)(nil)"
	}
	return c.render(fmt.Sprintf("&settings.Config{Environment:%q, Files:%#v, Values:map[string]string{", c.Environment(), c.st().Files()), ", ", "%q:%q")
}

// text is the %v form of the configuration, secrets redacted.
func (c *Config) text() string {
	if c == nil {
		return "<nil>"
	}
	return c.render(fmt.Sprintf("{Environment:%s Files:%v Values:{", c.Environment(), c.st().Files()), " ", "%s=%q")
}

// render writes head, then every key and its shown value in the format
// pair, separated by sep, then the closing braces.
func (c *Config) render(head, sep, pair string) string {
	var b strings.Builder
	b.WriteString(head)
	for i, k := range c.st().Keys() {
		if i > 0 {
			b.WriteString(sep)
		}
		fmt.Fprintf(&b, pair, k, c.shown(k))
	}
	b.WriteString("}}")
	return b.String()
}

// shown is the value of key as printed output shows it.
func (c *Config) shown(key string) string {
	v, _ := c.String(key)
	return connstr.RedactConfigValue(key, v)
}
