package fxerr

import (
	"context"
	"errors"

	"go.uber.org/fx"
)

// Error is an error of one of this module's fx constructors, or of a
// lifecycle hook one registered. Its message is the cause's alone, so that
// app.Err() reads as before.
type Error struct {
	// Constructor is the constructor as written in fx.Provide, for
	// example rediscache.Client("cache").
	Constructor string
	// Err is the cause.
	Err error
}

// Error returns the cause's message.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Wrap names constructor in err; nil stays nil.
func Wrap(constructor string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Constructor: constructor, Err: err}
}

// Of returns the constructor name carried by err (the outermost one), or
// "" when err carries none.
func Of(err error) (constructor string, cause error) {
	var e *Error
	if !errors.As(err, &e) {
		return "", nil
	}
	return e.Constructor, e.Err
}

// Lifecycle returns lc with every hook appended through it wrapping its
// error in constructor's name.
func Lifecycle(lc fx.Lifecycle, constructor string) fx.Lifecycle {
	return lifecycle{lc: lc, constructor: constructor}
}

type lifecycle struct {
	lc          fx.Lifecycle
	constructor string
}

func (l lifecycle) Append(h fx.Hook) {
	if start := h.OnStart; start != nil {
		h.OnStart = func(ctx context.Context) error { return Wrap(l.constructor, start(ctx)) }
	}
	if stop := h.OnStop; stop != nil {
		h.OnStop = func(ctx context.Context) error { return Wrap(l.constructor, stop(ctx)) }
	}
	l.lc.Append(h)
}
