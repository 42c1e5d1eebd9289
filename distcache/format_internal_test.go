package distcache

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// Sources of the golden values below (docs/distributed-cache.md lists them):
//
//	[EXT]  dotnet/extensions@4faba0e3d1aff81ba7c4227564471ad50d1144dc
//	       src/Caching/StackExchangeRedis/src/RedisCache.cs (the Lua/HMSET RedisCache, .NET 5)
//	[ASP]  dotnet/aspnetcore@8d116707db029fd3e65d6365bead225ddc4aa87d
//	       src/Caching/StackExchangeRedis/src/RedisCache.cs (HSET + EXPIRE, .NET 9 and later)
//	[HYB]  dotnet/extensions@5862342c9a100ca33f5d1f2bd58c511bde1e8f40
//	       src/Libraries/Microsoft.Extensions.Caching.Hybrid/Internal/HybridCachePayload.cs
//	[L2]   same commit, .../Internal/DefaultHybridCache.L2.cs
//
// The tick values were computed independently of this package (Python's
// date.toordinal: days since 0001-01-01 times 864000000000).

// goldenNow is 2026-12-06T23:00:00Z; its ticks are 639321948000000000.
var goldenNow = time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)

func TestTicksGolden(t *testing.T) {
	tests := []struct {
		name  string
		at    time.Time
		ticks int64
	}{
		// DateTime.UnixEpoch.Ticks, the epoch offset every conversion uses.
		{"unix epoch", time.Unix(0, 0), 621355968000000000},
		// new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).Ticks
		{"2000-01-01", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 630822816000000000},
		{"golden now", goldenNow, 639321948000000000},
		// a zone's offset is not stored: [ASP] writes absoluteExpiration.Ticks
		// of a DateTimeOffset computed from DateTimeOffset.UtcNow (line 251),
		// and reads it back as new DateTimeOffset(ticks, TimeSpan.Zero)
		// ([EXT] line 334)
		{"other zone, same instant", goldenNow.In(time.FixedZone("+02", 2*3600)), 639321948000000000},
		// DateTimeOffset.MaxValue.Ticks
		{"max", time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.UTC), 3155378975999999999},
		// sub-tick nanoseconds are dropped
		{"sub-tick", goldenNow.Add(99), 639321948000000000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := timeToTicks(tt.at); got != tt.ticks {
				t.Errorf("timeToTicks(%v) = %d, want %d", tt.at, got, tt.ticks)
			}
			back, err := ticksToTime(tt.ticks)
			if err != nil {
				t.Fatal(err)
			}
			if !back.Equal(tt.at.Truncate(100)) && !back.Equal(tt.at.Add(-99)) {
				t.Errorf("ticksToTime(%d) = %v, want %v", tt.ticks, back, tt.at)
			}
		})
	}
	// before the Unix epoch: floor division
	if got, _ := ticksToTime(unixEpochTicks - 1); !got.Equal(time.Unix(0, -100)) {
		t.Errorf("one tick before the epoch = %v", got)
	}
	for _, bad := range []int64{-1, maxTicks + 1} {
		if _, err := ticksToTime(bad); err == nil {
			t.Errorf("ticksToTime(%d): no error", bad)
		}
	}
	// TimeSpan.FromMinutes(20).Ticks
	if got := durationToTicks(20 * time.Minute); got != 12000000000 {
		t.Errorf("durationToTicks(20m) = %d", got)
	}
}

// goldenPayload is what [HYB] Write (lines 101-141) produces for
// key "k", tag "t", value "v", creation goldenNow, duration 5 minutes
// (HybridCache's default Expiration) and entropy 0xBEEF.
const goldenPayload = "0301" + // sentinel 0x03, version 0x01: UInt16 0x0103 little-endian (lines 34-36, 106)
	"efbe" + // entropy, UInt16 little-endian (line 107)
	"0098a6a7ec53df08" + // creation, Int64 UTC ticks little-endian: 639321948000000000 (line 108)
	"00" + // flags: PayloadFlags.None (line 117)
	"01" + // payload length 1 (line 118)
	"80bcc1960b" + // duration 3000000000 ticks as a 7-bit varint (lines 119, 143-158)
	"01" + // tag count (line 120)
	"016b" + // key: varint length + UTF-8 (lines 121, 160-165)
	"0174" + // tag "t" (line 127)
	"76" + // the value (line 138)
	"0301" // sentinel and version again (line 140)

func TestPayloadGolden(t *testing.T) {
	want, _ := hex.DecodeString(goldenPayload)
	p := payload{entropy: 0xBEEF, creation: 639321948000000000, duration: 3000000000, key: "k", tags: []string{"t"}, value: []byte("v")}
	got := appendPayload(nil, p)
	if !bytes.Equal(got, want) {
		t.Fatalf("appendPayload =\n%x\nwant\n%x", got, want)
	}
	if n := payloadSize(p); n != len(want) {
		t.Errorf("payloadSize = %d, want %d", n, len(want))
	}
	back, err := parsePayload(want)
	if err != nil {
		t.Fatal(err)
	}
	if back.entropy != 0xBEEF || back.creation != p.creation || back.duration != p.duration || back.key != "k" ||
		len(back.tags) != 1 || back.tags[0] != "t" || string(back.value) != "v" || back.flags != 0 {
		t.Errorf("parsePayload = %+v", back)
	}
}

