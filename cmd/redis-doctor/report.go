package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// report is everything the doctor found. It is printed as text or, with
// -json, as JSON. It never holds a password: values are redacted when they
// are put in, and the printed form is scrubbed again.
type report struct {
	Name     string        `json:"name"`
	Healthy  bool          `json:"healthy"`
	ExitCode int           `json:"exitCode"`
	Problem  string        `json:"problem,omitempty"`
	Hints    []string      `json:"hints,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
	Config   *configReport `json:"config,omitempty"`
	Checks   []check       `json:"checks,omitempty"`
	Server   *serverReport `json:"server,omitempty"`
	Topology *topology     `json:"topology,omitempty"`
	Latency  *latency      `json:"latency,omitempty"`
	Health   *health       `json:"health,omitempty"`
	Azure    *azureReport  `json:"azure,omitempty"`
}

// configReport is what the doctor would connect to, and where each value
// came from.
type configReport struct {
	Environment      string            `json:"environment"`
	Dir              string            `json:"dir"`
	ConnectionString string            `json:"connectionString,omitempty"` // redacted
	Source           string            `json:"source,omitempty"`
	Topology         string            `json:"topology,omitempty"`
	Endpoints        []string          `json:"endpoints,omitempty"`
	ServiceName      string            `json:"serviceName,omitempty"`
	User             string            `json:"user,omitempty"`
	Password         string            `json:"password,omitempty"` // "***" or "" (none)
	TLS              *tlsReport        `json:"tls,omitempty"`
	Database         int               `json:"database"`
	Protocol         int               `json:"protocol"`
	DialTimeout      string            `json:"dialTimeout,omitempty"`
	ReadTimeout      string            `json:"readTimeout,omitempty"`
	WriteTimeout     string            `json:"writeTimeout,omitempty"`
	AbortConnect     bool              `json:"abortConnect"`
	Tunnel           string            `json:"tunnel,omitempty"`
	Ignored          []string          `json:"ignoredKeys,omitempty"`
	Warnings         []string          `json:"warnings,omitempty"` // values accepted as .NET accepts them but not honoured
	Azure            string            `json:"azure,omitempty"`    // the Azure service whose defaults apply
	CommandMap       map[string]string `json:"commandMap,omitempty"`
	Settings         []setting         `json:"settings,omitempty"`
	Keys             []configKey       `json:"keys"`
	Names            []string          `json:"connectionNames,omitempty"`
}

type tlsReport struct {
	ServerName         string `json:"serverName,omitempty"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty"`
	MinVersion         string `json:"minVersion,omitempty"`
	MaxVersion         string `json:"maxVersion,omitempty"`
}

// setting is one of the integration's settings with its final value.
type setting struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source string `json:"source"` // "default", or "KEY (SOURCE)"
}

// configKey is one configuration key that concerns the connection.
type configKey struct {
	Key    string `json:"key"`
	Value  string `json:"value"` // redacted
	Source string `json:"source"`
	Note   string `json:"note"` // used, overridden by ..., ignored: ...
}

// check is one step of the diagnosis.
type check struct {
	Name   string  `json:"name"`
	OK     bool    `json:"ok"`
	Ms     float64 `json:"ms"`
	Detail string  `json:"detail,omitempty"`
}

type serverReport struct {
	Product      string `json:"product"`
	Version      string `json:"version"`
	RedisVersion string `json:"redisVersion,omitempty"`
	Mode         string `json:"mode,omitempty"`
	Role         string `json:"role,omitempty"`
}

type topology struct {
	Kind     string `json:"kind"`
	Detail   string `json:"detail"`
	Primary  string `json:"primary,omitempty"`
	Replicas int    `json:"replicas"`
	// Cluster only.
	Primaries    int    `json:"primaries,omitempty"`
	ClusterState string `json:"clusterState,omitempty"`
	// Sentinel only.
	Sentinels int `json:"sentinels,omitempty"`
}

type latency struct {
	Pings    int     `json:"pings"`
	MinMs    float64 `json:"minMs"`
	MedianMs float64 `json:"medianMs"`
	MaxMs    float64 `json:"maxMs"`
}

type health struct {
	Check  string  `json:"check"`
	Status string  `json:"status"`
	Ms     float64 `json:"ms"`
	Error  string  `json:"error,omitempty"`
	Note   string  `json:"note,omitempty"`
}

