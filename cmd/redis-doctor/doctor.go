package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/clusterinfo"
	"github.com/aspirego/redis/internal/configstore"
	"github.com/aspirego/redis/internal/healthjson"
	"github.com/aspirego/redis/internal/redact"
	discovered "github.com/aspirego/redis/internal/topology"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// doctor diagnoses one connection.
type doctor struct {
	opts     options
	env      []string
	cfg      *settings.Config
	resolved *settings.Resolved
	entra    entraProvider // the client's Entra ID tokens, if any (-tags azure)
	secrets  redact.Scrubber
	report   report
}

func newDoctor(opts options, env []string) *doctor {
	if env == nil {
		env = []string{} // never fall back to the process environment
	}
	return &doctor{opts: opts, env: env, report: report{Name: opts.name}}
}

// fail records the problem that ends the diagnosis.
func (d *doctor) fail(code int, problem string, hints ...string) {
	d.report.ExitCode = code
	d.report.Problem = problem
	d.report.Hints = append(d.report.Hints, hints...)
}

func (d *doctor) warn(format string, args ...any) {
	d.report.Warnings = append(d.report.Warnings, fmt.Sprintf(format, args...))
}

func (d *doctor) addCheck(name string, ok bool, took time.Duration, detail string) {
	d.report.Checks = append(d.report.Checks, check{
		Name: name, OK: ok, Ms: float64(took.Microseconds()) / 1000, Detail: d.scrub(detail),
	})
}

// diagnose runs every step until one fails.
func (d *doctor) diagnose() {
	if d.opts.dir != "" {
		if st, err := os.Stat(d.opts.dir); err != nil || !st.IsDir() {
			d.fail(exitConfig, fmt.Sprintf("-dir %s: not a directory", d.opts.dir))
			return
		}
	}
	cfg, err := settings.LoadConfig(settings.LoadOptions{Dir: d.opts.dir, Environment: d.opts.env, Environ: d.env})
	if err != nil {
		d.fail(exitConfig, "cannot read the configuration: "+err.Error())
		return
	}
	d.cfg = cfg
	d.collectSecrets()
	dir := d.opts.dir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	c := &configReport{Environment: cfg.Environment(), Dir: dir}
	d.report.Config = c
	c.Keys = d.describeKeys()

	res, err := settings.Resolve(cfg, d.opts.name)
	if err != nil {
		d.configProblem(err)
		return
	}
	d.resolved = res
	d.secrets.Add(res.Connection.Options.Password, res.Connection.Options.SentinelPassword)
	d.describeConnection(c, res)
	if t := res.Connection.Options.TLSConfig; t != nil && t.InsecureSkipVerify {
		d.warn("the server's TLS certificate is not verified (skip_verify): anything on the network path can pose as the server")
	}

	if !d.probeNetwork() {
		return
	}
	d.checkClient()
}

// configProblem explains a connection that cannot be resolved.
func (d *doctor) configProblem(err error) {
	if !errors.Is(err, settings.ErrNoEndpoints) {
		d.fail(exitConfig, "the configuration of "+strconv.Quote(d.opts.name)+" is not usable: "+err.Error())
		return
	}
	n := d.opts.name
	p := configstore.PropertyPrefix(n)
	file := filepath.Join(d.report.Config.Dir, "appsettings.json")
	hints := []string{
		"Set the connection in one of these places:",
		"  environment:       ConnectionStrings__" + n + "=host:port[,password=...][,ssl=true]",
		"  " + file + ":  {\"ConnectionStrings\": {\"" + n + "\": \"host:port\"}}",
		"  Aspire properties: " + p + "_URI=redis://[:password@]host:port, or " + p + "_HOST and " + p + "_PORT",
	}
	if names := d.connectionNames(); len(names) > 0 {
		d.report.Config.Names = names
		hints = append(hints, "Connections configured here: "+strings.Join(names, ", ")+".")
	}
	d.fail(exitConfig, err.Error(), hints...)
}

// ---- network: TCP, TLS and a raw PING to each endpoint ----

