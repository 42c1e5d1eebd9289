package connstr

import (
	"errors"
)

// ErrInvalidConnectionString is matched (errors.Is) by every error
// ParseConnectionString returns.
var ErrInvalidConnectionString = errors.New("invalid connection string")

// ErrNoEndpoints reports a connection string that names no server; from
// Resolve, that no configuration names a server for the client (a
// connection string that is set but names none is a ConfigError matching
// ErrInvalidConnectionString instead).
var ErrNoEndpoints = errors.New("no endpoints specified")

// ParseError describes what is wrong with a connection string and where.
// It never holds a password: a piece that could contain one is identified
// by its position only.
type ParseError struct {
	// Key is the keyword the error is about, as written (for example
	// "connectTimeout"), or a URI query parameter; "" when the error is
	// about an endpoint or the string as a whole.
	Key string
	// Piece is the offending endpoint piece as written, when it is safe to
	// show; "" otherwise.
	Piece string
	// Index is the 1-based position of the piece among the comma-separated
	// pieces; 0 for URIs, single keys and the string as a whole.
	Index int
	// Err is the underlying cause, such as ErrNoEndpoints, or nil.
	Err error

	msg string
}

// Error returns "settings: connection string: " and the description, for
// example "settings: connection string: Keyword 'connectTimeout' requires
// an integer value; the value 'abc' is not recognised".
func (e *ParseError) Error() string {
	return "settings: connection string: " + e.msg
}

// Detail returns the description alone, for errors that say what they are
// about already (see ConfigError).
func (e *ParseError) Detail() string { return e.msg }

// Unwrap returns ErrInvalidConnectionString and the cause, so that
// errors.Is(err, ErrInvalidConnectionString) holds for every ParseError.
func (e *ParseError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidConnectionString, e.Err}
	}
	return []error{ErrInvalidConnectionString}
}
