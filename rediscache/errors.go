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

// Error is an error of one client that this package reports: it names the
// client, and errors.Is tells what went wrong:
//
//   - settings.ErrNoEndpoints: no configuration names a server for the
//     client (New, fx.New); the message lists the keys and files looked at.
//   - ErrConnect: abortConnect=true and the start-up PING failed (Start,
//     fx start); errors.As reaches the PING's error.
//   - ErrRedirect: a standalone client sent a command to a Redis Cluster
//     node, which redirected it (MOVED or ASK); redis.IsMovedError and
//     redis.IsAskError still recognise it.
//   - ErrCommandDisabled: the connection string's command map disables the
//     command, which was not sent.
//   - ErrMissingExtension: a setting that is on needs a package that is not
//     linked, such as azureauth.
//   - ErrSplitBrain: several endpoints of a primary/replica list report
//     themselves primary and none can be chosen safely.
//
// An error of the settings package (*settings.ConfigError,
// *settings.FileError) comes wrapped in an Error too; errors.As reaches it. fx
// puts a constructor's error at the end of its chain of "could not build
// arguments for function ..." lines; errors.As(app.Err(), &e) finds the
// part to act on.
type Error struct {
	// Client is the client's name.
	Client string
	// Err is the cause; errors.Is and errors.As see through it.
	Err error
}

// Error names the client and says what went wrong.
func (e *Error) Error() string { return fmt.Sprintf("rediscache: client %q: %v", e.Client, e.Err) }

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// What went wrong with a client, for errors.Is (see Error).
var (
	// ErrConnect: abortConnect=true and the start-up PING failed.
	ErrConnect = errors.New("could not connect at start")
	// ErrRedirect: a standalone client was redirected by a Redis Cluster
	// node. The fix is in the configuration: list the cluster's nodes in
	// the connection string, or set the ClusterMode setting so that the
	// client discovers the cluster from the one node it is given.
	ErrRedirect = errors.New("redirected by a Redis Cluster node")
	// ErrCommandDisabled: the command map disables the command.
	ErrCommandDisabled = errors.New("command disabled by the command map")
	// ErrMissingExtension: a setting that is on needs a package that is
	// not linked.
	ErrMissingExtension = errors.New("a setting needs a package that is not linked")
)

// kindError is an error of one kind, an Err* value that errors.Is
// matches, with its own message and cause.
type kindError struct {
	kind  error
	msg   string
	cause error
}

func (e *kindError) Error() string                { return e.msg }
func (e *kindError) Is(target error) bool         { return target == e.kind }
func (e *kindError) Unwrap() error                { return e.cause }
func clientError(client string, err error) *Error { return &Error{Client: client, Err: err} }

// notConfigured is the cause of the error of a client that no
// configuration names a server for. Its message starts with the cause and
// says where was looked and what to run to see more; it wraps the error of
// settings.Resolve, which matches settings.ErrNoEndpoints.
type notConfigured struct {
	name        string
	keys        []string // the keys and variables looked at, in precedence order
	dir         string   // the directory searched for appsettings files; "" for a configuration from code
	files       []string // the appsettings files read
	environment string   // selects appsettings.{environment}.json
	err         error
}

func (e *notConfigured) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no connection: none of %s is set", strings.Join(e.keys, ", "))
	switch {
	case e.dir == "":
		b.WriteString(" in the configuration given in code")
	case len(e.files) == 0:
		env := "appsettings." + e.environment + ".json"
		fmt.Fprintf(&b, " in the environment, and neither appsettings.json nor %s is in %s", env, e.dir)
	default:
		names := make([]string, len(e.files))
		for i, f := range e.files {
			names[i] = filepath.Base(f)
		}
		fmt.Fprintf(&b, " in the environment or in %s (read from %s)", strings.Join(names, ", "), e.dir)
	}
	fmt.Fprintf(&b, "; run `%s` to see what was found", doctorcmd.Command(e.name))
	if e.err != nil {
		b.WriteString(" (")
		b.WriteString(e.err.Error())
		b.WriteString(")")
	}
	return b.String()
}

func (e *notConfigured) Unwrap() error { return e.err }

// resolveError describes a settings.Resolve failure of client name.
func resolveError(name string, cfg *settings.Config, err error) error {
	if !errors.Is(err, settings.ErrNoEndpoints) {
		return clientError(name, err)
	}
	p := configstore.PropertyPrefix(name)
	return clientError(name, &notConfigured{
		name: name,
		keys: []string{
			"ConnectionStrings:" + name + " (variable ConnectionStrings__" + name + ")",
			settings.SectionKey + ":" + name + ":ConnectionString",
			settings.SectionKey + ":ConnectionString",
			p + "_URI",
			p + "_HOST",
		},
		dir:         configstore.Of(cfg).Dir(),
		files:       configstore.Of(cfg).Files(),
		environment: cfg.Environment(),
		err:         err,
	})
}