// probeNetwork checks each endpoint below go-redis, where the cause of a
// failure can be told apart. A standalone connection needs its endpoint;
// a cluster or sentinel connection needs one of them.
func (d *doctor) probeNetwork() bool {
	conn := d.resolved.Connection
	if conn.Tunnel != "" {
		d.addCheck("network", true, 0, "skipped: connections go through the HTTP CONNECT tunnel "+conn.Tunnel)
		return true
	}
	var problems []string
	for _, ep := range conn.Endpoints {
		if p := d.probeEndpoint(ep); p != "" {
			problems = append(problems, p)
		}
	}
	switch {
	case len(problems) == 0:
		return true
	case len(problems) < len(conn.Endpoints):
		for _, p := range problems {
			d.warn("%s", p)
		}
		return true
	}
	d.fail(exitProblem, problems[0], problems[1:]...)
	return false
}

// probeEndpoint connects to ep, does the TLS handshake when TLS is on,
// sends a raw PING and returns the problem found, or "".
func (d *doctor) probeEndpoint(ep string) string {
	o := d.resolved.Connection.Options
	network := "tcp"
	if _, _, err := net.SplitHostPort(ep); err != nil && strings.Contains(ep, "/") {
		network = "unix"
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.timeout)
	defer cancel()

	begin := time.Now()
	var dialer net.Dialer
	raw, err := dialer.DialContext(ctx, network, ep)
	if err != nil {
		d.addCheck(network+" "+ep, false, time.Since(begin), err.Error())
		return d.dialProblem(ep, err)
	}
	defer raw.Close()
	d.addCheck(network+" "+ep, true, time.Since(begin), "connected")
	_ = raw.SetDeadline(time.Now().Add(d.opts.timeout))

	c := raw
	if o.TLSConfig != nil {
		cfg := o.TLSConfig.Clone()
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
			cfg.ServerName, _, _ = net.SplitHostPort(ep)
		}
		tc := tls.Client(raw, cfg)
		begin = time.Now()
		if err := tc.HandshakeContext(ctx); err != nil {
			d.addCheck("tls "+ep, false, time.Since(begin), err.Error())
			return d.tlsProblem(ep, err)
		}
		st := tc.ConnectionState()
		detail := tls.VersionName(st.Version)
		if len(st.PeerCertificates) > 0 {
			cert := st.PeerCertificates[0]
			detail += fmt.Sprintf(", certificate %q issued by %q, expires %s", cert.Subject.String(), cert.Issuer.String(), cert.NotAfter.Format("2006-01-02"))
		}
		d.addCheck("tls "+ep, true, time.Since(begin), detail)
		c = tc
	}

	begin = time.Now()
	reply, err := rawPing(c)
	took := time.Since(begin)
	if err != nil {
		d.addCheck("raw PING "+ep, false, took, err.Error())
		return d.pingProblem(ep, reply, err)
	}
	if !looksLikeRESP(reply) {
		d.addCheck("raw PING "+ep, false, took, fmt.Sprintf("answered %q", clip(reply)))
		if o.TLSConfig == nil && len(reply) > 0 && (reply[0] == 0x15 || reply[0] == 0x16) {
			return d.needsTLS(ep, "answered PING with a TLS record")
		}
		return fmt.Sprintf("%s is not a Redis server: it answered %q to PING; check the host and port in %s", ep, clip(reply), d.resolved.Source)
	}
	d.addCheck("raw PING "+ep, true, took, "answered "+strings.TrimSpace(clip(reply)))
	return ""
}

// rawPing sends an inline PING and reads the first line of the answer.
func rawPing(c net.Conn) (string, error) {
	if _, err := io.WriteString(c, "PING\r\n"); err != nil {
		return "", err
	}
	line, err := bufio.NewReaderSize(c, 512).ReadString('\n')
	if err != nil && line != "" && !isTimeout(err) {
		return line, nil // a server that answers and closes
	}
	return line, err
}

