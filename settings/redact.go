package settings

import "github.com/aspirego/redis/internal/connstr"

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
func Redact(connectionString string) string { return connstr.Redact(connectionString) }