func TestVarintGolden(t *testing.T) {
	// [HYB] Write7BitEncodedInt64 (lines 143-158) and TryRead7BitEncodedInt64 (lines 371-412)
	tests := []struct {
		v   uint64
		hex string
	}{
		{0, "00"},
		{127, "7f"},
		{128, "8001"},
		{300, "ac02"},
		{3000000000, "80bcc1960b"},
		{1<<64 - 1, "ffffffffffffffffff01"}, // the 10th byte holds one bit
	}
	for _, tt := range tests {
		got := hex.EncodeToString(appendVarint(nil, tt.v))
		if got != tt.hex {
			t.Errorf("appendVarint(%d) = %s, want %s", tt.v, got, tt.hex)
		}
		b, _ := hex.DecodeString(tt.hex)
		v, rest, err := readVarint(b, "x")
		if err != nil || v != tt.v || len(rest) != 0 {
			t.Errorf("readVarint(%s) = %d, %x, %v", tt.hex, v, rest, err)
		}
		if varintLen(tt.v) != len(b) {
			t.Errorf("varintLen(%d) = %d, want %d", tt.v, varintLen(tt.v), len(b))
		}
	}
}

// TestPayloadHostile: every malformed payload is an error that says what
// is wrong, never a panic or a value. .NET's TryParse returns
// FormatNotRecognized, InvalidData or ParseFault for each ([HYB] lines
// 173-413).
func TestPayloadHostile(t *testing.T) {
	golden, _ := hex.DecodeString(goldenPayload)
	with := func(hexs string) []byte { b, _ := hex.DecodeString(hexs); return b }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a HybridCache payload"},
		// under 19 bytes: FormatNotRecognized (line 188)
		{"18 bytes", golden[:18], "not a HybridCache payload"},
		// another sentinel or version (line 316)
		{"version 2", append(with("0302"), golden[2:]...), "not a HybridCache payload"},
		{"plain value", []byte("just some JSON {\"a\":1}"), "not a HybridCache payload"},
		{"truncated value", golden[:len(golden)-3], "the payload is"},
		{"no trailer", append(golden[:len(golden)-2:len(golden)-2], 0, 0), "trailing"},
		{"extra byte", append(append([]byte{}, golden...), 0), "the payload is"},
		// varint with 11 bytes: the 10th carries more than one bit (line 404)
		{"varint overflow", append(append([]byte{}, golden[:12]...), with("ffffffffffffffffff02000000000000000000")...), "overflows"},
		// payload length over int.MaxValue (line 216)
		{"huge length", append(append([]byte{}, golden[:13]...), with("ffffffff0f00000000000000")...), "over .NET's limit"},
		// tag count over int.MaxValue (line 236)
		{"huge tag count", append(append([]byte{}, golden[:14]...), with("00ffffffff0f0000000000")...), "over .NET's limit"},
		// a key longer than what is left (line 336)
		{"key too long", append(append([]byte{}, golden[:14]...), with("0000ff010000000000")...), "only"},
		{"many tags, few bytes", append(append([]byte{}, golden[:14]...), with("00ffffff0700000000")...), "tag"},
		{"key not UTF-8", append(append([]byte{}, golden[:14]...), with("000001ff0000000000")...), "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parsePayload(tt.data)
			if err == nil {
				t.Fatalf("no error; parsed %+v", p)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
	if _, err := parsePayload([]byte("x")); !errors.Is(err, errPayloadFormat) {
		t.Errorf("short input: %v", err)
	}
}

// TestPayloadEmptyMinimum: the 19-byte minimum of [HYB] line 188 is an
// empty key and value with no tags and a one-byte duration.
func TestPayloadEmptyMinimum(t *testing.T) {
	b := appendPayload(nil, payload{creation: 1})
	if len(b) != payloadMinSize {
		t.Fatalf("empty payload is %d bytes, want %d", len(b), payloadMinSize)
	}
	if _, err := parsePayload(b); err != nil {
		t.Fatal(err)
	}
}

// FuzzParsePayload: the parser never panics, and what it accepts encodes
// back to the same bytes.
func FuzzParsePayload(f *testing.F) {
	golden, _ := hex.DecodeString(goldenPayload)
	f.Add(golden)
	f.Add(appendPayload(nil, payload{}))
	f.Add(appendPayload(nil, payload{key: "ключ", tags: []string{"a", "b", "c"}, value: bytes.Repeat([]byte("x"), 300), duration: 1 << 40}))
	f.Add([]byte("\x03\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePayload(b)
		if err != nil {
			return
		}
		if again := appendPayload(nil, p); !bytes.Equal(again, b) {
			// Only a non-minimal varint may differ; it must still parse the same.
			q, err := parsePayload(again)
			if err != nil || q.key != p.key || !bytes.Equal(q.value, p.value) || len(q.tags) != len(p.tags) ||
				q.creation != p.creation || q.duration != p.duration || q.flags != p.flags {
				t.Fatalf("round trip of %x: %x, %v", b, again, err)
			}
		}
	})
}