// looksLikeRESP reports whether a reply starts like a RESP2 or RESP3 value.
func looksLikeRESP(reply string) bool {
	return reply != "" && strings.ContainsRune("+-:$*_,#!=(%~>|", rune(reply[0])) && strings.HasSuffix(reply, "\r\n")
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// usesURI reports whether the connection string is a URI, to phrase advice
// in its notation.
func (d *doctor) usesURI() bool {
	cs := d.resolved.Settings.ConnectionString
	return strings.Contains(cs, "://") || (cs == "" && strings.Contains(d.resolved.Source, "_URI"))
}

func (d *doctor) dialProblem(ep string, err error) string {
	src := d.resolved.Source
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing is listening on %s (connection refused): start the server, or fix the host and port in %s", ep, src)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot resolve the host name %q (%s): fix the host in %s", dnsErr.Name, dnsErr.Err, src)
	case isTimeout(err):
		return fmt.Sprintf("no answer from %s within %v: the host is unreachable or a firewall drops the connection; check the host and port in %s", ep, d.opts.timeout, src)
	case errors.Is(err, syscall.ENOENT):
		return fmt.Sprintf("there is no unix socket at %s: start the server, or fix the path in %s", ep, src)
	case errors.Is(err, syscall.EACCES):
		return fmt.Sprintf("permission denied connecting to %s: check the socket's permissions", ep)
	}
	return fmt.Sprintf("cannot connect to %s: %v; check the host and port in %s", ep, err, src)
}

// removeTLS is the advice to turn TLS off, in the notation in use.
func (d *doctor) removeTLS() string {
	for _, sec := range []string{d.namedSection(), d.generalSection()} {
		if _, where, ok := d.lookup(sec + ":" + settings.ConfigurationOptionsKey + ":Ssl"); ok {
			return "set Ssl to false at " + where
		}
	}
	if d.usesURI() {
		return "use redis:// instead of rediss:// in " + d.resolved.Source
	}
	return "remove ssl=true from " + d.resolved.Source
}

func (d *doctor) tlsProblem(ep string, err error) string {
	var (
		verr   *tls.CertificateVerificationError
		header tls.RecordHeaderError
		alert  tls.AlertError
	)
	switch {
	case errors.As(err, &verr):
		return d.certificateProblem(ep, verr)
	case errors.As(err, &header):
		return fmt.Sprintf("TLS handshake failed: the server does not speak TLS on this port (%s answered %q); %s, or use the server's TLS port", ep, clip(string(header.RecordHeader[:])), d.removeTLS())
	case isTimeout(err):
		return fmt.Sprintf("TLS handshake failed: the server does not speak TLS on this port (%s did not answer the handshake within %v); %s, or use the server's TLS port", ep, d.opts.timeout, d.removeTLS())
	case isClosed(err):
		return fmt.Sprintf("TLS handshake failed: %s closed the connection during the handshake; if it does not speak TLS on this port, %s; otherwise check sslProtocols= and whether it requires a client certificate", ep, d.removeTLS())
	case errors.As(err, &alert), strings.Contains(err.Error(), "remote error: tls:"):
		return fmt.Sprintf("TLS handshake failed: %s refused it (%v); check sslProtocols= and whether the server requires a client certificate", ep, err)
	}
	return fmt.Sprintf("TLS handshake with %s failed: %v", ep, err)
}

