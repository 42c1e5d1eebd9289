package testserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/aspirego/redis/internal/redact"
)

// Defaults for Options and for the commands the harness runs itself.
const (
	// DefaultStartTimeout bounds how long Start waits for a server to
	// answer PING.
	DefaultStartTimeout = 10 * time.Second
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL.
	StopGrace = 3 * time.Second
	// CommandTimeout bounds every command that Do, DoErr and the cluster
	// and sentinel helpers run, and the MIGRATE timeout.
	CommandTimeout = 10 * time.Second
	logTailLines   = 30
)

// Options configures a standalone server started by [Start].
type Options struct {
	// Binary is the server executable: a name looked up on PATH or a path.
	// "" means "redis-server"; use "valkey-server" for Valkey.
	Binary string
	// Password sets requirepass (the default user's password) and
	// masterauth.
	Password string
	// Users are ACL users created in addition to the default user.
	Users []User
	// TLS serves TLS only: port 0 and tls-port on the chosen port. The
	// certificates are generated in the test, see [TLSMaterial].
	TLS bool
	// ClientCert (implies TLS) also generates a client certificate and
	// makes the server require one (tls-auth-clients yes). Without it the
	// server does not ask for client certificates.
	ClientCert bool
	// Unix also listens on a unix socket; its path is Server.UnixPath.
	Unix bool
	// Args are extra command-line arguments, e.g. "--maxclients", "10".
	Args []string
	// Port is a fixed port. 0 picks a free one.
	Port int
	// StartTimeout bounds the wait for the first PONG; 0 means
	// DefaultStartTimeout.
	StartTimeout time.Duration

	// tlsMaterial, set by StartSentinel for a TLS set, replaces the
	// certificates TLS would generate.
	tlsMaterial *TLSMaterial
}

// User is an ACL user: `user <Name> on ><Password> <Rules...>`.
type User struct {
	Name     string
	Password string
	// Rules are ACL rules such as "~*", "+@all", "-flushall". nil means
	// full access: "~*", "&*", "+@all".
	Rules []string
}

type kind int

const (
	kindStandalone kind = iota
	kindClusterNode
	kindSentinel
)

func (k kind) String() string {
	switch k {
	case kindClusterNode:
		return "cluster node"
	case kindSentinel:
		return "sentinel"
	default:
		return "server"
	}
}

// Server is a running (or stopped) server process. Its address stays the
// same across Restart.
type Server struct {
	// Host is "127.0.0.1"; the server also listens on ::1 where the host has
	// IPv6.
	Host string
	// Port is the TCP port (the TLS port when Options.TLS is set).
	Port int
	// Addr is Host:Port.
	Addr string
	// UnixPath is the unix socket path when Options.Unix is set.
	UnixPath string
	// Dir is the server's working directory (config, log, certificates).
	Dir string
	// LogFile is the server's log (stdout and stderr, every start).
	LogFile string
	// TLS is the certificate material when Options.TLS or ClientCert is
	// set, nil otherwise.
	TLS *TLSMaterial

	path     string
	kind     kind
	ports    portRange
	confFile string
	// roleConf returns the directives that depend on the node's current
	// role (sentinel data nodes), computed at every start.
	roleConf func() []string
	// sentinelConf renders a sentinel's whole configuration; it is written
	// only before the first successful start, as the sentinel rewrites it.
	sentinelConf func(port int) string

	// secrets masks every password the server was configured with in
	// logs and errors (the module's one scrubber).
	secrets redact.Scrubber

	mu      sync.Mutex
	opts    Options
	proc    *process
	started bool
}

// Start starts a server with opts and waits until it answers PING. The
// server is stopped when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := newServer(t, opts, kindStandalone)
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	return s
}

