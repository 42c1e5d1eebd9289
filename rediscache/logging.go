package rediscache

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/redact"
)

// go-redis has one logger for the whole process, and logs with no word of
// which client a line is about. goRedisLogs routes its lines to slog: a
// line about a failed dial of one of our clients (the most common line: one
// per dial attempt while a server is down) goes to that client's logger
// with redis.client set and only that client's passwords scrubbed; other
// lines go to the logger of the client built last, with every password of
// every client built so far scrubbed. Lines are rate-limited per client
// (see logLimiter): a dead server costs a few lines, not one per retry.
var goRedisLogs = &logAdapter{now: time.Now}

// Rate limit of go-redis lines per client: at most logBurst lines in each
// logWindow; the first line let through after some were dropped says how
// many (attribute redis.log.dropped).
const (
	logBurst  = 3
	logWindow = 10 * time.Second
)

type logAdapter struct {
	now func() time.Time // a clock, for tests

	mu        sync.RWMutex
	logger    *slog.Logger
	secrets   []string
	installed bool
	other     logLimiter // lines of no known client

	// The last dial errors of our clients. go-redis logs the error its
	// dialer returned; finding that very value here tells whose it was.
	failMu sync.Mutex
	fails  [32]dialFailure
	next   int
}

type dialFailure struct {
	err error
	cl  *clientLog
}

// clientLog is where the go-redis lines of one client go.
type clientLog struct {
	logger  *slog.Logger // with redis.client set
	secrets []string
	limit   logLimiter
}

// logHook notes the dial errors of one client. It costs nothing on a
// successful dial and is not on the command path.
type logHook struct{ cl *clientLog }

func (h logHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err != nil {
			goRedisLogs.noteDialFailure(err, h.cl)
		}
		return conn, err
	}
}

func (h logHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h logHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// logsLayer sends go-redis's lines about its client to logger, and
// installs the process-wide adapter once. logger must not carry
// redis.client yet. Its hook notes the client's dial failures on the
// client, or on every node of a cluster: a cluster dials through its
// nodes' clients, which do not get the cluster's hooks, and on the clients
// with which the discovery of several endpoints asks them.
type logsLayer struct {
	noLayer
	logger    *slog.Logger
	client    string
	opts      *redis.UniversalOptions // the options the client is built from
	discovery *discoveryLayer         // whose probes dial too
}

func (*logsLayer) name() string { return "go-redis logs" }

func (l *logsLayer) install(client redis.UniversalClient) error {
	cl := &clientLog{logger: l.logger.With(slog.String("redis.client", l.client))}
	goRedisLogs.mu.Lock()
	defer goRedisLogs.mu.Unlock()
	goRedisLogs.logger = l.logger
	for _, s := range []string{l.opts.Password, l.opts.SentinelPassword} {
		if s == "" {
			continue
		}
		cl.secrets = append(cl.secrets, s)
		if !slices.Contains(goRedisLogs.secrets, s) {
			goRedisLogs.secrets = append(goRedisLogs.secrets, s)
		}
	}
	addHooks(client, nil, func(*redis.Client) redis.Hook { return logHook{cl} })
	l.discovery.onProbe(func(c *redis.Client) { c.AddHook(logHook{cl}) })
	if !goRedisLogs.installed {
		goRedisLogs.installed = true
		redis.SetLogger(goRedisLogs)
	}
	return nil
}

// identifiable reports whether err can be looked up by identity: a
// pointer (as dial errors are: *net.OpError, *tls.CertificateVerificationError),
// which == compares without a risk of panicking.
func identifiable(err error) bool {
	return err != nil && reflect.TypeOf(err).Kind() == reflect.Pointer
}

func (a *logAdapter) noteDialFailure(err error, cl *clientLog) {
	if !identifiable(err) {
		return
	}
	a.failMu.Lock()
	defer a.failMu.Unlock()
	a.fails[a.next%len(a.fails)] = dialFailure{err: err, cl: cl}
	a.next++
}

// clientOf returns the client whose dial error is among args, or nil.
func (a *logAdapter) clientOf(args []any) *clientLog {
	a.failMu.Lock()
	defer a.failMu.Unlock()
	for _, v := range args {
		err, ok := v.(error)
		if !ok || !identifiable(err) {
			continue
		}
		for _, f := range a.fails {
			if f.err == err {
				return f.cl
			}
		}
	}
	return nil
}

// Printf implements go-redis's logging interface.
func (a *logAdapter) Printf(ctx context.Context, format string, v ...any) {
	var (
		logger  *slog.Logger
		secrets []string
		limit   *logLimiter
	)
	if cl := a.clientOf(v); cl != nil {
		logger, secrets, limit = cl.logger, cl.secrets, &cl.limit
	} else {
		a.mu.RLock()
		logger, secrets = a.logger, a.secrets
		a.mu.RUnlock()
		limit = &a.other
	}
	if logger == nil {
		return
	}
	level := slog.LevelWarn
	if strings.Contains(format, "rejected by hook, returning to pool") {
		// Routine with streaming credentials (azureauth): every idle
		// connection is set aside once per token refresh to re-authenticate.
		// Such lines do not use up the client's budget of warnings.
		level = slog.LevelDebug
	}
	var dropped int
	if level > slog.LevelDebug {
		var ok bool
		if dropped, ok = limit.allow(a.now()); !ok {
			return
		}
	}
	msg := scrub(fmt.Sprintf(format, v...), secrets)
	attrs := []slog.Attr{slog.String("logger", "go-redis")}
	if dropped > 0 {
		attrs = append(attrs, slog.Int("redis.log.dropped", dropped))
	}
	logger.LogAttrs(ctx, level, msg, attrs...)
}

// logLimiter lets through at most logBurst lines per logWindow.
type logLimiter struct {
	mu      sync.Mutex
	start   time.Time // of the current window
	n       int       // lines let through in it
	dropped int       // lines dropped since the last one let through
}

// allow reports whether a line at now may be logged and, if so, how many
// were dropped before it.
func (l *logLimiter) allow(now time.Time) (dropped int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.start.IsZero() || now.Sub(l.start) >= logWindow || now.Before(l.start) {
		l.start, l.n = now, 0
	}
	if l.n >= logBurst {
		l.dropped++
		return 0, false
	}
	l.n++
	dropped, l.dropped = l.dropped, 0
	return dropped, true
}

// scrub masks the secrets in msg with the module's one scrubber.
func scrub(msg string, secrets []string) string {
	return redact.NewScrubber(secrets...).Scrub(msg)
}
