// Command redis-doctor checks one named Redis connection the way a service
// built on this module would make it, and says what is wrong when it does
// not work.
//
// Usage, from a service's module (the version it requires), from anywhere
// (@latest or a version), or as a tool of the module:
//
//	go run github.com/aspirego/redis/cmd/redis-doctor [flags] <name>
//	go run github.com/aspirego/redis/cmd/redis-doctor@latest [flags] <name>
//	go get -tool github.com/aspirego/redis/cmd/redis-doctor && go tool redis-doctor [flags] <name>
//
// The default build leaves out the Azure SDK, so that it builds from a
// module that does not list it; go run -tags azure adds the Microsoft Entra
// ID checks below (a client with AzureAuthentication=true needs them).
//
// It reads the configuration a service reads (appsettings.json,
// appsettings.{Environment}.json, environment variables such as
// ConnectionStrings__cache or CACHE_URI, with the Aspire precedence) and
// prints, secrets redacted:
//
//   - what it would connect to: topology, endpoints, user, TLS, database,
//     timeouts, and the connection string;
//   - where each value came from: the configuration key and its source
//     (a file, an environment variable), keys that are overridden or
//     ignored, and the settings left at their defaults.
//
// Then it connects, with every step bounded by -timeout: TCP to each
// endpoint, the TLS handshake, a raw PING, the go-redis client itself
// (authentication included), INFO (server product and version, role),
// the topology (replicas, cluster nodes, the sentinels' primary), the
// round-trip latency over a few PINGs, and the health check a service
// reports on /health. For an Azure Redis host or a client with
// AzureAuthentication, an Azure section shows whether Microsoft Entra ID
// is used, the credential type, the token's user (oid) and expiry, and
// the last refresh error.
//
// The report goes to stdout; when a step fails, the problem and what to
// change go to stderr, naming the configuration key and source to fix.
// It tells apart: nothing listening on the port, no answer (firewall,
// wrong host), a host name that does not resolve, ssl=true against a
// plain port, a plain connection to a TLS port, a certificate that is not
// trusted, not valid for the host name or expired, a server that wants a
// client certificate, a wrong password or user, a missing password, an
// ACL user without permission, a Sentinel given as a data server, and an
// unhealthy check. A replica, a cluster node given as a standalone server
// and disabled certificate verification are warnings. No password is ever
// printed.
//
// Flags:
//
//	-dir DIR        directory of appsettings.json (default: the working directory)
//	-env NAME       environment for appsettings.{NAME}.json (default:
//	                $DOTNET_ENVIRONMENT, else $ASPNETCORE_ENVIRONMENT, else Production)
//	-timeout D      bound of each network step (default 5s)
//	-pings N        PINGs for the latency figures (default 5)
//	-json           print the report as one JSON object
//	-keys           list every connection-string key and ConfigurationOptions
//	                property with what it does in Go (no name needed)
//
// Flags may come before or after the name.
//
// Exit status: 0 when the connection works and the health check is
// Healthy; 1 when the server cannot be reached or used (the message on
// stderr says what to change); 2 for a usage or configuration error, such
// as no connection string for the name.
//
// Examples:
//
//	ConnectionStrings__cache=localhost:6379,password=secret go run ./cmd/redis-doctor cache
//	go run ./cmd/redis-doctor -dir ./service -json cache
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/aspirego/redis/internal/connstr"
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitHealthy = 0
	exitProblem = 1 // the server cannot be reached, used, or is unhealthy
	exitConfig  = 2 // bad usage or configuration
)

// options are the command line.
type options struct {
	name    string
	dir     string
	env     string
	timeout time.Duration
	pings   int
	json    bool
	keys    bool
}

// run is the whole command: args without the program name, env as
// KEY=VALUE. It returns the exit status.
func run(args, env []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitHealthy
	}
	if err != nil {
		fmt.Fprintln(stderr, "redis-doctor:", err)
		fmt.Fprintln(stderr, "usage: redis-doctor [-dir DIR] [-env NAME] [-timeout 5s] [-pings 5] [-json] <name>")
		return exitConfig
	}
	if opts.keys {
		printKeys(stdout)
		return exitHealthy
	}
	d := newDoctor(opts, env)
	d.diagnose()
	d.print(stdout, stderr)
	return d.report.ExitCode
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("redis-doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "dir", "", "directory of appsettings.json (default: the working directory)")
	fs.StringVar(&o.env, "env", "", "environment for appsettings.{env}.json (default: $DOTNET_ENVIRONMENT, $ASPNETCORE_ENVIRONMENT, Production)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "bound of each network step")
	fs.IntVar(&o.pings, "pings", 5, "PINGs for the latency figures")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.BoolVar(&o.keys, "keys", false, "list every connection-string key and ConfigurationOptions property, what each does in Go, and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: redis-doctor [flags] <name>\n\nChecks the Redis connection <name> (ConnectionStrings:<name>) from appsettings*.json and the environment.\n\nFlags:")
		fs.PrintDefaults()
	}
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case o.keys && len(names) == 0:
		return o, nil
	case len(names) == 0:
		return o, errors.New("name the connection to check, e.g. redis-doctor cache (for ConnectionStrings:cache)")
	case len(names) > 1:
		return o, fmt.Errorf("one connection name at a time, got %d: %v", len(names), names)
	case o.timeout <= 0:
		return o, fmt.Errorf("-timeout must be greater than zero, got %v", o.timeout)
	case o.pings < 1 || o.pings > 1000:
		return o, fmt.Errorf("-pings must be between 1 and 1000, got %d", o.pings)
	}
	o.name = names[0]
	return o, nil
}

// printKeys lists the key table of settings, the one that drives parsing.
func printKeys(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEYWORD\tCONFIGURATIONOPTIONS\tVALUE\tSUPPORT\tIN GO")
	for _, k := range connstr.Keys() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", or(k.Name, "-"), or(k.Property, "-"), k.Value, k.Support, k.Effect)
	}
	fmt.Fprintln(tw, "$COMMAND\tCommandMap\tnew name, or empty\thonoured\trenames (or, empty, disables) the command; unknown names are ignored")
	_ = tw.Flush()
}
