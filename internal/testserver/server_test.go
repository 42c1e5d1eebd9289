package testserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/testlog"
)

func TestMain(m *testing.M) {
	if _, err := lookBinary(Valkey); err != nil {
		fmt.Fprintln(os.Stderr, "testserver: valkey cases not run: valkey-server not on PATH")
	}
	goleak.VerifyTestMain(testlog.Main(m))
}

// quickClient is a go-redis client that fails fast: one dial attempt,
// short timeouts.
func quickClient(t *testing.T, o *redis.Options) *redis.Client {
	t.Helper()
	o.DialerRetries = 1
	o.DialTimeout = 2 * time.Second
	o.ReadTimeout = 2 * time.Second
	o.MaxRetries = -1
	o.ContextTimeoutEnabled = true
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestStandalone(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		opts  Options
		check func(t *testing.T, srv *Server)
	}{
		{
			name: "password",
			opts: Options{Password: `pa ss"w\ord`},
			check: func(t *testing.T, srv *Server) {
				if got := srv.Do(t, "PING"); got != "PONG" {
					t.Fatalf("PING = %v", got)
				}
				if err := quickClient(t, srv.ClientOptions()).Ping(ctxT(t, 5*time.Second)).Err(); err != nil {
					t.Fatalf("PING with the password: %v", err)
				}
				err := quickClient(t, &redis.Options{Addr: srv.Addr}).Ping(ctxT(t, 5*time.Second)).Err()
				if err == nil || !strings.Contains(err.Error(), "NOAUTH") {
					t.Fatalf("PING without a password: got %v, want NOAUTH", err)
				}
				err = quickClient(t, &redis.Options{Addr: srv.Addr, Password: "wrong"}).Ping(ctxT(t, 5*time.Second)).Err()
				if err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
					t.Fatalf("PING with a wrong password: got %v, want WRONGPASS", err)
				}
				for param, want := range map[string]string{"save": "", "appendonly": "no"} {
					v := srv.Do(t, "CONFIG", "GET", param).([]any)
					if len(v) != 2 || v[1] != want {
						t.Errorf("CONFIG GET %s = %v, want %q", param, v, want)
					}
				}
			},
		},
		{
			name: "acl user",
			opts: Options{Users: []User{
				{Name: "alice", Password: "secret"},
				{Name: "reader", Password: "r", Rules: []string{"~*", "+@read", "+ping"}},
			}},
			check: func(t *testing.T, srv *Server) {
				alice := quickClient(t, &redis.Options{Addr: srv.Addr, Username: "alice", Password: "secret"})
				if err := alice.Set(ctxT(t, 5*time.Second), "k", "v", 0).Err(); err != nil {
					t.Fatalf("SET as alice: %v", err)
				}
				reader := quickClient(t, &redis.Options{Addr: srv.Addr, Username: "reader", Password: "r"})
				if v, err := reader.Get(ctxT(t, 5*time.Second), "k").Result(); err != nil || v != "v" {
					t.Fatalf("GET as reader = %q, %v", v, err)
				}
				if err := reader.Set(ctxT(t, 5*time.Second), "k", "x", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
					t.Fatalf("SET as reader: got %v, want NOPERM", err)
				}
				bad := quickClient(t, &redis.Options{Addr: srv.Addr, Username: "alice", Password: "nope"})
				if err := bad.Ping(ctxT(t, 5*time.Second)).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
					t.Fatalf("PING as alice with a wrong password: got %v, want WRONGPASS", err)
				}
			},
		},
		{
			name: "unix socket",
			opts: Options{Unix: true},
			check: func(t *testing.T, srv *Server) {
				if srv.UnixPath == "" {
					t.Fatal("UnixPath is empty")
				}
				c := quickClient(t, &redis.Options{Network: "unix", Addr: srv.UnixPath})
				if err := c.Ping(ctxT(t, 5*time.Second)).Err(); err != nil {
					t.Fatalf("PING over %s: %v", srv.UnixPath, err)
				}
			},
		},
		{
			name: "ipv6 loopback",
			opts: Options{},
			check: func(t *testing.T, srv *Server) {
				ln, err := net.Listen("tcp6", "[::1]:0")
				if err != nil {
					t.Skipf("not run: no IPv6 loopback here (%v)", err)
				}
				ln.Close()
				addr := net.JoinHostPort("::1", fmt.Sprint(srv.Port))
				if err := quickClient(t, &redis.Options{Addr: addr}).Ping(ctxT(t, 5*time.Second)).Err(); err != nil {
					t.Fatalf("PING on %s: %v", addr, err)
				}
			},
		},
		{
			name: "extra args",
			opts: Options{Args: []string{"--maxclients", "77"}},
			check: func(t *testing.T, srv *Server) {
				v := srv.Do(t, "CONFIG", "GET", "maxclients").([]any)
				if v[1] != "77" {
					t.Fatalf("maxclients = %v", v[1])
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := Start(t, tc.opts)
			if srv.Addr != fmt.Sprintf("127.0.0.1:%d", srv.Port) || srv.Port < plainPortMin || srv.Port >= plainPortMax {
				t.Fatalf("Addr %q, Port %d", srv.Addr, srv.Port)
			}
			tc.check(t, srv)
		})
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	t.Run("server certificate", func(t *testing.T) {
		t.Parallel()
		srv := Start(t, Options{TLS: true, Password: "pw"})
		if srv.TLS == nil || srv.TLS.ClientCert != nil {
			t.Fatalf("TLS material: %+v", srv.TLS)
		}
		if err := quickClient(t, srv.ClientOptions()).Ping(ctxT(t, 5*time.Second)).Err(); err != nil {
			t.Fatalf("PING with the trusted CA: %v", err)
		}
		for _, host := range []string{"localhost", "127.0.0.1"} {
			o := srv.ClientOptions()
			o.TLSConfig = srv.TLS.ClientConfig(host)
			if err := quickClient(t, o).Ping(ctxT(t, 5*time.Second)).Err(); err != nil {
				t.Fatalf("PING verifying the server as %s: %v", host, err)
			}
		}
		// The CA file is what a connection string or a tool would use.
		pem, err := os.ReadFile(srv.TLS.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("%s holds no certificate", srv.TLS.CAFile)
		}
		o := srv.ClientOptions()
		o.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
		if err := quickClient(t, o).Ping(ctxT(t, 5*time.Second)).Err(); err != nil {
			t.Fatalf("PING with the CA from %s: %v", srv.TLS.CAFile, err)
		}

		o = srv.ClientOptions()
		o.TLSConfig = &tls.Config{RootCAs: srv.TLS.UntrustedCAPool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
		err = quickClient(t, o).Ping(ctxT(t, 5*time.Second)).Err()
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("PING with the untrusted CA: got %v, want x509.UnknownAuthorityError", err)
		}

		o = srv.ClientOptions()
		o.TLSConfig = nil
		if err := quickClient(t, o).Ping(ctxT(t, 5*time.Second)).Err(); err == nil {
			t.Fatal("PING in plain text on the TLS port succeeded")
		}
	})
	t.Run("client certificate", func(t *testing.T) {
		t.Parallel()
		srv := Start(t, Options{ClientCert: true})
		if srv.TLS.ClientCert == nil || srv.TLS.ClientCertFile == "" || srv.TLS.UntrustedClientCert == nil {
			t.Fatalf("no client certificate in %+v", srv.TLS)
		}
		if err := quickClient(t, srv.ClientOptions()).Ping(ctxT(t, 5*time.Second)).Err(); err != nil {
			t.Fatalf("PING with the client certificate: %v", err)
		}
		for name, certs := range map[string][]tls.Certificate{
			"no client certificate":        nil,
			"untrusted client certificate": {*srv.TLS.UntrustedClientCert},
		} {
			o := srv.ClientOptions()
			o.TLSConfig.Certificates = certs
			if err := quickClient(t, o).Ping(ctxT(t, 5*time.Second)).Err(); err == nil {
				t.Errorf("PING with %s succeeded", name)
			}
		}
	})
}

