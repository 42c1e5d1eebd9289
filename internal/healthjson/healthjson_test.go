package healthjson

import (
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
