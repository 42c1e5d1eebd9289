package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestService(t *testing.T) {
	srv := miniredis.RunT(t)
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", srv.Addr()+",setlib=false")
	t.Setenv("HOST", "127.0.0.1")
	t.Setenv("PORT", "0")

	var mux *http.ServeMux
	app := fxtest.New(t, app(), fx.Populate(&mux))
	app.RequireStart()
	defer app.RequireStop()

	for _, c := range []struct{ path, want string }{
		{"/visits/home", "200 1\n"},
		{"/visits/home", "200 2\n"},
		{"/health", "200 Healthy"},
		{"/alive", "200 Healthy"},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		if got := rec.Result().Status[:4] + rec.Body.String(); got != c.want {
			t.Errorf("GET %s = %q, want %q", c.path, got, c.want)
		}
	}
	srv.Close()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/visits/home", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.HasPrefix(rec.Body.String(), "redis: ") {
		t.Errorf("with Redis down: %d %q", rec.Code, rec.Body)
	}
}