// newServer prepares a Server (directory, certificates, clean-up) without
// starting it.
func newServer(t testing.TB, opts Options, k kind) *Server {
	t.Helper()
	path := Require(t, opts.Binary)
	dir := t.TempDir()
	s := &Server{
		Host:     "127.0.0.1",
		Dir:      dir,
		LogFile:  filepath.Join(dir, "server.log"),
		path:     path,
		kind:     k,
		ports:    plainPorts,
		confFile: filepath.Join(dir, "redis.conf"),
		opts:     opts,
	}
	s.rememberSecrets()
	if k == kindClusterNode {
		s.ports = clusterPorts
	}
	if k == kindSentinel {
		s.confFile = filepath.Join(dir, "sentinel.conf")
	}
	if opts.Port != 0 {
		reservePort(opts.Port, s.ports.bus)
		s.setPort(opts.Port)
	}
	if opts.Unix {
		s.UnixPath = unixSocketPath(t, dir)
	}
	if opts.tlsMaterial != nil {
		s.TLS = opts.tlsMaterial
	} else if opts.TLS || opts.ClientCert {
		m, err := newTLSMaterial(dir, opts.ClientCert)
		if err != nil {
			t.Fatal(err)
		}
		s.TLS = m
	}
	// Clean-ups run last-registered first: stop the process, then print
	// its log, then (t.TempDir's own clean-up) remove the directory.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testserver: %s %s: last lines of %s:\n%s", s.kind, s.Addr, s.LogFile, s.LogTail(logTailLines))
		}
	})
	t.Cleanup(func() {
		s.Stop()
		if s.Port != 0 {
			releasePort(s.Port, s.ports.bus)
		}
	})
	return s
}

// unixSocketPath returns a socket path in dir, or in a shorter directory
// when dir is too long for a socket address (about 100 bytes).
func unixSocketPath(t testing.TB, dir string) string {
	p := filepath.Join(dir, "redis.sock")
	if len(p) <= 100 {
		return p
	}
	short, err := os.MkdirTemp("", "ts")
	if err != nil {
		t.Fatalf("testserver: unix socket directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(short) })
	return filepath.Join(short, "redis.sock")
}

func (s *Server) setPort(p int) {
	s.Port = p
	s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(p))
}

func (s *Server) startTimeout() time.Duration {
	if s.opts.StartTimeout > 0 {
		return s.opts.StartTimeout
	}
	return DefaultStartTimeout
}

var errPortInUse = errors.New("port already in use")

// start launches the process and waits for PING, retrying on a port that
// another process took in the meantime (on another port when the port was
// picked here, on the same one when it is fixed).
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil && !s.proc.exited() {
		return fmt.Errorf("testserver: %s %s is already running", s.kind, s.Addr)
	}
	deadline := time.Now().Add(s.startTimeout())
	picked := s.Port == 0
	for {
		if picked {
			p, err := pickPort(s.ports)
			if err != nil {
				return fmt.Errorf("testserver: start %s: %w", s.kind, err)
			}
			s.setPort(p)
		}
		proc, logOffset, err := s.spawn()
		if err == nil {
			err = s.waitReady(proc, logOffset, deadline)
			if err != nil {
				proc.kill()
			}
		}
		if err == nil {
			s.proc, s.started = proc, true
			return nil
		}
		if !errors.Is(err, errPortInUse) || time.Now().After(deadline) {
			return fmt.Errorf("testserver: start %s (%s) on %s: %w", s.kind, filepath.Base(s.path), s.Addr, err)
		}
		if picked {
			releasePort(s.Port, s.ports.bus)
			s.Port, s.Addr = 0, ""
			continue
		}
		time.Sleep(100 * time.Millisecond) // fixed port: wait for it to be released
	}
}

// spawn writes the configuration and starts the process. logOffset is where
// this start's output begins in the log file.
func (s *Server) spawn() (*process, int64, error) {
	if s.kind != kindSentinel || !s.started {
		if err := os.WriteFile(s.confFile, []byte(s.renderConf()), 0o600); err != nil {
			return nil, 0, err
		}
	}
	logf, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- testserver: %s %s on port %d at %s ---\n",
		filepath.Base(s.path), s.kind, s.Port, time.Now().Format(time.RFC3339Nano))
	off, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, 0, err
	}
	args := []string{s.confFile}
	if s.kind == kindSentinel {
		args = append(args, "--sentinel")
	}
	args = append(args, s.opts.Args...)
	p, err := startProcess(s.path, args, s.Dir, logf)
	return p, off, err
}

