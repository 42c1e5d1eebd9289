package rediscache_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"github.com/aspirego/redis/internal/testlog"
	"github.com/aspirego/redis/settings"
)

// config builds a *settings.Config from values, failing the test on error.
func config(t *testing.T, values map[string]any) *settings.Config {
	t.Helper()
	cfg, err := settings.NewConfig(values)
	if err != nil {
		t.Fatalf("NewConfig: %v", err)
	}
	return cfg
}

// miniConn is a connection string for srv that miniredis understands.
func miniConn(srv *miniredis.Miniredis, extra string) string {
	return srv.Addr() + ",setlib=false" + extra
}

// writeFile writes name in dir.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newLogger returns a JSON logger at every level and the buffer it writes to.
func newLogger() (*slog.Logger, *testlog.Buffer) {
	b := &testlog.Buffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }

func settingsConfig(v map[string]any) (*settings.Config, error) { return settings.NewConfig(v) }
