package untraced

import "context"

type key struct{}

// Context returns a copy of ctx whose commands produce no spans and no metrics.
func Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, key{}, true)
}

// Is reports whether ctx was marked by Context.
func Is(ctx context.Context) bool {
	v, _ := ctx.Value(key{}).(bool)
	return v
}

// IsKey reports whether k is the key Is looks up, so that a context type
// of its own can mark its commands without a context.WithValue.
func IsKey(k any) bool {
	_, ok := k.(key)
	return ok
}
