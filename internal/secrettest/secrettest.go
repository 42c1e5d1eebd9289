package secrettest

import (
	"net/url"
	"strings"
	"testing"
)

// Passwords are passwords that break naive scrubbing: separators of the
// connection-string and URI grammars, quotes, escapes, non-ASCII, and
// fragments that look like keys or ordinary words.
var Passwords = []string{
	"S3cr3t!,x=y",               // a comma, then something that looks like a key
	"head,name=tail",            // the tail looks like a client name
	"p@ss:w/rd?#x",              // URI delimiters
	"100%pure",                  // a percent sign that is not an escape
	"semi;colon;pw",             // ';' ends pieces in ADO.NET-style strings
	`q"uo'te\pw`,                // quotes and a backslash
	"pässwörd-ünïcode",          // non-ASCII
	"密码Secret",                  // non-Latin
	"ssl=true",                  // looks like a key=value piece
	"password=nested",           // looks like the key itself
	"  spaced out  ",            // leading and trailing spaces (trimmed by the parser)
	"tab\tand\nnewline",         // control characters
	"***masked***",              // looks like the mask
	"abortConnect",              // a key name
	"out\"",                     // the fuzzer's false alarm: also inside `timeout"`
	"Zm9vYmFy+/==",              // base64, '+' and '/' change under encoding
	"a&b=c",                     // query-string separators
	"{\"json\":true}",           // JSON
	strings.Repeat("x9", 40),    // long
	"[::1]:6379",                // looks like an endpoint
	"redis://u:inner@host",      // looks like a URI
	"<script>alert(1)</script>", // HTML
}

// Fragments returns the parts of pw that must not appear either: the
// pieces a comma, ';', '&' or '=' would split it into, trimmed, when they
// are at least minLen bytes long (shorter ones occur in ordinary text).
func Fragments(pw string, minLen int) []string {
	out := []string{pw}
	for _, f := range strings.FieldsFunc(pw, func(r rune) bool { return strings.ContainsRune(",;&=", r) }) {
		f = strings.TrimSpace(f)
		if len(f) >= minLen && f != pw {
			out = append(out, f)
		}
	}
	return out
}

// Spellings returns pw as output may spell it: as is, percent-encoded and
// trimmed.
func Spellings(pw string) []string {
	out := []string{pw, url.QueryEscape(pw), url.PathEscape(pw), strings.TrimSpace(pw)}
	return out
}

// Neutral is a password that looks like no word of any output: the
// baseline NoSecret compares with.
const Neutral = "Nq7Zx4Vw"

// NoSecret fails t when output shows pw, in any spelling, or one of its
// fragments of at least minLen bytes, more often than baseline does.
// baseline is the same output produced with the password Neutral, so that
// words every output holds (a field called "password", "timeout\"") are no
// false alarm.
func NoSecret(t testing.TB, what, output, baseline, pw string, minLen int) {
	t.Helper()
	for _, s := range append(Spellings(pw), Fragments(pw, minLen)...) {
		if s == "" || len(s) < minLen {
			continue
		}
		if strings.Count(output, s) > strings.Count(baseline, s) {
			t.Errorf("%s shows %q (from the password %q):\n%s", what, s, pw, output)
			return
		}
	}
}
