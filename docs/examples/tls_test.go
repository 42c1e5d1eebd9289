package docs_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// trustCA returns an option that makes a client with ssl=true (or a
// rediss:// URI) trust the certificate authority in pemFile, such as the
// one that signed a development certificate.
func trustCA(pemFile string) (settings.Option, error) {
	pem, err := os.ReadFile(pemFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", pemFile)
	}
	return settings.ConfigureOptions(func(o *redis.UniversalOptions) {
		if o.TLSConfig != nil { // TLS is on: ssl=true or rediss://
			o.TLSConfig.RootCAs = roots
		}
	}), nil
}

// A TLS server whose certificate is signed by a CA of its own: without
// trustCA the client refuses it, with trustCA it connects.
func TestTrustCA(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{TLS: true})
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", srv.ConnectionString()) // 127.0.0.1:port,ssl=true

	var unknown x509.UnknownAuthorityError
	if err := pingWith(t, fx.Provide(rediscache.Client("cache"))); !errors.As(err, &unknown) {
		t.Fatalf("without the CA: %v, want x509.UnknownAuthorityError", err)
	}

	ca, err := trustCA(srv.TLS.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	client := fx.Provide(rediscache.Client("cache", ca))

	if err := pingWith(t, client); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
}

// SSL_CERT_FILE adds the CA to the system roots on Linux: no code needed.
// The system roots are read once per process, so the check runs in a
// child process.
func TestSSLCertFile(t *testing.T) {
	if os.Getenv("DOCS_SSL_CERT_FILE_CHILD") == "1" {
		if err := pingWith(t, fx.Provide(rediscache.Client("cache"))); err != nil {
			t.Fatalf("with SSL_CERT_FILE=%s: %v", os.Getenv("SSL_CERT_FILE"), err)
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("SSL_CERT_FILE is read on Linux and other Unix systems except macOS")
	}
	srv := testserver.Start(t, testserver.Options{TLS: true})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestSSLCertFile$", "-test.count=1")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(),
		"DOCS_SSL_CERT_FILE_CHILD=1",
		"SSL_CERT_FILE="+srv.TLS.CAFile,
		"ConnectionStrings__cache="+srv.ConnectionString(),
	)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// pingWith starts an application with fxmodule.Module and the client
// option, and PINGs through the client.
func pingWith(t *testing.T, client fx.Option) error {
	t.Helper()
	var rdb redis.UniversalClient
	app := fxtest.New(t, fx.NopLogger, fxmodule.Module, client, fx.Populate(&rdb))
	app.RequireStart()
	defer app.RequireStop()
	return rdb.Ping(context.Background()).Err()
}
