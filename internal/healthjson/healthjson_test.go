package healthjson

import (
	"net/http"
	"testing"
	"time"
)

func TestTimeSpan(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "00:00:00"},
		{50 * time.Nanosecond, "00:00:00"},
		{100 * time.Nanosecond, "00:00:00.0000001"},
		{1234567 * time.Nanosecond, "00:00:00.0012345"},
		{2 * time.Second, "00:00:02"},
		{time.Hour + 2*time.Minute + 3*time.Second + 400*time.Millisecond, "01:02:03.4000000"},
		{49*time.Hour + time.Second, "2.01:00:01"},
		{-1500 * time.Millisecond, "-00:00:01.5000000"},
	}
	for _, tt := range tests {
		if got := TimeSpan(tt.d); got != tt.want {
			t.Errorf("TimeSpan(%v) = %q, want %q", tt.d, got, tt.want)
		}
		back, err := ParseTimeSpan(tt.want)
		if want := tt.d / 100 * 100; err != nil || back != want {
			t.Errorf("ParseTimeSpan(%q) = %v, %v; want %v", tt.want, back, err, want)
		}
	}
}

func TestParseTimeSpanRejects(t *testing.T) {
	for _, s := range []string{"", "1", "00:00", "0:00:00", "24:00:00", "00:60:00", "00:00:00.", "00:00:00.12345678", "x.00:00:00", "00:00:0a", "--00:00:00"} {
		if d, err := ParseTimeSpan(s); err == nil {
			t.Errorf("ParseTimeSpan(%q) = %v, want an error", s, d)
		}
	}
}

func TestGet(t *testing.T) {
	tests := []struct {
		name    string
		h       http.HandlerFunc
		code    int
		status  string
		wantErr bool
	}{
		{"json", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/health" || r.Header.Get("Accept") != "application/json" {
				http.Error(w, "wrong request", http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"Unhealthy","totalDuration":"00:00:01","entries":{"redis_cache":{"status":"Unhealthy","duration":"00:00:01","tags":[],"description":"PING: refused"}}}`))
		}, 503, "Unhealthy", false},
		{"not json", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("Healthy")) }, 200, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, code, err := Get(t.Context(), tt.h, "")
			if code != tt.code || (err != nil) != tt.wantErr || rep.Status != tt.status {
				t.Fatalf("Get = %+v, %d, %v; want status %q, code %d, error %v", rep, code, err, tt.status, tt.code, tt.wantErr)
			}
			if !tt.wantErr && rep.Entries["redis_cache"].Description != "PING: refused" {
				t.Errorf("entries = %+v", rep.Entries)
			}
		})
	}
}
