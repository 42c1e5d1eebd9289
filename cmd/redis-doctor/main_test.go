package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/connstr"
	"github.com/aspirego/redis/internal/secrettest"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/settings"
)

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// runDoctor runs the command with env as the whole environment.
func runDoctor(t *testing.T, env []string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, env, &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// contains reports whether s contains sub, comparing runs of spaces and
// tabs as one space (the report aligns its columns).
func contains(s, sub string) bool {
	return strings.Contains(squash(s), squash(sub))
}

func squash(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\n--- stdout\n" + r.stdout + "--- stderr\n" + r.stderr
}

// freePort returns a loopback address where nothing listens.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

const (
	password      = "doctor-secret-4f9a1c"
	wrongPassword = "not-the-password-77b2"
	userPassword  = "app-user-secret-1d8e"
)

// TestDiagnoses runs the doctor against real servers and checks the exit
// status, the message a user acts on, and that no password shows.
func TestDiagnoses(t *testing.T) {
	t.Parallel()
	plain := testserver.Start(t, testserver.Options{
		Password: password,
		Users:    []testserver.User{{Name: "app", Password: userPassword}},
	})
	open := testserver.Start(t, testserver.Options{})
	secure := testserver.Start(t, testserver.Options{TLS: true})
	mutual := testserver.Start(t, testserver.Options{ClientCert: true})
	nothing := freePort(t)

	const fromEnv = "ConnectionStrings:cache (environment variable ConnectionStrings__cache)"
	for _, tc := range []struct {
		name    string
		env     []string
		args    []string
		code    int
		stdout  []string // substrings
		stderr  []string
		nothing bool // stderr must be empty
	}{
		{
			name: "healthy",
			env:  []string{"ConnectionStrings__cache=" + plain.Addr + ",password=" + password},
			code: 0,
			stdout: []string{
				"connection string  " + plain.Addr + ",password=***",
				"from               " + fromEnv,
				"topology           standalone",
				"password           ***",
				"tls                off",
				"ConnectionStrings:cache = " + plain.Addr + ",password=***  environment variable ConnectionStrings__cache  used",
				"DisableHealthChecks    false  default",
				"ok    tcp " + plain.Addr,
				"ok    raw PING " + plain.Addr,
				"authenticated as the default user",
				"ok    INFO",
				"redis 7.",
				"primary with 0 connected replica(s)",
				"5 PINGs: min",
				"ok    health redis_cache",
				"Result: healthy",
			},
			nothing: true,
		},
		{
			name: "wrong password",
			env:  []string{"ConnectionStrings__cache=" + plain.Addr + ",password=" + wrongPassword},
			code: 1,
			stdout: []string{
				"FAIL  connect and PING (go-redis)",
				"Result: problem",
			},
			stderr: []string{
				"redis-doctor: authentication failed: check the password=… in " + fromEnv,
				"WRONGPASS",
			},
		},
		{
			name:   "wrong password of an ACL user in CACHE_URI",
			env:    []string{"CACHE_URI=redis://app:" + wrongPassword + "@" + plain.Addr},
			code:   1,
			stdout: []string{"CACHE_URI = redis://app:***@" + plain.Addr + "  environment variable CACHE_URI  used"},
			stderr: []string{"authentication failed: check user=app and the password in the URI in CACHE_URI (environment variable CACHE_URI)"},
		},
		{
			name:   "ACL user in CACHE_URI",
			env:    []string{"CACHE_URI=redis://app:" + userPassword + "@" + plain.Addr},
			code:   0,
			stdout: []string{"user app", "authenticated as app", "Result: healthy"},
		},
		{
			name: "connection properties",
			env:  []string{"CACHE_HOST=127.0.0.1", "CACHE_PORT=" + strconv.Itoa(plain.Port), "CACHE_PASSWORD=" + password},
			code: 0,
			stdout: []string{
				"from CACHE_HOST (environment variable CACHE_HOST), CACHE_PORT (environment variable CACHE_PORT), CACHE_PASSWORD (environment variable CACHE_PASSWORD)",
				"CACHE_PASSWORD = *** environment variable CACHE_PASSWORD used",
			},
		},
		{
			name:   "password in ConfigurationOptions",
			env:    []string{"ConnectionStrings__cache=" + plain.Addr, "Aspire__StackExchange__Redis__cache__ConfigurationOptions__Password=" + wrongPassword},
			code:   1,
			stdout: []string{"Aspire:StackExchange:Redis:cache:ConfigurationOptions:Password = ***"},
			stderr: []string{"authentication failed: check the Password property at Aspire:StackExchange:Redis:cache:ConfigurationOptions:Password (environment variable Aspire__StackExchange__Redis__cache__ConfigurationOptions__Password)"},
		},
		{
			name:   "no password for a server that needs one",
			env:    []string{"ConnectionStrings__cache=" + plain.Addr},
			code:   1,
			stderr: []string{"authentication required: the server needs a password and none is configured; add password=… to " + fromEnv},
		},
		{
			name:   "wrong port",
			env:    []string{"ConnectionStrings__cache=" + nothing},
			code:   1,
			stdout: []string{"FAIL  tcp " + nothing},
			stderr: []string{"redis-doctor: nothing is listening on " + nothing + " (connection refused): start the server, or fix the host and port in " + fromEnv},
		},
		{
			name:   "ssl=true against a plain server",
			env:    []string{"ConnectionStrings__cache=" + open.Addr + ",ssl=true"},
			args:   []string{"-timeout", "1s"},
			code:   1,
			stdout: []string{"FAIL  tls " + open.Addr},
			stderr: []string{"redis-doctor: TLS handshake failed: the server does not speak TLS on this port", "remove ssl=true from " + fromEnv},
		},
		{
			name:   "rediss:// against a plain server",
			env:    []string{"CACHE_URI=rediss://" + open.Addr},
			args:   []string{"-timeout", "1s"},
			code:   1,
			stderr: []string{"TLS handshake failed: the server does not speak TLS on this port", "use redis:// instead of rediss:// in CACHE_URI (environment variable CACHE_URI)"},
		},
		{
			name:   "plain against a TLS server",
			env:    []string{"ConnectionStrings__cache=" + secure.Addr},
			args:   []string{"-timeout", "1s"},
			code:   1,
			stdout: []string{"FAIL  raw PING " + secure.Addr},
			stderr: []string{"redis-doctor: server closed the connection: " + secure.Addr + " closed the connection without answering PING; does it require TLS? add ssl=true to " + fromEnv},
		},
		{
			name:   "untrusted certificate",
			env:    []string{"ConnectionStrings__cache=" + secure.Addr + ",ssl=true"},
			code:   1,
			stdout: []string{"FAIL  tls " + secure.Addr, "tls                on, server name 127.0.0.1, certificate verified"},
			stderr: []string{"redis-doctor: certificate signed by unknown authority", "trust the CA with SSL_CERT_FILE="},
		},
		{
			name:   "server that requires a client certificate",
			env:    []string{"CACHE_URI=rediss://" + mutual.Addr + "?skip_verify=true"},
			code:   1,
			stdout: []string{"ok tls " + mutual.Addr, "FAIL raw PING " + mutual.Addr, "certificate NOT verified", "is not verified (skip_verify)"},
			stderr: []string{"redis-doctor: " + mutual.Addr + " refused the TLS connection after the handshake", "it probably requires a client certificate"},
		},
		{
			name:   "certificate for another host name",
			env:    []string{"ConnectionStrings__cache=" + secure.Addr + ",ssl=true,sslHost=redis.example"},
			code:   1,
			stderr: []string{`redis-doctor: the server's certificate is not valid for "redis.example" (it is for localhost, 127.0.0.1, ::1): connect by one of those names, or set sslHost=<name> in ` + fromEnv},
		},
		{
			name: "missing configuration",
			env:  []string{"ConnectionStrings__chat=" + plain.Addr},
			code: 2,
			stderr: []string{
				"redis-doctor: No endpoints specified. Ensure a valid connection string was provided in 'ConnectionStrings:cache' or for the 'Aspire:StackExchange:Redis:ConnectionString' configuration key.",
				"ConnectionStrings__cache=host:port",
				"CACHE_URI=redis://",
				"Connections configured here: chat.",
			},
			stdout: []string{"Configuration keys for this connection\n  (none)"},
		},
		{
			name:   "connection string set but unusable",
			env:    []string{"ConnectionStrings__cache=127.0.0.1:abc,password=" + password},
			code:   2,
			stderr: []string{`redis-doctor: the configuration of "cache" is not usable: settings: config key ConnectionStrings:cache (environment variable ConnectionStrings__cache): set, but no endpoint in it can be used: piece 1, '127.0.0.1:abc': the port is not a number`},
		},
		{
			name: "values .NET accepts but Go cannot honour",
			env: []string{"ConnectionStrings__cache=" + open.Addr + ",bad:xx,checkCertificateRevocation=true,$SUBSCRIBE=",
				"Aspire__StackExchange__Redis__ConfigurationOptions__BacklogPolicy=x"},
			code: 0,
			stdout: []string{
				"not honoured       endpoint: piece 2, 'bad:xx': the port is not a number; skipped, as StackExchange.Redis skips it",
				"checkCertificateRevocation: is true, but Go's TLS does not check certificate revocation lists",
				"Aspire:StackExchange:Redis:ConfigurationOptions:BacklogPolicy",
				"ignored: not a ConfigurationOptions property this integration binds",
				"command map        SUBSCRIBE disabled",
				"Result: healthy",
			},
		},
		{
			name: "REDIS_HOST and REDIS_PORT, the last fallback",
			env:  []string{"REDIS_HOST=127.0.0.1", "REDIS_PORT=" + open.Addr[strings.LastIndexByte(open.Addr, ':')+1:], "CACHE_PORT=1"},
			code: 0,
			stdout: []string{
				"from               REDIS_HOST (environment variable REDIS_HOST), REDIS_PORT (environment variable REDIS_PORT)",
				"REDIS_HOST = 127.0.0.1  environment variable REDIS_HOST  used (the last fallback",
				"CACHE_PORT = 1  environment variable CACHE_PORT  ignored without CACHE_HOST",
				"Result: healthy",
			},
		},
		{
			name: "REDIS_* set but not used",
			env:  []string{"ConnectionStrings__cache=" + open.Addr, "REDIS_HOST=127.0.0.1", "REDIS_PORT=tcp://10.0.0.1:6379"},
			code: 0,
			stdout: []string{
				"REDIS_HOST = 127.0.0.1  environment variable REDIS_HOST  not used: a connection string is configured",
				"REDIS_PORT = tcp://10.0.0.1:6379  environment variable REDIS_PORT  not used: a connection string is configured",
			},
		},
		{
			name:   "a password with a comma: nothing of it shows",
			env:    []string{"ConnectionStrings__cache=" + plain.Addr + ",password=" + password + ",x=" + wrongPassword},
			code:   2,
			stderr: []string{"piece 3, right after password=, is rejected (not shown"},
		},
		{
			name:   "invalid connection string",
			env:    []string{"ConnectionStrings__cache=" + plain.Addr + ",password=" + password + ",connectTimeout=soon"},
			code:   2,
			stderr: []string{"the configuration of \"cache\" is not usable: settings: config key ConnectionStrings:cache (environment variable ConnectionStrings__cache): piece 3, right after password=, is rejected"},
		},
		{
			name:   "invalid connection string, password last",
			env:    []string{"ConnectionStrings__cache=" + plain.Addr + ",connectTimeout=soon,password=" + password},
			code:   2,
			stderr: []string{"the configuration of \"cache\" is not usable: settings: config key ConnectionStrings:cache (environment variable ConnectionStrings__cache): Keyword 'connectTimeout'"},
		},
		{
			name:   "no name",
			code:   2,
			stderr: []string{"name the connection to check", "usage: redis-doctor"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{"-dir", t.TempDir()}, tc.args...), "cache")
			if tc.name == "no name" {
				args = nil
			}
			r := runDoctor(t, tc.env, args...)
			if r.code != tc.code {
				t.Errorf("exit code %d, want %d", r.code, tc.code)
			}
			for _, s := range tc.stdout {
				if !contains(r.stdout, s) {
					t.Errorf("stdout lacks %q", s)
				}
			}
			for _, s := range tc.stderr {
				if !contains(r.stderr, s) {
					t.Errorf("stderr lacks %q", s)
				}
			}
			if tc.nothing && r.stderr != "" {
				t.Errorf("stderr is not empty")
			}
			noSecrets(t, r)
			if t.Failed() || os.Getenv("SHOW") != "" {
				t.Log(r)
			}
		})
	}
}