// print writes the report to stdout (text or JSON) and the problem, if
// any, to stderr. Everything passes through scrub first.
func (d *doctor) print(stdout, stderr io.Writer) {
	var out bytes.Buffer
	if d.opts.json {
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		_ = enc.Encode(d.report)
	} else {
		d.report.writeText(&out)
	}
	_, _ = io.WriteString(stdout, d.scrub(out.String()))
	if d.report.Problem != "" {
		var msg strings.Builder
		fmt.Fprintf(&msg, "redis-doctor: %s\n", d.report.Problem)
		for _, h := range d.report.Hints {
			fmt.Fprintf(&msg, "  %s\n", h)
		}
		_, _ = io.WriteString(stderr, d.scrub(msg.String()))
	}
}

func (r *report) writeText(w io.Writer) {
	fmt.Fprintf(w, "redis-doctor: connection %q\n", r.Name)
	if c := r.Config; c != nil {
		fmt.Fprintf(w, "\nConfiguration (environment %s, directory %s)\n", c.Environment, c.Dir)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		row := func(k, v string) {
			if v != "" {
				fmt.Fprintf(tw, "  %s\t%s\n", k, v)
			}
		}
		row("connection string", c.ConnectionString)
		row("from", c.Source)
		row("topology", c.Topology)
		if c.Topology == "sentinel" {
			row("sentinels", strings.Join(c.Endpoints, ", "))
		} else {
			row("endpoints", strings.Join(c.Endpoints, ", "))
		}
		row("service name", c.ServiceName)
		if c.Topology != "" {
			row("user", or(c.User, "(default user)"))
			row("password", or(c.Password, "(none)"))
			if c.TLS == nil {
				row("tls", "off")
			} else {
				t := "on, server name " + or(c.TLS.ServerName, "(none)")
				if c.TLS.InsecureSkipVerify {
					t += ", certificate NOT verified"
				} else {
					t += ", certificate verified"
				}
				if c.TLS.MinVersion != "" {
					t += ", min " + c.TLS.MinVersion
				}
				if c.TLS.MaxVersion != "" {
					t += ", max " + c.TLS.MaxVersion
				}
				row("tls", t)
			}
			row("database", fmt.Sprint(c.Database))
			row("protocol", fmt.Sprintf("RESP%d", c.Protocol))
			row("timeouts", fmt.Sprintf("dial %s, read %s, write %s", c.DialTimeout, c.ReadTimeout, c.WriteTimeout))
			row("abortConnect", fmt.Sprint(c.AbortConnect))
			row("tunnel", c.Tunnel)
			row("ignored keys", strings.Join(c.Ignored, ", "))
			row("azure", c.Azure)
			if len(c.CommandMap) > 0 {
				row("command map", commandMapText(c.CommandMap))
			}
			for i, w := range c.Warnings {
				label := ""
				if i == 0 {
					label = "not honoured"
				}
				row(label, w)
			}
		}
		_ = tw.Flush()
		if len(c.Settings) > 0 {
			fmt.Fprintln(w, "\nSettings")
			tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for _, s := range c.Settings {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, s.Value, s.Source)
			}
			_ = tw.Flush()
		}
		fmt.Fprintln(w, "\nConfiguration keys for this connection")
		if len(c.Keys) == 0 {
			fmt.Fprintln(w, "  (none)")
		}
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, k := range c.Keys {
			fmt.Fprintf(tw, "  %s = %s\t%s\t%s\n", k.Key, k.Value, k.Source, k.Note)
		}
		_ = tw.Flush()
	}
	if len(r.Checks) > 0 {
		fmt.Fprintln(w, "\nChecks")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range r.Checks {
			mark := "ok"
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", mark, c.Name, ms(c.Ms), c.Detail)
		}
		_ = tw.Flush()
	}
	r.writeAzure(w)
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings")
		for _, s := range r.Warnings {
			fmt.Fprintf(w, "  - %s\n", s)
		}
	}
	fmt.Fprintln(w)
	switch {
	case r.Healthy:
		fmt.Fprintln(w, "Result: healthy")
	case r.Problem != "":
		fmt.Fprintln(w, "Result: problem (see stderr)")
	}
}

func ms(v float64) string {
	switch {
	case v <= 0:
		return ""
	case v < 10:
		return fmt.Sprintf("%.2fms", v)
	}
	return fmt.Sprintf("%.0fms", v)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// commandMapText lists a command map in command order: "CONFIG disabled,
// GET sent as MYGET".
func commandMapText(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, cmd := range slices.Sorted(maps.Keys(m)) {
		if m[cmd] == "" {
			parts = append(parts, cmd+" disabled")
		} else {
			parts = append(parts, cmd+" sent as "+m[cmd])
		}
	}
	return strings.Join(parts, ", ")
}
