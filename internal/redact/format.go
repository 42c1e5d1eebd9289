package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"unicode/utf8"
)

// Mask replaces every secret in printed output.
const Mask = "***"

// MaxShown bounds the bytes of one value (a client name, a connection
// string) that printed output and logs show; the rest is counted.
const MaxShown = 1024

// Clip returns s cut to MaxShown bytes (at a character boundary) with a
// note of how many bytes were left out. Clip redacted text only: a cut
// can separate a password from what marks it as one.
func Clip(s string) string {
	if len(s) <= MaxShown {
		return s
	}
	n := MaxShown
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…(" + strconv.Itoa(len(s)-n) + " more bytes)"
}

// Format prints s (or goString() for %#v) with the verb and flags of f,
// so that widths and %q still work but no field is ever printed by fmt's
// reflection. A type whose fields hold secrets calls it from its Format
// method with its redacted text.
func Format(f fmt.State, verb rune, s string, goString func() string) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, goString())
		return
	}
	switch verb {
	case 'v', 's', 'q', 'x', 'X':
		// fmt.FormatString keeps width, precision and flags ('+' is
		// meaningless for a string).
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), s)
	default:
		_, _ = fmt.Fprintf(f, "%%!%c(%s)", verb, s)
	}
}

// JSON encodes a slog value as JSON: a group as an object (keys in
// order), a duration as its String, anything else as its JSON value. A
// type whose fields hold secrets encodes its redacted log value with it.
func JSON(v slog.Value) ([]byte, error) {
	var b bytes.Buffer
	if err := writeLogValue(&b, v.Resolve()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeLogValue(b *bytes.Buffer, v slog.Value) error {
	if v.Kind() == slog.KindDuration {
		v = slog.StringValue(v.Duration().String())
	}
	if v.Kind() != slog.KindGroup {
		j, err := json.Marshal(v.Any())
		if err != nil {
			return err
		}
		b.Write(j)
		return nil
	}
	b.WriteByte('{')
	for i, a := range v.Group() {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(a.Key)
		b.Write(k)
		b.WriteByte(':')
		if err := writeLogValue(b, a.Value.Resolve()); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}