func noSecrets(t *testing.T, r result) {
	t.Helper()
	for _, s := range []string{password, wrongPassword, userPassword} {
		if strings.Contains(r.stdout+r.stderr, s) {
			t.Errorf("a password appears in the output")
		}
	}
}

// TestSources: values from appsettings.json and the environment are
// reported with their source, and overridden or ignored keys say so.
func TestSources(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Password: password})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "appsettings.json"), `{
	  "ConnectionStrings": { "cache": "localhost:1,password=`+wrongPassword+`" },
	  "Aspire": { "StackExchange": { "Redis": {
	    "ConnectionString": "localhost:2",
	    "DisableTracing": true,
	    "DisableTraceing": true,
	    "ConfigurationOptions": { "ConnectTimeout": 3000 },
	    "cache": { "DisableTracing": false, "HealthCheckTimeout": "00:00:02" },
	    "chat": { "DisableMetrics": true }
	  } } }
	}`)
	writeFile(t, filepath.Join(dir, "appsettings.Staging.json"), `{"Aspire": {"StackExchange": {"Redis": {"cache": {"ConfigurationOptions": {"ConnectTimeout": 1500}}}}}}`)
	env := []string{
		"DOTNET_ENVIRONMENT=Staging",
		"ConnectionStrings__cache=" + srv.Addr + ",password=" + password,
		"CACHE_URI=redis://:" + wrongPassword + "@localhost:3",
	}
	r := runDoctor(t, env, "-dir", dir, "cache")
	if r.code != 0 {
		t.Fatal(r)
	}
	file := filepath.Join(dir, "appsettings.json")
	staging := filepath.Join(dir, "appsettings.Staging.json")
	for _, want := range []string{
		"Configuration (environment Staging, directory " + dir + ")",
		"ConnectionStrings:cache = " + srv.Addr + ",password=***  environment variable ConnectionStrings__cache",
		"Aspire:StackExchange:Redis:ConnectionString = localhost:2",
		"overridden by ConnectionStrings:cache",
		"Aspire:StackExchange:Redis:DisableTracing = true",
		"overridden by Aspire:StackExchange:Redis:cache:DisableTracing",
		"Aspire:StackExchange:Redis:DisableTraceing = true",
		"ignored: not a setting of Aspire:StackExchange:Redis",
		"Aspire:StackExchange:Redis:ConfigurationOptions:ConnectTimeout = 3000",
		"overridden by Aspire:StackExchange:Redis:cache:ConfigurationOptions:ConnectTimeout",
		"Aspire:StackExchange:Redis:cache:ConfigurationOptions:ConnectTimeout = 1500  " + staging + "  used",
		"CACHE_URI = redis://:***@localhost:3",
		"not used: a connection string is configured",
		"timeouts           dial 1.5s",
		"DisableTracing         false  Aspire:StackExchange:Redis:cache:DisableTracing (" + file + ")",
		"HealthCheckTimeout     2s     Aspire:StackExchange:Redis:cache:HealthCheckTimeout (" + file + ")",
		"DisableMetrics         false  default",
	} {
		if !contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if strings.Contains(r.stdout, "chat") {
		t.Errorf("another connection's keys are listed")
	}
	noSecrets(t, r)
	if t.Failed() || os.Getenv("SHOW") != "" {
		t.Log(r)
	}
}

