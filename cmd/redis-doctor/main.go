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