func (d *doctor) certificateProblem(ep string, verr *tls.CertificateVerificationError) string {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	issuer := ""
	if len(verr.UnverifiedCertificates) > 0 {
		issuer = verr.UnverifiedCertificates[0].Issuer.String()
	}
	switch {
	case errors.As(verr.Err, &unknown):
		return fmt.Sprintf("certificate signed by unknown authority: %s presents a certificate issued by %q, which this machine does not trust: "+
			"trust the CA with SSL_CERT_FILE=/path/to/ca.pem (Linux; or add it to the system trust store), or give the server a certificate from a trusted CA", ep, issuer)
	case errors.As(verr.Err, &hostname):
		valid := append([]string{}, hostname.Certificate.DNSNames...)
		for _, ip := range hostname.Certificate.IPAddresses {
			valid = append(valid, ip.String())
		}
		return fmt.Sprintf("the server's certificate is not valid for %q (it is for %s): connect by one of those names, or set sslHost=<name> in %s",
			hostname.Host, strings.Join(valid, ", "), d.resolved.Source)
	case errors.As(verr.Err, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Sprintf("the server's certificate is expired or not yet valid (%v): renew it, or check this machine's clock", invalid)
	}
	return fmt.Sprintf("the certificate of %s is not accepted: %v", ep, verr.Err)
}

// needsTLS is the advice for a plain connection to a TLS port.
func (d *doctor) needsTLS(ep, what string) string {
	fix := "add ssl=true to " + d.resolved.Source
	if d.usesURI() {
		fix = "use rediss:// instead of redis:// in " + d.resolved.Source
	}
	return fmt.Sprintf("server closed the connection: %s %s; does it require TLS? %s", ep, what, fix)
}

func (d *doctor) pingProblem(ep, reply string, err error) string {
	tlsOn := d.resolved.Connection.Options.TLSConfig != nil
	switch {
	case strings.Contains(err.Error(), "remote error: tls: certificate required"),
		strings.Contains(err.Error(), "remote error: tls: bad certificate"):
		return clientCertProblem(ep, err.Error())
	case isClosed(err) && !tlsOn:
		return d.needsTLS(ep, "closed the connection without answering PING")
	case isClosed(err):
		return clientCertProblem(ep, "it closed the connection without answering PING")
	case isTimeout(err) && !tlsOn:
		return fmt.Sprintf("%s accepted the connection but did not answer PING within %v: is it a Redis server? If it expects TLS, add ssl=true to %s", ep, d.opts.timeout, d.resolved.Source)
	case isTimeout(err):
		return fmt.Sprintf("%s did not answer PING within %v after the TLS handshake: is it a Redis server?", ep, d.opts.timeout)
	}
	return fmt.Sprintf("PING to %s failed: %v (answer %q)", ep, err, clip(reply))
}

// clientCertProblem is the advice for a server that drops the connection
// right after the TLS handshake: TLS 1.3 servers reject a missing client
// certificate only then.
func clientCertProblem(ep, cause string) string {
	return fmt.Sprintf("%s refused the TLS connection after the handshake (%s): it probably requires a client certificate, which a connection string cannot give; "+
		"set TLSConfig.Certificates with settings.ConfigureOptions in the service, or stop requiring client certificates on the server (tls-auth-clients no)", ep, cause)
}

// ---- the go-redis client ----

// checkClient builds the client a service would build and uses it:
// connect (authentication), INFO, topology, latency, health.
func (d *doctor) checkClient() {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	inst, err := rediscache.New(d.opts.name, rediscache.Deps{
		Config:         d.cfg,
		TracerProvider: tracenoop.NewTracerProvider(),
		MeterProvider:  metricnoop.NewMeterProvider(),
		Logger:         logger,
		Extensions:     azureExtensions(logger),
	})
	if errors.Is(err, rediscache.ErrMissingExtension) && d.resolved != nil && d.resolved.Settings.AzureAuthentication {
		d.fail(exitConfig, fmt.Sprintf("%s is true, and this redis-doctor is built without Microsoft Entra ID support (the Azure SDK): run %s",
			settings.AzureAuthenticationKey, azureCommand(d.opts.name)))
		return
	}
	if err != nil {
		d.fail(exitConfig, err.Error())
		return
	}
	defer inst.Close()
	d.entra = entraOf(inst)
	defer d.describeAzure(inst) // before Close: it reads the token's state
	client := inst.Client

	// Connect: dial, TLS, HELLO/AUTH, PING.
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.timeout)
	defer cancel()
	begin := time.Now()
	if err := client.Ping(ctx).Err(); err != nil {
		d.addCheck("connect and PING (go-redis)", false, time.Since(begin), err.Error())
		d.fail(exitProblem, d.redisProblem("PING", err))
		return
	}
	d.addCheck("connect and PING (go-redis)", true, time.Since(begin), d.authDetail())

	ctx, cancel = context.WithTimeout(context.Background(), d.opts.timeout)
	defer cancel()
	d.checkServer(ctx, client, func() discovered.Topology { return discovered.Of(inst) })
	if d.report.Problem != "" {
		return
	}
	d.checkLatency(client)
	d.checkHealth(client, inst.Checks)
}

func (d *doctor) authDetail() string {
	if p := d.entra; p != nil {
		return "authenticated as " + entraUser(p) + " with a Microsoft Entra ID token"
	}
	o := d.resolved.Connection.Options
	switch {
	case o.Username != "" && o.Password != "":
		return "authenticated as " + o.Username
	case o.Password != "":
		return "authenticated as the default user"
	}
	return "no authentication"
}