// renderConf returns the server configuration for the current options and
// port.
func (s *Server) renderConf() string {
	if s.kind == kindSentinel {
		return s.sentinelConf(s.Port)
	}
	o := &s.opts
	var b strings.Builder
	line := func(words ...string) {
		for i, w := range words {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
		b.WriteByte('\n')
	}
	line("bind", "127.0.0.1", "-::1")
	if s.TLS != nil {
		line("port", "0")
		line("tls-port", strconv.Itoa(s.Port))
		line("tls-cert-file", quote(s.TLS.ServerCertFile))
		line("tls-key-file", quote(s.TLS.ServerKeyFile))
		line("tls-ca-cert-file", quote(s.TLS.CAFile))
		if s.TLS.ClientCert != nil {
			line("tls-auth-clients", "yes")
		} else {
			line("tls-auth-clients", "no")
		}
		line("tls-replication", "yes") // a replica connects to its primary over TLS
	} else {
		line("port", strconv.Itoa(s.Port))
	}
	line("dir", quote(s.Dir))
	line("daemonize", "no")
	line("logfile", `""`)
	line("save", `""`)
	line("appendonly", "no")
	line("repl-diskless-sync-delay", "0") // a replica syncs at once, not after 5s
	if majorVersion(s.path) >= 7 {
		line("shutdown-timeout", "0")
		line("enable-debug-command", "local")
	}
	if o.Password != "" {
		line("requirepass", quote(o.Password))
		line("masterauth", quote(o.Password))
	}
	for _, u := range o.Users {
		words := []string{"user", quote(u.Name), "on", quote(">" + u.Password)}
		rules := u.Rules
		if rules == nil {
			rules = []string{"~*", "&*", "+@all"}
		}
		for _, r := range rules {
			words = append(words, quote(r))
		}
		line(words...)
	}
	if s.UnixPath != "" {
		line("unixsocket", quote(s.UnixPath))
		line("unixsocketperm", "700")
	}
	if s.kind == kindClusterNode {
		line("cluster-enabled", "yes")
		line("cluster-config-file", "nodes.conf")
	}
	if s.roleConf != nil {
		for _, l := range s.roleConf() {
			line(l)
		}
	}
	return b.String()
}

// quote renders s as a double-quoted configuration argument.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// waitReady polls PING until it succeeds, the process exits or the deadline
// passes.
func (s *Server) waitReady(p *process, logOffset int64, deadline time.Time) error {
	var last error
	// Each attempt gets longer to answer: quick retries while the server
	// starts, patience with a slow machine.
	attemptTimeout := 200 * time.Millisecond
	for {
		if p.exited() {
			out := s.logSince(logOffset)
			if strings.Contains(out, "Address already in use") {
				return errPortInUse
			}
			return fmt.Errorf("process exited during start-up (%v); last lines of %s:\n%s",
				p.err, s.LogFile, s.redact(lastLines(out, logTailLines)))
		}
		if last = s.ping(p, attemptTimeout); last == nil {
			return nil
		}
		attemptTimeout = min(2*attemptTimeout, 2*time.Second)
		if p.exited() {
			continue // report why it exited
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to PING within %s (last error: %v); last lines of %s:\n%s",
				s.startTimeout(), s.redact(last.Error()), s.LogFile, s.redact(lastLines(s.logSince(logOffset), logTailLines)))
		}
		select {
		case <-p.done:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ping checks that the server answers PING and that it is p answering, not
// some other process that holds the port.
func (s *Server) ping(p *process, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := s.dialLocked(ctx)
	if err != nil {
		return err
	}
	defer c.close()
	if _, err = c.do(ctx, "PING"); err != nil {
		return err
	}
	info, err := infoMap(ctx, s.clientOptionsLocked(), "server")
	if err != nil {
		return err
	}
	if pid := info["process_id"]; pid != strconv.Itoa(p.cmd.Process.Pid) {
		return fmt.Errorf("%s is served by another process (pid %s)", s.Addr, pid)
	}
	return nil
}

func (s *Server) dialLocked(ctx context.Context) (*respConn, error) {
	var tlsCfg *tls.Config
	if s.TLS != nil {
		tlsCfg = s.TLS.ClientConfig(s.TLS.serverName(s.Host))
	}
	return dialRESP(ctx, s.Addr, tlsCfg, "", s.opts.Password)
}

// Running reports whether the process is running.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.proc.exited()
}

// PID returns the process id, or 0 when the server is not running.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil || s.proc.exited() {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Stop stops the server: SIGTERM, then SIGKILL after StopGrace. It waits
// for the process to exit and does nothing when the server is not running.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.stop(StopGrace)
	}
}

