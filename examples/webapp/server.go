package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/aspirego/redis/settings"
)

// Configuration keys of the listen address.
const (
	addressKey     = "Http:Address"
	portKey        = "PORT"
	defaultAddress = "localhost:8080"
)

// server is the HTTP server, started and stopped with the application.
type server struct {
	http   *http.Server
	mu     sync.Mutex
	addr   string // the bound address, once started
	logger *slog.Logger
}

type serverParams struct {
	fx.In
	Lifecycle      fx.Lifecycle
	Config         *settings.Config
	Products       *products
	Chat           *chat
	Health         http.Handler `name:"health"`
	TracerProvider trace.TracerProvider
	Logger         *slog.Logger
}

func newServer(p serverParams) (*server, error) {
	addr, err := listenAddress(p.Config)
	if err != nil {
		return nil, err
	}
	tracer := p.TracerProvider.Tracer("github.com/aspirego/redis/examples/webapp")
	mux := http.NewServeMux()
	route := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, traced(tracer, pattern, h)) }
	route("GET /products/{id}", p.Products.get)
	route("POST /messages", p.Chat.post)
	route("GET /messages", p.Chat.list)
	// Probes are not traced: the dashboard would drown in them.
	mux.Handle("/health", p.Health)
	mux.Handle("/alive", p.Health)
	mux.HandleFunc("GET /{$}", index)

	s := &server{
		http: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			IdleTimeout:       time.Minute,
			ErrorLog:          slog.NewLogLogger(p.Logger.Handler(), slog.LevelWarn),
		},
		logger: p.Logger,
	}
	done := make(chan struct{})
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
			if err != nil {
				return fmt.Errorf("listening on %s: %w", addr, err)
			}
			s.mu.Lock()
			s.addr = ln.Addr().String()
			s.mu.Unlock()
			p.Logger.Info("listening", slog.String("url", "http://"+ln.Addr().String()))
			if endpoint := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); endpoint != "" {
				p.Logger.Info("exporting traces, metrics and logs over OTLP", slog.String("endpoint", endpoint))
			}
			go func() {
				defer close(done)
				if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					p.Logger.Error("HTTP server failed", slog.String("error", err.Error()))
				}
			}()
			return nil
		},
		OnStop: func(ctx context.Context) error {
			// Stop accepting, let requests in flight finish; the Redis
			// clients close after this hook (fx stops in reverse order).
			err := s.http.Shutdown(ctx)
			if err != nil {
				_ = s.http.Close()
			}
			<-done
			return err
		},
	})
	return s, nil
}

// Addr is the address the server listens on, once started.
func (s *server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// listenAddress is Http:Address, else :PORT, else localhost:8080.
func listenAddress(cfg *settings.Config) (string, error) {
	if v, ok := cfg.String(addressKey); ok && v != "" {
		return v, nil
	}
	if v, ok := cfg.String(portKey); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			return "", fmt.Errorf("configuration key %s (%s): %q is not a port number", portKey, cfg.Source(portKey), v)
		}
		return ":" + v, nil
	}
	return defaultAddress, nil
}

func index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, `webapp: a Go service on two Redis connections

GET  /products/{id}   cache-aside on "cache" (try 1, 2, 3; see the X-Cache header)
POST /messages        {"user": "ada", "text": "hello"} to the feed on "chat"
GET  /messages        the feed, newest first
GET  /health          readiness: every check, Redis included
GET  /alive           liveness
`)
}

// propagator reads W3C trace context from incoming requests, so that a
// caller's trace (a .NET service, say) continues here.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// traced wraps a route's handler in an HTTP server span named after the
// route ("GET /products/{id}"). The Redis commands the handler runs become
// its children, so the dashboard shows one trace per request.
func traced(tracer trace.Tracer, pattern string, h http.HandlerFunc) http.Handler {
	_, route, _ := strings.Cut(pattern, " ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, pattern,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				attribute.String("http.request.method", r.Method),
				attribute.String("http.route", route),
				attribute.String("url.path", r.URL.Path),
			))
		defer span.End()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h(rec, r.WithContext(ctx))
		span.SetAttributes(attribute.Int("http.response.status_code", rec.status))
		if rec.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(rec.status))
			span.SetAttributes(attribute.String("error.type", strconv.Itoa(rec.status)))
		}
	})
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
