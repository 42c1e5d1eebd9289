package connstr

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aspirego/redis/internal/redact"
)

// Redact returns the connection string with every secret replaced by
// "***": the values of password= and sentinelPassword= (in any case), the
// password of a URI (redis://user:***@host), and the password in a URI
// inside a value such as tunnel=. Redact never fails; it also works on
// strings that do not parse.
//
// StackExchange.Redis splits on every comma, so a password that contains
// a comma continues into the next pieces. Redact therefore also hides, whole,
// every piece after a password piece that could be such a tail: it keeps
// only a known key whose value has a strict grammar and is valid
// (ssl=true), and stops hiding there.
func Redact(connectionString string) string {
	if _, ok := uriScheme(connectionString); ok {
		return redactURI(connectionString)
	}
	pieces := strings.Split(connectionString, ",")
	afterSecret := false
	for i, raw := range pieces {
		p := strings.TrimSpace(raw)
		if p == "" {
			continue
		}
		eq := strings.IndexByte(p, '=')
		if afterSecret {
			// A possible tail of the password before: hidden whole, key
			// included, unless it is a key with a strict grammar and a
			// valid value (ssl=true).
			if tailHidden(p) {
				pieces[i] = redact.Mask
				continue
			}
			afterSecret = false
		}
		switch {
		case eq > 0:
			key := strings.TrimSpace(p[:eq])
			afterSecret = isSecretKey(key)
			switch {
			case afterSecret:
				if strings.TrimSpace(p[eq+1:]) != "" {
					pieces[i] = p[:eq+1] + redact.Mask
				}
			case strings.Contains(p, "://"):
				pieces[i] = p[:eq+1] + redactURI(p[eq+1:])
			}
		default:
			// "password:secret" and "password secret" are typos for
			// password=secret.
			if j := strings.IndexAny(p, ": \t"); j > 0 && isSecretKey(p[:j]) {
				pieces[i] = p[:j+1] + redact.Mask
			}
		}
	}
	// Whatever else looks like a password (a URI or password= inside
	// another value) goes through the one scrubber.
	return redact.Scrub(strings.Join(pieces, ","))
}

// tailHidden reports whether Redact hides piece p (trimmed, not empty),
// found right after a password piece: everything but a known key whose
// value has a strict grammar (not free text) and is valid.
func tailHidden(p string) bool {
	eq := strings.IndexByte(p, '=')
	if eq <= 0 {
		return true
	}
	key, val := strings.TrimSpace(p[:eq]), strings.TrimSpace(p[eq+1:])
	d := byKeyword[strings.ToLower(key)]
	if d == nil || d.freeText || d.secret || d.grammar == gAny || d.grammar == gTunnel {
		return true
	}
	return NewBuilder().apply(d, key, val, false) != nil
}

// redactURI replaces the password of scheme://user:password@host... with
// "***". It takes the last '@' as the end of the user information, so
// that a password with an unencoded '/', '?', '#' or '@' is still hidden.
func redactURI(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	rest := s[i+len("://"):]
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return s
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return s
	}
	return s[:i+len("://")] + user + ":" + redact.Mask + rest[at:]
}

// String describes the connection on one line, passwords replaced by
// "***", for example
//
//	standalone endpoints=[localhost:6380] user=app password=*** tls=true serverName=localhost dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
func (c *Connection) String() string {
	if c == nil {
		return "<nil>"
	}
	var sb strings.Builder
	sb.WriteString(c.Topology.String())
	for _, f := range c.fields() {
		sb.WriteByte(' ')
		sb.WriteString(f.name)
		sb.WriteByte('=')
		sb.WriteString(f.text)
	}
	return sb.String()
}

// GoString is String in Go syntax, for %#v; passwords are "***".
func (c *Connection) GoString() string {
	if c == nil {
		return "(*settings.Connection)(nil)"
	}
	var sb strings.Builder
	sb.WriteString("&settings.Connection{Topology:settings.")
	sb.WriteString(strings.ToUpper(c.Topology.String()[:1]) + c.Topology.String()[1:])
	for _, f := range c.fields() {
		sb.WriteString(", ")
		sb.WriteString(f.name)
		sb.WriteByte(':')
		if f.goText != "" {
			sb.WriteString(f.goText)
		} else {
			sb.WriteString(strconv.Quote(f.text))
		}
	}
	sb.WriteByte('}')
	return sb.String()
}

// LogValue implements slog.LogValuer: a group of the fields String shows,
// with snake_case keys (dial_timeout, abort_connect, ...), passwords "***".
func (c *Connection) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	attrs := []slog.Attr{slog.String("topology", c.Topology.String())}
	for _, f := range c.fields() {
		attrs = append(attrs, f.attr)
	}
	return slog.GroupValue(attrs...)
}

// field is one printed property of a Connection.
type field struct {
	name   string
	text   string // for String
	goText string // for GoString when not a quoted string
	attr   slog.Attr
}