// redisProblem turns a go-redis error into advice.
func (d *doctor) redisProblem(step string, err error) string {
	if msg, ok := d.azureProblem(step, err); ok {
		return msg
	}
	o := d.resolved.Connection.Options
	msg := err.Error()
	user := ""
	if o.Username != "" {
		user = "user=" + o.Username + " and "
	}
	switch {
	case redis.IsAuthError(err) && o.Password == "":
		return fmt.Sprintf("authentication required: the server needs a password and none is configured; add password=… to %s; the server said %q", d.resolved.Source, msg)
	// Redis before 6 answers a wrong password with a plain ERR, which
	// go-redis does not type.
	case redis.IsAuthError(err), strings.HasPrefix(msg, "ERR invalid password"):
		return fmt.Sprintf("authentication failed: check %sthe %s; the server said %q", user, d.passwordWhere(), msg)
	// No typed error for this ERR reply either.
	case strings.Contains(msg, "without any password configured"):
		return fmt.Sprintf("the server has no password, but the connection sets one: remove the %s, or set a password on the server; the server said %q", d.passwordWhere(), msg)
	case redis.IsPermissionError(err):
		who := "the default user"
		if o.Username != "" {
			who = "user " + strconv.Quote(o.Username)
		}
		return fmt.Sprintf("%s may not run %s: grant it with ACL SETUSER (e.g. +@connection +info); the server said %q", who, step, msg)
	case strings.Contains(msg, "all sentinels specified in configuration are unreachable"):
		return fmt.Sprintf("no sentinel answered for service %q: check the sentinel endpoints, serviceName= and sentinelPassword= in %s; go-redis said %q", o.MasterName, d.resolved.Source, msg)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("%s: connection refused: nothing is listening where go-redis connected; check %s", step, d.resolved.Source)
	case isTimeout(err):
		return fmt.Sprintf("%s got no answer within %v: the server is overloaded, blocked (a long-running command or script), or unreachable", step, d.opts.timeout)
	}
	return fmt.Sprintf("%s failed: %s", step, msg)
}

// checkServer reads INFO and the topology. found returns what a client of
// several endpoints found behind them (internal/topology.Of),
// known after the first command.
func (d *doctor) checkServer(ctx context.Context, client redis.UniversalClient, found func() discovered.Topology) {
	begin := time.Now()
	info, err := infoFields(ctx, client)
	if err != nil {
		d.addCheck("INFO", false, time.Since(begin), err.Error())
		d.warn("INFO failed, so the server version and role are unknown: %s", d.redisProblem("INFO", err))
	} else {
		srv := serverFromInfo(info)
		d.report.Server = srv
		detail := srv.Product + " " + srv.Version
		if srv.Mode != "" {
			detail += ", mode " + srv.Mode
		}
		if srv.Role != "" {
			detail += ", role " + srv.Role
		}
		d.addCheck("INFO", true, time.Since(begin), detail)
		if d.resolved.Connection.Topology == settings.Standalone {
			d.standalone(info)
			if d.report.Problem != "" {
				return
			}
		}
	}
	switch d.resolved.Connection.Topology {
	case settings.Cluster:
		if topo := found(); topo.Kind == discovered.PrimaryReplicas {
			d.primaryReplicas(topo)
			return
		}
		d.cluster(ctx, client)
	case settings.Sentinel:
		d.sentinel(ctx)
	}
}

// infoFields reads INFO with go-redis's InfoMap and returns the fields of
// all its sections in one map: INFO's field names are unique across
// sections, and servers other than Redis put some in sections of their
// own.
func infoFields(ctx context.Context, client redis.UniversalClient) (map[string]string, error) {
	sections, err := client.InfoMap(ctx).Result()
	if err != nil {
		return nil, err
	}
	info := map[string]string{}
	for _, fields := range sections {
		maps.Copy(info, fields)
	}
	return info, nil
}

// serverFromInfo names the product: Valkey, Garnet, Dragonfly, KeyDB
// report their own version beside the Redis version they are compatible
// with.
func serverFromInfo(info map[string]string) *serverReport {
	s := &serverReport{Product: "redis", Version: info["redis_version"], Mode: info["redis_mode"], Role: info["role"]}
	for _, p := range []string{"valkey", "garnet", "dragonfly", "keydb"} {
		if v, ok := info[p+"_version"]; ok {
			s.Product, s.Version, s.RedisVersion = p, v, info["redis_version"]
			break
		}
	}
	if s.Product == "redis" && info["server_name"] != "" && info["server_name"] != "redis" {
		s.Product = info["server_name"]
	}
	return s
}

