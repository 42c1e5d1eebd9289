package instrument

import (
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

const (
	maxQueryArgs       = 32  // placeholders written per command before "..."
	maxQueryKeyLen     = 128 // bytes of the key kept
	maxQueryBatchCmds  = 16  // commands written per batch before "; ..."
	queryTextSeparator = "; "
)

// secrecy says how much of a command may be recorded.
type secrecy uint8

const (
	// secretReply: db.query.text keeps the subcommand with "?" for the
	// arguments, but the server's error reply is not recorded: it may echo
	// an argument (ACL SETUSER echoes a malformed modifier, which can be a
	// password; CONFIG SET echoes the value it rejects; SENTINEL SET
	// auth-pass).
	secretReply secrecy = 1 + iota
	// secretAll: besides, no argument appears in db.query.text, not even as
	// a placeholder: they carry credentials (AUTH, HELLO ... AUTH,
	// MIGRATE ... AUTH/AUTH2).
	secretAll
)

// secretCommands lists the commands whose arguments can hold a secret: the
// one table behind query texts, span status descriptions and error.type.
var secretCommands = map[string]secrecy{
	"auth": secretAll, "hello": secretAll, "migrate": secretAll,
	"acl": secretReply, "config": secretReply, "sentinel": secretReply,
}

// nameOnly reports whether cmd's arguments never appear in db.query.text.
func nameOnly(name string) bool { return secretCommands[name] == secretAll }

// hidesReply reports whether a failed cmd's error reply must not be
// recorded (see secretReply).
func hidesReply(name string) bool { return secretCommands[name] != 0 }

// anyHidesReply is hidesReply for a batch.
func anyHidesReply(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if hidesReply(c.Name()) {
			return true
		}
	}
	return false
}

// noKey lists commands whose first argument is a value, a message or a
// script rather than a key or a subcommand: every argument is replaced by
// "?". (For container commands such as CONFIG, ACL, CLIENT and SCRIPT the
// first argument is the subcommand, which is kept; their values are not.)
var noKey = map[string]bool{
	"echo": true, "ping": true,
	"eval": true, "eval_ro": true, "evalsha": true, "evalsha_ro": true,
	"fcall": true, "fcall_ro": true,
}

// queryText renders a sanitised db.query.text for cmd: the command name,
// its first argument when that is a key (or a subcommand), and "?" for
// every other argument, e.g. "SET user:42 ? ? ?" for SET user:42 v EX 10.
// AUTH, HELLO and MIGRATE keep only their name.
func queryText(cmd redis.Cmder) string {
	var b strings.Builder
	writeQuery(&b, cmd)
	return b.String()
}

// batchQueryText renders the commands of a batch separated by "; ".
func batchQueryText(cmds []redis.Cmder) string {
	var b strings.Builder
	for i, cmd := range cmds {
		if i == maxQueryBatchCmds {
			b.WriteString(queryTextSeparator + "...")
			break
		}
		if i > 0 {
			b.WriteString(queryTextSeparator)
		}
		writeQuery(&b, cmd)
	}
	return b.String()
}

func writeQuery(b *strings.Builder, cmd redis.Cmder) {
	args := cmd.Args()
	if len(args) == 0 {
		return
	}
	name := cmd.Name()
	b.WriteString(strings.ToUpper(name))
	if nameOnly(name) {
		return
	}
	rest := args[1:]
	if len(rest) > 0 && !noKey[name] {
		if key, ok := argString(rest[0]); ok {
			b.WriteByte(' ')
			if len(key) > maxQueryKeyLen {
				key = key[:maxQueryKeyLen] + "..."
			}
			b.WriteString(key)
			rest = rest[1:]
		}
	}
	for i := range rest {
		if i == maxQueryArgs {
			b.WriteString(" ...")
			break
		}
		b.WriteString(" ?")
	}
}

// argString formats a key argument; ok is false for types that are not
// plausibly a key.
func argString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	default:
		return "", false
	}
}