// TestJSON: -json prints one object with the same findings.
func TestJSON(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Password: password})
	for _, tc := range []struct {
		name    string
		cs      string
		code    int
		healthy bool
	}{
		{"healthy", srv.Addr + ",password=" + password, 0, true},
		{"wrong password", srv.Addr + ",password=" + wrongPassword, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runDoctor(t, []string{"ConnectionStrings__cache=" + tc.cs}, "cache", "-json", "-pings", "3", "-dir", t.TempDir())
			if r.code != tc.code {
				t.Fatal(r)
			}
			var rep report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
			}
			if rep.Healthy != tc.healthy || rep.ExitCode != tc.code || rep.Name != "cache" {
				t.Errorf("healthy %v, exitCode %d, name %q", rep.Healthy, rep.ExitCode, rep.Name)
			}
			if rep.Config == nil || rep.Config.Topology != "standalone" || rep.Config.Password != "***" ||
				rep.Config.Source != "ConnectionStrings:cache (environment variable ConnectionStrings__cache)" {
				t.Errorf("config = %+v", rep.Config)
			}
			if tc.healthy {
				if rep.Server == nil || rep.Server.Product != "redis" || !strings.HasPrefix(rep.Server.Version, "7.") {
					t.Errorf("server = %+v", rep.Server)
				}
				if rep.Latency == nil || rep.Latency.Pings != 3 || rep.Latency.MinMs > rep.Latency.MedianMs || rep.Latency.MedianMs > rep.Latency.MaxMs {
					t.Errorf("latency = %+v", rep.Latency)
				}
				if rep.Health == nil || rep.Health.Status != "Healthy" || rep.Health.Check != "redis_cache" {
					t.Errorf("health = %+v", rep.Health)
				}
			} else if !strings.HasPrefix(rep.Problem, "authentication failed") {
				t.Errorf("problem = %q", rep.Problem)
			}
			noSecrets(t, r)
		})
	}
}