func (d *doctor) standalone(info map[string]string) {
	t := &topology{Kind: "standalone"}
	d.report.Topology = t
	switch info["redis_mode"] {
	case "sentinel":
		var masters []string
		for k, v := range info {
			if strings.HasPrefix(k, "master") && strings.HasPrefix(v, "name=") {
				name, _, _ := strings.Cut(strings.TrimPrefix(v, "name="), ",")
				masters = append(masters, name)
			}
		}
		sort.Strings(masters)
		t.Detail = "a Redis Sentinel"
		d.fail(exitProblem, fmt.Sprintf("%s is a Redis Sentinel, not a data server: add serviceName=<name> to %s (it monitors: %s)",
			d.resolved.Connection.Endpoints[0], d.resolved.Source, or(strings.Join(masters, ", "), "nothing")))
		return
	case "cluster":
		d.warn("the server is a Redis Cluster node, but the connection names one endpoint: commands on keys of other nodes fail with MOVED; list the cluster's nodes in %s", d.resolved.Source)
	}
	if info["role"] == "slave" {
		t.Primary = info["master_host"] + ":" + info["master_port"]
		t.Detail = "replica of " + t.Primary
		d.warn("the server is a read-only replica of %s: writes fail with READONLY", t.Primary)
	} else {
		t.Replicas, _ = strconv.Atoi(info["connected_slaves"])
		t.Detail = fmt.Sprintf("primary with %d connected replica(s)", t.Replicas)
	}
	d.addCheck("topology", true, 0, t.Detail)
}

func (d *doctor) cluster(ctx context.Context, client redis.UniversalClient) {
	t := &topology{Kind: "cluster"}
	d.report.Topology = t
	begin := time.Now()
	cc, ok := client.(*redis.ClusterClient)
	if !ok {
		d.addCheck("topology", false, 0, fmt.Sprintf("unexpected client type %T", client))
		return
	}
	nodes, err := cc.ClusterNodes(ctx).Result()
	if err != nil {
		d.addCheck("topology", false, time.Since(begin), err.Error())
		d.warn("CLUSTER NODES failed: %s", d.redisProblem("CLUSTER NODES", err))
		return
	}
	var failing []string
	for _, line := range strings.Split(strings.TrimSpace(nodes), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		flags := f[2]
		addr, _, _ := strings.Cut(f[1], "@")
		switch {
		case strings.Contains(flags, "fail"):
			failing = append(failing, addr)
		case strings.Contains(flags, "master"):
			t.Primaries++
		case strings.Contains(flags, "slave"):
			t.Replicas++
		}
	}
	if info, err := cc.ClusterInfo(ctx).Result(); err == nil {
		t.ClusterState, _ = clusterinfo.Field(info, "cluster_state")
	}
	t.Detail = fmt.Sprintf("%d primaries, %d replicas, cluster_state %s", t.Primaries, t.Replicas, or(t.ClusterState, "unknown"))
	if len(failing) > 0 {
		t.Detail += ", failing: " + strings.Join(failing, ", ")
		d.warn("cluster nodes flagged as failing: %s", strings.Join(failing, ", "))
	}
	d.addCheck("topology", t.ClusterState == "ok", time.Since(begin), t.Detail)
}

// primaryReplicas reports the primary and replicas that a client of
// several endpoints found outside a cluster (ROLE on each endpoint).
func (d *doctor) primaryReplicas(topo discovered.Topology) {
	t := &topology{Kind: topo.Kind, Primary: topo.Primary, Replicas: len(topo.Replicas)}
	d.report.Topology = t
	t.Detail = fmt.Sprintf("%s: primary %s, %d replica(s)", topo.Kind, or(topo.Primary, "none"), len(topo.Replicas))
	if len(topo.Replicas) > 0 {
		t.Detail += ": " + strings.Join(topo.Replicas, ", ")
	}
	if topo.Primary == "" {
		d.warn("no endpoint of %s reports itself primary: writes fail", d.resolved.Source)
	}
	d.addCheck("topology", topo.Primary != "", 0, t.Detail)
}

