package instrument

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"

	"github.com/redis/go-redis/v9"
)

// ErrUnsupportedClient is returned by Instrument for a client type it
// cannot instrument (anything but *redis.Client, *redis.ClusterClient and
// *redis.Ring).
var ErrUnsupportedClient = errors.New("unsupported client type")

// errOther is the semantic conventions' fallback error.type.
const errOther = "_OTHER"

// classifyError returns the error.type of a failed command and, for an
// error reply from the server, its prefix as db.response.status_code.
//
//   - a Redis error reply: its prefix (ERR, WRONGTYPE, MOVED, NOSCRIPT, ...),
//     as error.type and db.response.status_code; _OTHER when the reply
//     does not start with an upper-case prefix;
//   - context.DeadlineExceeded, context.Canceled: those names;
//   - other timeouts (net.Error with Timeout()): "timeout";
//   - go-redis sentinels: redis.ErrClosed, redis.ErrPoolTimeout,
//     redis.ErrPoolExhausted; io.EOF, io.ErrUnexpectedEOF: those names;
//   - anything else: the Go type of the innermost wrapped error, such as
//     *net.OpError or *net.DNSError.
//
// redis.Nil is not an error and must be filtered out by the caller.
func classifyError(err error) (errType, status string) {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		if p := errorPrefix(rerr.Error()); p != "" {
			return p, p
		}
		return errOther, ""
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded", ""
	case errors.Is(err, context.Canceled):
		return "context.Canceled", ""
	case errors.Is(err, redis.ErrClosed):
		return "redis.ErrClosed", ""
	case errors.Is(err, redis.ErrPoolTimeout):
		return "redis.ErrPoolTimeout", ""
	case errors.Is(err, redis.ErrPoolExhausted):
		return "redis.ErrPoolExhausted", ""
	case errors.Is(err, io.EOF):
		return "io.EOF", ""
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "io.ErrUnexpectedEOF", ""
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return "timeout", ""
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return "*net.OpError", ""
	}
	inner := err
	for {
		u, ok := inner.(interface{ Unwrap() error })
		if !ok {
			break
		}
		next := u.Unwrap()
		if next == nil {
			break
		}
		inner = next
	}
	if t := reflect.TypeOf(inner); t != nil {
		return t.String(), ""
	}
	return errOther, ""
}

// knownErrorCodes are the error-reply prefixes Redis, Valkey and Garnet
// send. For a command whose reply is withheld (hidesReply) a prefix
// outside this list is recorded as _OTHER, so that no word of a reply that
// starts with something else (an echoed argument) is recorded.
var knownErrorCodes = map[string]bool{
	"ERR": true, "WRONGTYPE": true, "WRONGPASS": true, "NOPERM": true, "NOAUTH": true,
	"NOPROTO": true, "NOSCRIPT": true, "BUSY": true, "BUSYKEY": true, "LOADING": true,
	"READONLY": true, "MOVED": true, "ASK": true, "TRYAGAIN": true, "CLUSTERDOWN": true,
	"CROSSSLOT": true, "MASTERDOWN": true, "MISCONF": true, "EXECABORT": true,
	"NOREPLICAS": true, "OOM": true, "UNBLOCKED": true, "NOGOODSLAVE": true, "IOERR": true,
	"UNKILLABLE": true, "NOTBUSY": true, "NOTFOUND": true,
}

// withheldStatus is the span status description of a failed command whose
// error reply is withheld: its error.type and why.
func withheldStatus(errType string) string {
	return errType + " (server reply not recorded: the command's arguments may hold a secret)"
}

// errorPrefix returns the leading upper-case word of a Redis error reply
// ("WRONGTYPE Operation against a key..." → "WRONGTYPE"), or "" when the
// reply has none.
func errorPrefix(msg string) string {
	n := 0
	for n < len(msg) && n <= 32 {
		c := msg[n]
		if (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9' && n > 0) || (c == '_' && n > 0) || (c == '-' && n > 0) {
			n++
			continue
		}
		break
	}
	if n == 0 || n > 32 || (n < len(msg) && msg[n] != ' ') {
		return ""
	}
	return msg[:n]
}
