package distcache

import (
	"fmt"
	"math"
	"time"
)

// .NET time values as they are stored: a DateTimeOffset or DateTime as
// Ticks, 100-nanosecond intervals since 0001-01-01T00:00:00 (UTC here), and
// a TimeSpan as its Ticks.
const (
	// unixEpochTicks is DateTime.UnixEpoch.Ticks: 1970-01-01T00:00:00Z.
	unixEpochTicks int64 = 621355968000000000
	// maxTicks is DateTime.MaxValue.Ticks: 9999-12-31T23:59:59.9999999.
	maxTicks int64 = 3155378975999999999
	// ticksPerSecond is TimeSpan.TicksPerSecond.
	ticksPerSecond int64 = 10_000_000
	// nanosPerTick: one tick is 100ns.
	nanosPerTick int64 = 100
	// maxDurationTicks is the longest TimeSpan a time.Duration holds.
	maxDurationTicks = math.MaxInt64 / nanosPerTick
)

// timeToTicks is t.UtcTicks: the UTC instant in ticks, sub-tick
// nanoseconds dropped (as .NET's clock never has them).
func timeToTicks(t time.Time) int64 {
	t = t.UTC()
	return unixEpochTicks + t.Unix()*ticksPerSecond + int64(t.Nanosecond())/nanosPerTick
}

// ticksToTime is new DateTimeOffset(ticks, TimeSpan.Zero): the ticks read
// as a UTC instant. It fails where .NET's constructor throws.
func ticksToTime(ticks int64) (time.Time, error) {
	if ticks < 0 || ticks > maxTicks {
		return time.Time{}, fmt.Errorf("%d ticks is outside .NET's DateTimeOffset range (0 to %d)", ticks, maxTicks)
	}
	d := ticks - unixEpochTicks
	sec, rem := d/ticksPerSecond, d%ticksPerSecond
	if rem < 0 {
		sec, rem = sec-1, rem+ticksPerSecond
	}
	return time.Unix(sec, rem*nanosPerTick).UTC(), nil
}

// durationToTicks is TimeSpan.Ticks of d, truncated to whole ticks.
func durationToTicks(d time.Duration) int64 { return int64(d) / nanosPerTick }

// ticksToDuration is new TimeSpan(ticks) as a time.Duration; a TimeSpan
// longer than a time.Duration (about 292 years) is an error.
func ticksToDuration(ticks int64) (time.Duration, error) {
	if ticks > maxDurationTicks || ticks < -maxDurationTicks {
		return 0, fmt.Errorf("%d ticks is longer than a time.Duration holds", ticks)
	}
	return time.Duration(ticks * nanosPerTick), nil
}