// TestTopologies: a cluster and a sentinel-managed primary are recognised
// and described; a sentinel given as a plain server is called out.
func TestTopologies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster and a sentinel set")
	}
	t.Parallel()
	t.Run("cluster", func(t *testing.T) {
		t.Parallel()
		c := testserver.StartCluster(t, testserver.ClusterOptions{Password: password})
		r := runDoctor(t, []string{"ConnectionStrings__cache=" + c.ConnectionString()}, "-dir", t.TempDir(), "cache")
		if r.code != 0 {
			t.Fatal(r)
		}
		if os.Getenv("SHOW") != "" {
			t.Log(r)
		}
		for _, want := range []string{"topology cluster", "3 primaries, 0 replicas, cluster_state ok", "Result: healthy"} {
			if !contains(r.stdout, want) {
				t.Errorf("stdout lacks %q\n%s", want, r)
			}
		}
		noSecrets(t, r)
	})
	t.Run("primary/replicas", func(t *testing.T) {
		t.Parallel()
		set := testserver.StartReplicas(t, testserver.ReplicaOptions{Password: password})
		r := runDoctor(t, []string{"ConnectionStrings__cache=" + set.ConnectionString()}, "-dir", t.TempDir(), "cache")
		if r.code != 0 {
			t.Fatal(r)
		}
		if os.Getenv("SHOW") != "" {
			t.Log(r)
		}
		replica := set.Replicas()[0].Addr
		for _, want := range []string{"topology primary/replicas: primary " + set.PrimaryAddr() + ", 1 replica(s): " + replica, "Result: healthy"} {
			if !contains(r.stdout, want) {
				t.Errorf("stdout lacks %q\n%s", want, r)
			}
		}
		if contains(r.stdout, "CLUSTER NODES") || contains(r.stderr, "CLUSTER NODES") {
			t.Errorf("the doctor treats a primary and its replicas as a cluster:\n%s", r)
		}
		noSecrets(t, r)
	})
	t.Run("sentinel", func(t *testing.T) {
		t.Parallel()
		set := testserver.StartSentinel(t, testserver.SentinelOptions{Password: password})
		r := runDoctor(t, []string{"ConnectionStrings__cache=" + set.ConnectionString()}, "-dir", t.TempDir(), "cache")
		if r.code != 0 {
			t.Fatal(r)
		}
		if os.Getenv("SHOW") != "" {
			t.Log(r)
		}
		for _, want := range []string{"topology sentinel", `service "mymaster": primary ` + set.PrimaryAddr(), "1 replica(s)", "Result: healthy"} {
			if !contains(r.stdout, want) {
				t.Errorf("stdout lacks %q\n%s", want, r)
			}
		}
		noSecrets(t, r)

		// The sentinel's address without serviceName=.
		r = runDoctor(t, []string{"ConnectionStrings__cache=" + set.SentinelAddrs()[0]}, "-dir", t.TempDir(), "cache")
		if r.code != 1 || !strings.Contains(r.stderr, "is a Redis Sentinel, not a data server: add serviceName=<name>") || !strings.Contains(r.stderr, "(it monitors: mymaster)") {
			t.Errorf("sentinel as a server:\n%s", r)
		}
	})
}

