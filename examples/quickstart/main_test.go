package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aspirego/redis/internal/testserver"
)

func TestQuickstartEmbedded(t *testing.T) {
	t.Chdir(t.TempDir())
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"started an embedded Redis (miniredis)",
		`GET quickstart:greeting = "hello from Go", visits = 1`,
		"GET /health -> 200 Healthy",
		"spans (5):",
		"PIPELINE",
		"db.operation.batch.size=2",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestQuickstartConfiguredServer(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Password: "quickstart-secret"})
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", srv.Addr+",password=quickstart-secret")
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "using the configured Redis") || !strings.Contains(out.String(), "GET /health -> 200 Healthy") {
		t.Errorf("output:\n%s", out.String())
	}
	if strings.Contains(out.String(), "quickstart-secret") {
		t.Errorf("password in output:\n%s", out.String())
	}
}
