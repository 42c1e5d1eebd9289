package apphosttest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aspirego/redis/internal/configstore"
	"github.com/aspirego/redis/settings"
)

// Redis returns the variables that WithReference(cache) injects into an
// executable for a Redis resource called name (Aspire 13.x:
// src/Aspire.Hosting.Redis/RedisResource.cs, ResourceBuilderExtensions.WithReference
// with the default ReferenceEnvironmentInjectionFlags.All):
//
//	ConnectionStrings__{name}  host:port[,password={password}][,ssl=true]
//	{NAME}_HOST, {NAME}_PORT
//	{NAME}_PASSWORD            when there is a password
//	{NAME}_URI                 redis[s]://[:{password}@]host:port
//
// The connection string holds the password as it is: Aspire escapes
// nothing there (so a comma in it splits the string, in .NET too). The URI
// holds it percent-encoded as .NET's Uri.EscapeDataString does (the "uri"
// format of a ReferenceExpression). {NAME} is configstore.PropertyPrefix(name),
// Aspire's EnvironmentVariableNameEncoder upper-cased.
func Redis(name, host string, port int, password string, tls bool) map[string]string {
	prefix := configstore.PropertyPrefix(name) + "_"
	hostPort := host + ":" + strconv.Itoa(port)
	cs, uri := hostPort, "redis://"
	if tls {
		uri = "rediss://"
	}
	env := map[string]string{prefix + "HOST": host, prefix + "PORT": strconv.Itoa(port)}
	if password != "" {
		cs += ",password=" + password
		uri += ":" + escapeDataString(password) + "@"
		env[prefix+"PASSWORD"] = password
	}
	if tls {
		cs += ",ssl=true"
	}
	env[settings.ConnectionStringsKey+"__"+name] = cs
	env[prefix+"URI"] = uri + hostPort
	return env
}

// ConnectionProperties returns env without the ConnectionStrings__
// variables: what the AppHost injects with
// WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionProperties).
func ConnectionProperties(env map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		if !strings.HasPrefix(k, settings.ConnectionStringsKey+"__") {
			out[k] = v
		}
	}
	return out
}

// escapeDataString percent-encodes every byte but RFC 3986's unreserved
// characters, as .NET's Uri.EscapeDataString does.
func escapeDataString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// OTLP returns the variables that WithOtlpExporter() injects into a
// resource of an AppHost running in Development (Aspire 13.x:
// src/Aspire.Hosting/OtlpConfigurationExtensions.cs): the dashboard's
// endpoint and protocol, its API key header, the service name and
// instance id (resolved by DCP), one-second export intervals, the
// always_on sampler and trace-based exemplars.
func OTLP(endpoint, protocol, serviceName, instanceID, apiKey string) map[string]string {
	return map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":                        endpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL":                        protocol,
		"OTEL_EXPORTER_OTLP_HEADERS":                         "x-otlp-api-key=" + apiKey,
		"OTEL_SERVICE_NAME":                                  serviceName,
		"OTEL_RESOURCE_ATTRIBUTES":                           "service.instance.id=" + instanceID,
		"OTEL_BSP_SCHEDULE_DELAY":                            "1000",
		"OTEL_BLRP_SCHEDULE_DELAY":                           "1000",
		"OTEL_METRIC_EXPORT_INTERVAL":                        "1000",
		"OTEL_TRACES_SAMPLER":                                "always_on",
		"OTEL_METRICS_EXEMPLAR_FILTER":                       "trace_based",
		"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
	}
}

// Merge returns the union of envs, later maps winning.
func Merge(envs ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, env := range envs {
		for k, v := range env {
			out[k] = v
		}
	}
	return out
}

// Process is a service running as a child process.
type Process struct {
	// Base is the service's base URL ("http://127.0.0.1:8080"), once it
	// is ready.
	Base string

	cmd    *exec.Cmd
	ready  chan struct{} // closed when the ready line is seen
	exited chan struct{} // closed when the process has exited
	mu     sync.Mutex
	out    strings.Builder
}

// Ready reads one line of the service's output and returns the service's
// base URL when the line says that it listens.
type Ready func(line string) (base string, ok bool)

// Start runs path with args like Exec, and waits until ready finds the
// line saying that the service listens. It fails the test when the
// process exits first or is not ready within 30 seconds.
func Start(t testing.TB, path string, args []string, env map[string]string, ready Ready) *Process {
	t.Helper()
	p := Exec(t, path, args, env, ready)
	select {
	case <-p.ready:
	case <-p.exited:
		t.Fatalf("the service exited before listening (status %d):\n%s", p.cmd.ProcessState.ExitCode(), p.Output())
	case <-time.After(30 * time.Second):
		t.Fatalf("the service is not listening after 30s:\n%s", p.Output())
	}
	return p
}

// Exec runs path with args, in an empty directory, with exactly env plus
// the PATH, HOME, TMPDIR and GOCOVERDIR of the test, and returns at once.
// The process is killed, if still running, when the test ends.
func Exec(t testing.TB, path string, args []string, env map[string]string, ready Ready) *Process {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Dir = t.TempDir()
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr // the same pipe: one output, in order
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{cmd: cmd, ready: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(p.exited)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		seen := ready == nil
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.out.WriteString(line + "\n")
			if !seen {
				if base, ok := ready(line); ok {
					p.Base, seen = base, true
					close(p.ready)
				}
			}
			p.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait() // the status is in cmd.ProcessState
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// Output is everything the process wrote so far (standard error and
// output).
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Wait waits up to timeout for the process to exit and returns its exit
// code; it fails the test when the process still runs.
func (p *Process) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Fatalf("the service still runs after %v:\n%s", timeout, p.Output())
	}
	return p.cmd.ProcessState.ExitCode()
}

// Stop sends SIGTERM, as the AppHost does, and fails the test unless the
// process then exits with status 0 within 20 seconds.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.Wait(t, 20*time.Second); code != 0 {
		t.Errorf("the service exited with status %d:\n%s", code, p.Output())
	}
}

// Response is an HTTP response with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// Get sends GET path to the service, bounded by 10 seconds, and fails the
// test when no response comes.
func (p *Process) Get(t testing.TB, path string) Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, p.Output())
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return Response{Response: res, Body: b}
}

// CertDir writes each PEM certificate into a new temporary directory and
// returns it, the value for SSL_CERT_DIR: how an Aspire AppHost (13.0 and
// later, in run mode) makes an executable trust its development
// certificate, and how a test makes the service trust a test CA. Go reads
// every file of the directories in SSL_CERT_DIR, once per process.
func CertDir(t testing.TB, pems ...[]byte) string {
	t.Helper()
	dir := t.TempDir()
	for i, pem := range pems {
		if err := os.WriteFile(filepath.Join(dir, "ca-"+strconv.Itoa(i)+".pem"), pem, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// WaitFor polls cond every 50 ms until it holds, and fails the test after
// timeout with what state says.
func WaitFor(t testing.TB, timeout time.Duration, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not so after %v: %s", timeout, state())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
