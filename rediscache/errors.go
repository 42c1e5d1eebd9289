package rediscache

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aspirego/redis/internal/configstore"
	"github.com/aspirego/redis/internal/doctorcmd"
	"github.com/aspirego/redis/settings"
)

// NotConfiguredError is returned when no configuration names a server for
// a client. Its message starts with the cause and says where was looked and
// what to run to see more; errors.Is(err, settings.ErrNoEndpoints) holds.
type NotConfiguredError struct {
	// Name is the client's name.
	Name string
	// Keys are the configuration keys and variables looked at, in
	// precedence order.
	Keys []string
	// Dir is the directory searched for appsettings files; "" when the
	// configuration came from code (settings.NewConfig).
	Dir string
	// Files are the appsettings files that were read (none: neither
	// exists).
	Files []string
	// Environment selects appsettings.{Environment}.json.
	Environment string
	// Err is the error from settings.Resolve, in Aspire's wording.
	Err error
}

// Error returns the cause, where it was looked for, and what to run.
func (e *NotConfiguredError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rediscache: client %q has no connection: none of %s is set", e.Name, strings.Join(e.Keys, ", "))
	switch {
	case e.Dir == "":
		b.WriteString(" in the configuration given in code")
	case len(e.Files) == 0:
		env := "appsettings." + e.Environment + ".json"
		fmt.Fprintf(&b, " in the environment, and neither appsettings.json nor %s is in %s", env, e.Dir)
	default:
		names := make([]string, len(e.Files))
		for i, f := range e.Files {
			names[i] = filepath.Base(f)
		}
		fmt.Fprintf(&b, " in the environment or in %s (read from %s)", strings.Join(names, ", "), e.Dir)
	}
	fmt.Fprintf(&b, "; run `%s` to see what was found", doctorcmd.Command(e.Name))
	if e.Err != nil {
		b.WriteString(" (")
		b.WriteString(e.Err.Error())
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the error from settings.Resolve.
func (e *NotConfiguredError) Unwrap() error { return e.Err }

// resolveError describes a settings.Resolve failure of client name.
func resolveError(name string, cfg *settings.Config, err error) error {
	if !errors.Is(err, settings.ErrNoEndpoints) {
		return fmt.Errorf("rediscache: client %q: %w", name, err)
	}
	p := configstore.PropertyPrefix(name)
	return &NotConfiguredError{
		Name: name,
		Keys: []string{
			"ConnectionStrings:" + name + " (variable ConnectionStrings__" + name + ")",
			settings.SectionKey + ":" + name + ":ConnectionString",
			settings.SectionKey + ":ConnectionString",
			p + "_URI",
			p + "_HOST",
		},
		Dir:         configstore.Of(cfg).Dir(),
		Files:       configstore.Of(cfg).Files(),
		Environment: cfg.Environment(),
		Err:         err,
	}
}

// Cause returns the error of this SDK inside err, or nil when there is
// none: a *NotConfiguredError, a *settings.ConfigError, a
// *settings.FileError or a *ConnectError. fx puts a constructor's error at
// the end of its chain of "could not build arguments for function ..."
// lines; Cause(app.Err()) is the part to act on.
func Cause(err error) error {
	var (
		nc *NotConfiguredError
		ce *settings.ConfigError
		fe *settings.FileError
		co *ConnectError
	)
	switch {
	case errors.As(err, &nc):
		return nc
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &fe):
		return fe
	case errors.As(err, &co):
		return co
	}
	return nil
}