// fields lists the properties worth printing, secrets redacted.
func (c *Connection) fields() []field {
	var fs []field
	str := func(name, v string) {
		v = redact.Clip(v)
		fs = append(fs, field{name: name, text: v, attr: slog.String(snake(name), v)})
	}
	val := func(name string, v any) {
		t := fmt.Sprint(v)
		g, a := fmt.Sprintf("%#v", v), slog.Any(snake(name), v)
		if d, ok := v.(time.Duration); ok {
			g, a = strconv.Quote(t), slog.String(snake(name), d.String())
		}
		fs = append(fs, field{name: name, text: t, goText: g, attr: a})
	}
	o := c.Options
	if o == nil {
		val("endpoints", c.Endpoints)
		val("abortConnect", c.AbortConnect)
		return fs
	}
	val("endpoints", o.Addrs)
	if o.MasterName != "" {
		str("serviceName", o.MasterName)
	}
	if o.Username != "" {
		str("user", o.Username)
	}
	if o.Password != "" || o.CredentialsProvider != nil || o.CredentialsProviderContext != nil {
		str("password", redact.Mask)
	}
	if o.SentinelUsername != "" {
		str("sentinelUser", o.SentinelUsername)
	}
	if o.SentinelPassword != "" {
		str("sentinelPassword", redact.Mask)
	}
	if o.DB != 0 {
		val("db", o.DB)
	}
	if t := o.TLSConfig; t != nil {
		val("tls", true)
		if t.ServerName != "" {
			str("serverName", t.ServerName)
		}
		if t.InsecureSkipVerify {
			val("insecureSkipVerify", true)
		}
	}
	if o.ClientName != "" {
		str("clientName", o.ClientName)
	}
	if o.Protocol != 0 {
		val("protocol", o.Protocol)
	}
	if c.Tunnel != "" {
		str("tunnel", c.Tunnel)
	}
	val("dialTimeout", o.DialTimeout)
	val("readTimeout", o.ReadTimeout)
	val("writeTimeout", o.WriteTimeout)
	val("abortConnect", c.AbortConnect)
	if c.Azure != NotAzure {
		str("azure", c.Azure.String())
	}
	if n := len(c.CommandMap); n > 0 {
		val("commandMap", n)
	}
	if len(c.Ignored) > 0 {
		val("ignored", clipList(c.Ignored))
	}
	if len(c.Warnings) > 0 {
		keys := make([]string, len(c.Warnings))
		for i, w := range c.Warnings {
			keys[i] = w.Key
		}
		val("warnings", clipList(keys))
	}
	return fs
}

// maxListed bounds the entries of a list that printed output shows.
const maxListed = 20

// clipList returns list cut to maxListed entries, each clipped, with a
// last entry saying how many were left out.
func clipList(list []string) []string {
	out := make([]string, 0, min(len(list), maxListed+1))
	for i, v := range list {
		if i == maxListed {
			out = append(out, "…("+strconv.Itoa(len(list)-i)+" more)")
			break
		}
		out = append(out, redact.Clip(v))
	}
	return out
}

// snake turns a camelCase name into snake_case for log keys.
func snake(name string) string {
	var sb strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			sb.WriteByte('_')
			c += 'a' - 'A'
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// Secrets returns the parts of a connection string that [Redact] hides: the
// passwords, and what may be the tail of a password with a comma. It works
// on strings that do not parse, so that a scrubber can mask them whole
// wherever else they turn up (see [Scrubber]).
func Secrets(connectionString string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(v string) {
		v = strings.TrimSpace(v)
		if v != "" && v != redact.Mask && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	orig := strings.Split(connectionString, ",")
	red := strings.Split(Redact(connectionString), ",")
	if len(orig) != len(red) {
		// Cannot happen (Redact keeps the pieces); hide everything.
		add(connectionString)
		return out
	}
	for i := range orig {
		o, r := orig[i], red[i]
		if o == r {
			continue
		}
		// What differs between the piece and its redacted form is secret.
		p := 0
		for p < len(o) && p < len(r) && o[p] == r[p] {
			p++
		}
		q := 0
		for q < len(o)-p && q < len(r)-p && o[len(o)-1-q] == r[len(r)-1-q] {
			q++
		}
		secret := o[p : len(o)-q]
		add(secret)
		if dec, err := url.PathUnescape(secret); err == nil {
			add(dec)
		}
	}
	return out
}

// RedactConfigValue returns the value of configuration key as printed
// output shows it: "***" for a password (the last level of the key is a
// secret keyword, Password or SentinelPassword, or ends in _PASSWORD as
// the {NAME}_PASSWORD and REDIS_PASSWORD properties do), otherwise the
// value with the secrets of any connection string or URI in it redacted
// ([Redact]), clipped.
func RedactConfigValue(key, value string) string {
	last := key[strings.LastIndexByte(key, ':')+1:]
	if isSecretKey(last) || hasSuffixFold(last, "_password") {
		if value == "" {
			return ""
		}
		return redact.Mask
	}
	return redact.Clip(Redact(value))
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