func TestRestart(t *testing.T) {
	t.Parallel()
	srv := Start(t, Options{Password: "old-password"})
	addr, pid := srv.Addr, srv.PID()
	srv.Do(t, "SET", "k", "v")

	srv.Restart(t, func(o *Options) { o.Password = "new-password" })
	if srv.Addr != addr || srv.PID() == pid || !srv.Running() {
		t.Fatalf("after Restart: Addr %s (was %s), pid %d (was %d), running %v", srv.Addr, addr, srv.PID(), pid, srv.Running())
	}
	err := quickClient(t, &redis.Options{Addr: addr, Password: "old-password"}).Ping(ctxT(t, 5*time.Second)).Err()
	if err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("old password after Restart: got %v, want WRONGPASS", err)
	}
	if err := quickClient(t, srv.ClientOptions()).Ping(ctxT(t, 5*time.Second)).Err(); err != nil {
		t.Fatalf("new password after Restart: %v", err)
	}
	if v, _ := srv.DoErr("GET", "k"); v != nil {
		t.Fatalf("GET k after Restart = %v; want nil (no persistence)", v)
	}
	if !strings.Contains(srv.ConnectionString(), "password=new-password") {
		t.Fatal("ConnectionString has no new password")
	}

	srv.Kill()
	if srv.Running() || srv.PID() != 0 {
		t.Fatal("still running after Kill")
	}
	if _, err := srv.DoErr("PING"); err == nil {
		t.Fatal("PING after Kill succeeded")
	}
	srv.Restart(t)
	srv.Stop()
	srv.Stop() // no-op
	if srv.Running() {
		t.Fatal("running after Stop")
	}
	if tail := srv.LogTail(100); !strings.Contains(tail, "Ready to accept connections") {
		t.Fatalf("log tail:\n%s", tail)
	}
}