// TestTrustedCA builds the command and runs it with SSL_CERT_FILE naming
// the test CA, as the untrusted-certificate message advises: then the TLS
// connection is healthy. (The system trust store is read once per process,
// so this needs a process of its own.)
func TestTrustedCA(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{TLS: true, Password: password})
	bin := filepath.Join(t.TempDir(), "redis-doctor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-dir", t.TempDir(), "-timeout", "3s", "cache")
	cmd.Env = []string{
		"SSL_CERT_FILE=" + srv.TLS.CAFile,
		"ConnectionStrings__cache=" + srv.Addr + ",ssl=true,password=" + password,
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	if err != nil || r.code != 0 || !strings.Contains(r.stdout, "ok") || !contains(r.stdout, "ok tls "+srv.Addr+" ") || !strings.Contains(r.stdout, "Result: healthy") {
		t.Fatalf("%v\n%s", err, r)
	}
	noSecrets(t, r)
}

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, 0, "usage: redis-doctor [flags] <name>"},
		{[]string{"cache", "chat"}, 2, "one connection name at a time"},
		{[]string{"-timeout", "0s", "cache"}, 2, "-timeout must be greater than zero"},
		{[]string{"-pings", "0", "cache"}, 2, "-pings must be between 1 and 1000"},
		{[]string{"-bogus", "cache"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"-dir", "/nonexistent/dir", "cache"}, 2, "-dir /nonexistent/dir: not a directory"},
	} {
		r := runDoctor(t, nil, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: want exit %d and %q\n%s", tc.args, tc.code, tc.want, r)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMain checks that no run leaves a goroutine behind (clients, pools,
// health checks are all closed).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestKeysListing checks that -keys lists the key table of settings.
func TestKeysListing(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	if code := run([]string{"-keys"}, nil, &out, &errOut); code != 0 || errOut.Len() > 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	for _, k := range connstr.Keys() {
		if !strings.Contains(out.String(), or(k.Name, k.Property)) || !strings.Contains(out.String(), k.Effect) {
			t.Errorf("-keys lacks %+v", k)
		}
	}
}

// TestScrubCorpus feeds the shared corpus of tricky passwords to the
// doctor's scrubbing: every secret its configuration holds is masked in any
// text the doctor prints, whether the connection string parses or not.
func TestScrubCorpus(t *testing.T) {
	t.Parallel()
	for _, pw := range secrettest.Passwords {
		out := func(pw string) string {
			cfg, err := settings.NewConfig(map[string]any{
				"ConnectionStrings:cache": "h:6379,password=" + pw + ",ssl=true",
				"ConnectionStrings:other": "redis://u:" + url.PathEscape(pw) + "@h",
				"CACHE_PASSWORD":          pw,
				"Aspire:StackExchange:Redis:cache:ConfigurationOptions:Password": pw,
			})
			if err != nil {
				t.Fatal(err)
			}
			d := newDoctor(options{name: "cache"}, nil)
			d.cfg = cfg
			d.collectSecrets()
			return d.scrub(fmt.Sprintf("server said: ERR '%s' %q; cs h:6379,password=%s,ssl=true; uri redis://u:%s@h",
				pw, pw, pw, url.PathEscape(pw))) + fmt.Sprint(d.describeKeys())
		}
		secrettest.NoSecret(t, "doctor output", out(pw), out(secrettest.Neutral), pw, 3)
	}
}
