package connstr

import "strings"

// boundText is the text a ConfigurationOptions property is read from.
// .NET's configuration binder sets a string property to the configured
// value as written, so text properties (Password, User, ClientName,
// SslHost, ServiceName, ...) are taken verbatim; only the connection-string
// parser trims. Numbers, booleans, enums and TimeSpans are trimmed, as
// .NET's parsers for them ignore white space around the value.
func boundText(d *Def, v string) string {
	if d.grammar == gString {
		return v
	}
	return strings.TrimSpace(v)
}