// Kill stops the server with SIGKILL (a crash: no shutdown, connections
// reset) and waits for the process to exit.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.kill()
	}
}

// Restart stops the server when it runs and starts it again on the same
// port and directory (a cluster node keeps its node id), after applying
// each change to its options, e.g.
//
//	srv.Restart(t, func(o *testserver.Options) { o.Password = "rotated" })
//
// Port, Binary, TLS, ClientCert and Unix cannot change. A sentinel keeps
// the configuration it rewrote; only its password options apply to the
// harness's own connections.
func (s *Server) Restart(t testing.TB, change ...func(*Options)) {
	t.Helper()
	s.Stop()
	s.mu.Lock()
	old := s.opts
	for _, f := range change {
		f(&s.opts)
	}
	o := &s.opts
	if o.Binary != old.Binary || o.TLS != old.TLS || o.ClientCert != old.ClientCert || o.Unix != old.Unix ||
		(o.Port != 0 && o.Port != s.Port) {
		s.opts = old
		s.mu.Unlock()
		t.Fatalf("testserver: Restart of %s cannot change Binary, TLS, ClientCert, Unix or Port", s.Addr)
	}
	s.rememberSecrets()
	s.mu.Unlock()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// Options returns a copy of the server's current options.
func (s *Server) Options() Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts
}

// Password returns the default user's current password ("" for none).
func (s *Server) Password() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Password
}

// TLSConfig returns a client TLS configuration trusting the server (and
// presenting the client certificate when there is one), or nil for a plain
// server.
func (s *Server) TLSConfig() *tls.Config {
	if s.TLS == nil {
		return nil
	}
	return s.TLS.ClientConfig(s.TLS.serverName(s.Host))
}

// ClientOptions returns go-redis options for the server's TCP address with
// the default user's password and TLSConfig; everything else is go-redis's
// default.
func (s *Server) ClientOptions() *redis.Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientOptionsLocked()
}

func (s *Server) clientOptionsLocked() *redis.Options {
	return &redis.Options{Addr: s.Addr, Password: s.opts.Password, TLSConfig: s.TLSConfig()}
}

// ConnectionString returns the server in the StackExchange.Redis format:
// "127.0.0.1:port", plus ",password=..." and ",ssl=true" when they apply.
// It contains the password: keep it out of logs.
func (s *Server) ConnectionString() string {
	cs := s.Addr
	if pw := s.Password(); pw != "" {
		cs += ",password=" + pw
	}
	if s.TLS != nil {
		cs += ",ssl=true"
	}
	return cs
}

// URL returns the server as a redis:// (or rediss://) URL with the default
// user's password. It contains the password: keep it out of logs.
func (s *Server) URL() string {
	u := url.URL{Scheme: "redis", Host: s.Addr}
	if s.TLS != nil {
		u.Scheme = "rediss"
	}
	if pw := s.Password(); pw != "" {
		u.User = url.UserPassword("", pw)
	}
	return u.String()
}

// DoErr runs one command as the default user over a fresh connection and
// returns the reply: string, int64, []any or nil; an error reply is a
// ReplyError. It is bounded by CommandTimeout.
func (s *Server) DoErr(args ...any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), CommandTimeout)
	defer cancel()
	s.mu.Lock()
	addr := s.Addr
	c, err := s.dialLocked(ctx)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("testserver: connect to %s: %w", addr, err)
	}
	defer c.close()
	v, err := c.do(ctx, args...)
	if err != nil {
		var re ReplyError
		if errors.As(err, &re) {
			return v, err
		}
		return v, fmt.Errorf("testserver: %s on %s: %w", commandName(args), addr, err)
	}
	return v, nil
}