func TestPortTakenAfterCheck(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{}, kindStandalone)
	var taken net.Listener
	s.roleConf = func() []string {
		if taken == nil {
			// Another process binds the port between the check and the start.
			var err error
			if taken, err = net.Listen("tcp4", s.Addr); err != nil {
				t.Errorf("occupy %s: %v", s.Addr, err)
			}
		}
		return nil
	}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	if s.Addr == taken.Addr().String() {
		t.Fatalf("server claims the occupied port %s", s.Addr)
	}
	s.Do(t, "PING")
	if !strings.Contains(s.LogTail(200), "Address already in use") {
		t.Error("log does not show the failed first start")
	}
}

func TestFixedPortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	s := newServer(t, Options{Port: port, StartTimeout: time.Second}, kindStandalone)
	err = s.start()
	if !errors.Is(err, errPortInUse) || !strings.Contains(err.Error(), fmt.Sprint(port)) {
		t.Fatalf("start on an occupied fixed port: %v", err)
	}
}

func TestStartFailureShowsLogTail(t *testing.T) {
	t.Parallel()
	s := newServer(t, Options{Password: "hunter2", Args: []string{"--no-such-directive", "hunter2"}}, kindStandalone)
	err := s.start()
	if err == nil {
		t.Fatal("start with a bad directive succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "no-such-directive") || !strings.Contains(msg, "exited during start-up") {
		t.Fatalf("error does not show the log tail: %v", msg)
	}
	if strings.Contains(msg, "hunter2") {
		t.Fatalf("error shows the password: %v", msg)
	}
}

// fakeTB records Fatal and Skip and ends the calling goroutine as the real
// ones do.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Fatal(args ...any) { f.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (f *fakeTB) Skip(args ...any)  { f.skip = fmt.Sprint(args...); runtime.Goexit() }

func runFake(fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

func TestRequire(t *testing.T) {
	if p := Require(t, Redis); p == "" {
		t.Fatal("Require(redis-server) returned no path")
	}
	for _, tc := range []struct {
		name, env, ci, binary, wantFatal, wantSkip string
	}{
		{"missing fails", "", "", "redis-server-does-not-exist", "apt-get install -y redis-server", ""},
		{"missing valkey names valkey", "", "", "valkey-server-does-not-exist", "apt-get install -y valkey-server", ""},
		{"missing path fails", "0", "", "/nonexistent/redis-server", "not an executable file", ""},
		{"skip on request", "1", "", "redis-server-does-not-exist", "", "apt-get install -y redis-server"},
		{"never skips in CI", "1", "true", "redis-server-does-not-exist", "is ignored when CI=true", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(SkipEnv, tc.env)
			t.Setenv(CIEnv, tc.ci)
			f := runFake(func(tb testing.TB) { Require(tb, tc.binary) })
			if tc.wantFatal != "" && !strings.Contains(f.fatal, tc.wantFatal) {
				t.Errorf("Fatal(%q), want it to contain %q", f.fatal, tc.wantFatal)
			}
			if tc.wantSkip != "" && !strings.Contains(f.skip, tc.wantSkip) {
				t.Errorf("Skip(%q), want it to contain %q", f.skip, tc.wantSkip)
			}
			if (tc.wantFatal == "") != (f.fatal == "") || (tc.wantSkip == "") != (f.skip == "") {
				t.Errorf("Fatal(%q), Skip(%q)", f.fatal, f.skip)
			}
		})
	}
}

func TestEachBinary(t *testing.T) {
	t.Parallel()
	ran := map[string]bool{}
	EachBinary(t, func(t *testing.T, binary string) {
		ran[binary] = true
		srv := Start(t, Options{Binary: binary})
		info := srv.Info(t, "server")
		if info["tcp_port"] != fmt.Sprint(srv.Port) {
			t.Fatalf("%s reports tcp_port %s, want %d", binary, info["tcp_port"], srv.Port)
		}
	})
	if !ran[Redis] {
		t.Error("redis-server case did not run")
	}
	if want := len(Binaries()) == 2; ran[Valkey] != want {
		t.Errorf("valkey-server case ran: %v, want %v", ran[Valkey], want)
	}
}

func TestConnectionStrings(t *testing.T) {
	t.Parallel()
	srv := &Server{Host: "127.0.0.1", Port: 20001, Addr: "127.0.0.1:20001", opts: Options{Password: "p@ss"}}
	if got, want := srv.ConnectionString(), "127.0.0.1:20001,password=p@ss"; got != want {
		t.Errorf("ConnectionString = %q, want %q", got, want)
	}
	if got, want := srv.URL(), "redis://:p%40ss@127.0.0.1:20001"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	srv.TLS = &TLSMaterial{}
	if got, want := srv.ConnectionString(), "127.0.0.1:20001,password=p@ss,ssl=true"; got != want {
		t.Errorf("ConnectionString = %q, want %q", got, want)
	}
	if got := srv.URL(); !strings.HasPrefix(got, "rediss://") {
		t.Errorf("URL = %q, want rediss://", got)
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":      `"plain"`,
		`a "b" \c`:   `"a \"b\" \\c"`,
		"tab\tnl\n":  `"tab\x09nl\x0a"`,
		"":           `""`,
		"ü":          `"\xc3\xbc"`,
		">p@ss w0rd": `">p@ss w0rd"`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}