// sentinel asks the sentinels, one after the other, for the primary.
func (d *doctor) sentinel(ctx context.Context) {
	o := d.resolved.Connection.Options
	t := &topology{Kind: "sentinel"}
	d.report.Topology = t
	begin := time.Now()
	var lastErr error
	for _, ep := range d.resolved.Connection.Endpoints {
		sc := redis.NewSentinelClient(&redis.Options{
			Addr:                  ep,
			Username:              o.SentinelUsername,
			Password:              o.SentinelPassword,
			TLSConfig:             o.TLSConfig,
			DialTimeout:           d.opts.timeout,
			ReadTimeout:           d.opts.timeout,
			WriteTimeout:          d.opts.timeout,
			ContextTimeoutEnabled: true,
			MaxRetries:            -1,
			DisableIdentity:       true,
		})
		addr, err := sc.GetMasterAddrByName(ctx, o.MasterName).Result()
		if err != nil {
			lastErr = err
			_ = sc.Close()
			continue
		}
		t.Primary = net.JoinHostPort(addr[0], addr[1])
		if r, err := sc.Replicas(ctx, o.MasterName).Result(); err == nil {
			t.Replicas = len(r)
		}
		if s, err := sc.Sentinels(ctx, o.MasterName).Result(); err == nil {
			t.Sentinels = len(s) + 1
		}
		_ = sc.Close()
		t.Detail = fmt.Sprintf("service %q: primary %s (per sentinel %s), %d replica(s), %d sentinel(s)", o.MasterName, t.Primary, ep, t.Replicas, t.Sentinels)
		d.addCheck("topology", true, time.Since(begin), t.Detail)
		return
	}
	d.addCheck("topology", false, time.Since(begin), fmt.Sprint(lastErr))
	d.warn("no sentinel named the primary of %q: %v", o.MasterName, lastErr)
}

// checkLatency times a few PINGs on the connection already made.
func (d *doctor) checkLatency(client redis.UniversalClient) {
	samples := make([]time.Duration, 0, d.opts.pings)
	begin := time.Now()
	for range d.opts.pings {
		ctx, cancel := context.WithTimeout(context.Background(), d.opts.timeout)
		t := time.Now()
		err := client.Ping(ctx).Err()
		cancel()
		if err != nil {
			d.addCheck("latency", false, time.Since(begin), err.Error())
			d.warn("PING failed while measuring latency: %s", d.redisProblem("PING", err))
			return
		}
		samples = append(samples, time.Since(t))
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	msOf := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	l := &latency{Pings: len(samples), MinMs: msOf(samples[0]), MedianMs: msOf(samples[len(samples)/2]), MaxMs: msOf(samples[len(samples)-1])}
	d.report.Latency = l
	d.addCheck("latency", true, 0, fmt.Sprintf("%d PINGs: min %s, median %s, max %s", l.Pings, ms(l.MinMs), ms(l.MedianMs), ms(l.MaxMs)))
}

// checkHealth runs the health check a service reports on /health.
func (d *doctor) checkHealth(client redis.UniversalClient, checks []healthcheck.Check) {
	h := &health{}
	if len(checks) == 0 {
		checks = []healthcheck.Check{healthcheck.Redis(d.opts.name, client, d.resolved.Settings.HealthCheckTimeout)}
		h.Note = "DisableHealthChecks is true: a service reports no Redis check; this one ran anyway"
	}
	checker, err := healthcheck.New(checks...)
	if err != nil {
		d.fail(exitProblem, "cannot build the health check: "+err.Error())
		return
	}
	name := checks[0].Name
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.timeout+d.resolved.Settings.HealthCheckTimeout)
	defer cancel()
	// What /health reports, with details, read as a service's caller reads it.
	rep, _, err := healthjson.Get(ctx, checker.HealthHandler(healthcheck.WithDetails()), "/health")
	if err != nil {
		d.fail(exitProblem, "cannot run the health check: "+err.Error())
		return
	}
	if e, ok := rep.Entries[name]; ok {
		took, _ := healthjson.ParseTimeSpan(e.Duration)
		h.Check, h.Status, h.Ms = name, e.Status, float64(took.Microseconds())/1000
		h.Error = d.scrub(e.Description)
	}
	d.report.Health = h
	if h.Status != healthcheck.Healthy.String() {
		d.addCheck("health "+name, false, 0, h.Status+": "+h.Error)
		d.fail(exitProblem, fmt.Sprintf("the health check %s is %s: %s", name, or(h.Status, "missing"), h.Error))
		return
	}
	d.addCheck("health "+name, true, time.Duration(h.Ms*float64(time.Millisecond)), h.Status)
	d.report.Healthy = true
}