// waitReplicas writes a probe key and waits, on the same connection, until
// n replicas acknowledged it (WAIT): a replica that reports a live link
// may not have acknowledged anything yet, and a failover before its first
// acknowledgement would lose every earlier write.
func (s *Server) waitReplicas(n int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+CommandTimeout)
	defer cancel()
	s.mu.Lock()
	c, err := s.dialLocked(ctx)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	defer c.close()
	if _, err := c.do(ctx, "SET", "testserver:replication-probe", "1"); err != nil {
		return err
	}
	v, err := c.do(ctx, "WAIT", n, timeout.Milliseconds())
	if err != nil {
		return err
	}
	if acked, _ := v.(int64); acked < int64(n) {
		return fmt.Errorf("WAIT %d: %d replicas acknowledged", n, acked)
	}
	return nil
}

// Do is DoErr that fails the test on error (with the server's passwords
// masked in the message: an error reply can echo arguments).
func (s *Server) Do(t testing.TB, args ...any) any {
	t.Helper()
	v, err := s.DoErr(args...)
	if err != nil {
		msg := err.Error()
		if re := ReplyError(""); errors.As(err, &re) {
			msg = fmt.Sprintf("testserver: %s on %s: %s", commandName(args), s.Addr, msg)
		}
		t.Fatal(s.redact(msg))
	}
	return v
}

// Info returns the fields of INFO section (e.g. "replication") as a map.
func (s *Server) Info(t testing.TB, section string) map[string]string {
	t.Helper()
	v, err := s.info(section)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (s *Server) info(section string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), CommandTimeout)
	defer cancel()
	s.mu.Lock()
	o := s.clientOptionsLocked()
	s.mu.Unlock()
	info, err := infoMap(ctx, o, section)
	if err != nil {
		return nil, fmt.Errorf("testserver: INFO %s on %s: %w", section, o.Addr, err)
	}
	return info, nil
}

// infoMap reads INFO section with go-redis's InfoMap, on a connection of
// its own (as DoErr's), and returns the fields of every section it
// returned in one map: INFO's field names are unique across sections.
func infoMap(ctx context.Context, o *redis.Options, section string) (map[string]string, error) {
	o.PoolSize = 1
	o.MaxRetries = -1
	o.DialerRetries = 1
	o.DisableIdentity = true
	o.ContextTimeoutEnabled = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	c := redis.NewClient(o)
	defer c.Close()
	sections, err := c.InfoMap(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, fields := range sections {
		maps.Copy(m, fields)
	}
	return m, nil
}

func commandName(args []any) string {
	if len(args) == 0 {
		return "(empty command)"
	}
	name := strings.ToUpper(argString(args[0]))
	if len(args) > 1 && (name == "CONFIG" || name == "CLIENT" || name == "CLUSTER" || name == "SENTINEL" || name == "ACL") {
		name += " " + strings.ToUpper(argString(args[1]))
	}
	return name
}

// LogTail returns the last n lines of the server log, with passwords
// masked.
func (s *Server) LogTail(n int) string {
	return s.redact(lastLines(s.logSince(0), n))
}

func (s *Server) logSince(off int64) string {
	f, err := os.Open(s.LogFile)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	const maxRead = 64 << 10
	if st, err := f.Stat(); err == nil && st.Size()-off > maxRead {
		off = st.Size() - maxRead
	}
	buf := make([]byte, maxRead)
	n, _ := f.ReadAt(buf, off)
	return string(buf[:n])
}

func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// redact masks in str every password the server has been configured with.
func (s *Server) redact(str string) string { return s.secrets.Scrub(str) }

// rememberSecrets adds the passwords of s.opts to what redact masks. The
// list only grows: an old password stays in old log lines.
func (s *Server) rememberSecrets() {
	s.secrets.Add(s.opts.Password)
	for _, u := range s.opts.Users {
		s.secrets.Add(u.Password)
	}
}
