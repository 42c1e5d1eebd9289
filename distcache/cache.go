package distcache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/settings"
)

// The hash fields of an entry, as Microsoft.Extensions.Caching.StackExchangeRedis
// names them (RedisCache.cs: AbsoluteExpirationKey, SlidingExpirationKey,
// DataKey), and the value of an expiration field that is not set
// (NotPresent).
const (
	fieldAbsolute = "absexp"
	fieldSliding  = "sldexp"
	fieldData     = "data"
	notPresent    = "-1"
)

// ErrNotFound is returned by Get when the cache holds no entry for the key
// (never set, removed, or expired).
var ErrNotFound = errors.New("distcache: entry not found")

// ErrInvalidEntry is wrapped by the error of an entry that is not in the
// format .NET's RedisCache (or HybridCache) writes: a field that is not a
// number, a time outside .NET's range, a truncated HybridCache payload.
// The error names the key, the field and what is wrong; the entry is left
// as it is.
var ErrInvalidEntry = errors.New("distcache: entry is not in the .NET distributed-cache format")

// entryError reports a stored entry that is not in the format .NET
// writes (see ErrInvalidEntry, which it wraps).
type entryError struct {
	key    string // the cache key, without InstanceName
	field  string // the hash field: absexp, sldexp or data
	reason string // what is wrong with it
}

// Error names the key, the field and what is wrong.
func (e *entryError) Error() string {
	return fmt.Sprintf("distcache: entry %q: field %s: %s", e.key, e.field, e.reason)
}

// Unwrap returns ErrInvalidEntry.
func (e *entryError) Unwrap() error { return ErrInvalidEntry }

// EntryOptions are the expiration of an entry, .NET's
// DistributedCacheEntryOptions as Go values; the zero value means the entry
// does not expire.
type EntryOptions struct {
	// AbsoluteExpiration is when the entry expires; the zero time means
	// not set. It must be in the future.
	AbsoluteExpiration time.Time
	// AbsoluteExpirationRelativeToNow is how long from now the entry
	// expires; 0 means not set. When set, it wins over AbsoluteExpiration,
	// as in .NET.
	AbsoluteExpirationRelativeToNow time.Duration
	// SlidingExpiration is how long the entry may go unread before it
	// expires; every Get and Refresh starts it again, up to the absolute
	// expiration. 0 means not set.
	SlidingExpiration time.Duration
}

// RedisCache is a distributed cache whose entries are those of .NET's
// RedisCache (Microsoft.Extensions.Caching.StackExchangeRedis, the
// IDistributedCache of Aspire's AddRedisDistributedCache): a .NET service
// and a Go service configured with the same InstanceName read and write the
// same entries. It is safe for concurrent use.
type RedisCache struct {
	client           redis.UniversalClient
	prefix           string
	now              func() time.Time
	maxHybridPayload int
}

// Option configures a RedisCache.
type Option func(*options)

type options struct {
	instanceName    string
	instanceNameSet bool
	now             func() time.Time
	maxHybrid       int
	client          []settings.Option
}

// WithInstanceName sets RedisCacheOptions.InstanceName: the prefix of every
// key in Redis. Services that share entries must use the same one (.NET
// adds no separator: "app1:" and key "k" make "app1:k").
func WithInstanceName(name string) Option {
	return func(o *options) { o.instanceName, o.instanceNameSet = name, true }
}

// WithClock sets the clock that expirations are computed from (time.Now
// by default). Redis itself expires keys by its own clock.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// New returns a cache over client. The client is not closed by the cache.
func New(client redis.UniversalClient, opts ...Option) *RedisCache {
	o := resolveOptions(opts)
	return &RedisCache{client: client, prefix: o.instanceName, now: o.now, maxHybridPayload: o.maxHybrid}
}

func resolveOptions(opts []Option) options {
	o := options{now: time.Now, maxHybrid: DefaultMaxHybridPayloadBytes}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// redisKey is InstanceName + key, as .NET's _instancePrefix.Append(key).
func (c *RedisCache) redisKey(key string) string { return c.prefix + key }

// Get returns the entry's value, or ErrNotFound. An entry with a sliding
// expiration is refreshed, as .NET's Get refreshes it.
func (c *RedisCache) Get(ctx context.Context, key string) ([]byte, error) {
	data, found, err := c.getAndRefresh(ctx, key, true)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNotFound
	}
	return data, nil
}

// Refresh starts the sliding expiration of the entry again, as if it was
// read, without reading its value. It does nothing for an entry without a
// sliding expiration or a missing one, as in .NET.
func (c *RedisCache) Refresh(ctx context.Context, key string) error {
	_, _, err := c.getAndRefresh(ctx, key, false)
	return err
}

// Set stores value under key with the expiration of opts, replacing any
// entry. Like .NET, it writes the hash fields absexp, sldexp and data and,
// when the entry expires, sets the key's TTL to the whole seconds until
// then (the sooner of the absolute and the sliding expiration): an
// expiration less than a second away removes the entry at once. An entry
// without expiration keeps the TTL a previous entry under the key had, as
// .NET's HSET leaves it.
func (c *RedisCache) Set(ctx context.Context, key string, value []byte, opts EntryOptions) error {
	now := c.now()
	abs, err := absoluteExpiration(now, opts)
	if err != nil {
		return fmt.Errorf("distcache: set %q: %w", key, err)
	}
	if opts.SlidingExpiration < 0 {
		return fmt.Errorf("distcache: set %q: the sliding expiration must be positive, not %v", key, opts.SlidingExpiration)
	}
	absField, sldField := notPresent, notPresent
	if !abs.IsZero() {
		absField = strconv.FormatInt(timeToTicks(abs), 10)
	}
	if opts.SlidingExpiration > 0 {
		sldField = strconv.FormatInt(durationToTicks(opts.SlidingExpiration), 10)
	}
	if value == nil {
		value = []byte{} // .NET throws for null; an empty value is stored as empty
	}
	rkey := c.redisKey(key)
	ttl, expires := expirationSeconds(now, abs, opts.SlidingExpiration)
	if !expires {
		err = c.client.HSet(ctx, rkey, fieldAbsolute, absField, fieldSliding, sldField, fieldData, value).Err()
	} else {
		// .NET 9+ pipelines HSET and EXPIRE; .NET 8 and earlier ran them in
		// one Lua script. MULTI/EXEC keeps them together like the script.
		_, err = c.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, rkey, fieldAbsolute, absField, fieldSliding, sldField, fieldData, value)
			p.Expire(ctx, rkey, time.Duration(ttl)*time.Second)
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("distcache: set %q: %w", key, err)
	}
	return nil
}

// Remove removes the entry; a missing entry is not an error.
func (c *RedisCache) Remove(ctx context.Context, key string) error {
	if err := c.client.Del(ctx, c.redisKey(key)).Err(); err != nil {
		return fmt.Errorf("distcache: remove %q: %w", key, err)
	}
	return nil
}

// absoluteExpiration is .NET's GetAbsoluteExpiration: an
// AbsoluteExpiration that is not in the future is an error; a relative
// expiration wins over it.
func absoluteExpiration(now time.Time, o EntryOptions) (time.Time, error) {
	if !o.AbsoluteExpiration.IsZero() && !o.AbsoluteExpiration.After(now) {
		return time.Time{}, fmt.Errorf("the absolute expiration value must be in the future, and %s is not",
			o.AbsoluteExpiration.UTC().Format(time.RFC3339Nano))
	}
	if o.AbsoluteExpirationRelativeToNow < 0 {
		return time.Time{}, fmt.Errorf("the relative expiration must be positive, not %v", o.AbsoluteExpirationRelativeToNow)
	}
	if o.AbsoluteExpirationRelativeToNow > 0 {
		return now.Add(o.AbsoluteExpirationRelativeToNow), nil
	}
	if !o.AbsoluteExpiration.IsZero() {
		if t := timeToTicks(o.AbsoluteExpiration); t > maxTicks {
			return time.Time{}, fmt.Errorf("the absolute expiration %s is after .NET's largest DateTimeOffset", o.AbsoluteExpiration.UTC().Format(time.RFC3339))
		}
	}
	return o.AbsoluteExpiration, nil
}

// expirationSeconds is .NET's GetExpirationInSeconds: the key's TTL in
// whole seconds (truncated, as (long) of TotalSeconds truncates), the
// sooner of the absolute and the sliding expiration; false when the entry
// does not expire.
func expirationSeconds(now, abs time.Time, sliding time.Duration) (int64, bool) {
	switch {
	case !abs.IsZero() && sliding > 0:
		return int64(min(abs.Sub(now), sliding) / time.Second), true
	case !abs.IsZero():
		return int64(abs.Sub(now) / time.Second), true
	case sliding > 0:
		return int64(sliding / time.Second), true
	}
	return 0, false
}

// metadata is an entry's expiration as .NET's MapMetadata reads it.
type metadata struct {
	absolute time.Time     // zero: none
	sliding  time.Duration // 0: none
}

// getAndRefresh is .NET's GetAndRefresh: one HMGET of the metadata (and
// the data), then, for a sliding entry, a new TTL.
func (c *RedisCache) getAndRefresh(ctx context.Context, key string, getData bool) ([]byte, bool, error) {
	rkey := c.redisKey(key)
	fields := []string{fieldAbsolute, fieldSliding}
	if getData {
		fields = append(fields, fieldData)
	}
	vals, err := c.client.HMGet(ctx, rkey, fields...).Result()
	if err != nil {
		return nil, false, fmt.Errorf("distcache: get %q: %w", key, err)
	}
	if len(vals) != len(fields) {
		return nil, false, fmt.Errorf("distcache: get %q: HMGET returned %d values for %d fields", key, len(vals), len(fields))
	}
	md, err := parseMetadata(key, vals[0], vals[1])
	if err != nil {
		return nil, false, err
	}
	if md.sliding > 0 {
		if err := c.refresh(ctx, rkey, md); err != nil {
			return nil, false, fmt.Errorf("distcache: refresh %q: %w", key, err)
		}
	}
	if !getData || vals[2] == nil {
		return nil, false, nil
	}
	data, ok := vals[2].(string)
	if !ok {
		return nil, false, &entryError{key: key, field: fieldData, reason: fmt.Sprintf("a %T, not a string", vals[2])}
	}
	return []byte(data), true, nil
}

// refresh is .NET's Refresh(cache, key, absExpr, sldExpr): the TTL becomes
// the sliding expiration, or the time left to the absolute expiration when
// that is sooner. An entry past its absolute expiration gets a TTL of zero
// or less, which removes it (as .NET's KeyExpire with a negative TimeSpan
// does).
func (c *RedisCache) refresh(ctx context.Context, rkey string, md metadata) error {
	expr := md.sliding
	if !md.absolute.IsZero() {
		if rel := md.absolute.Sub(c.now()); rel <= md.sliding {
			expr = rel
		}
	}
	// Whole milliseconds, so that go-redis sends them as they are (it
	// logs and rounds up a positive duration under 1ms).
	return c.client.PExpire(ctx, rkey, expr.Truncate(time.Millisecond)).Err()
}

// parseMetadata is .NET's MapMetadata: absent fields and -1 mean "not
// set"; anything else must be a number .NET can read back.
func parseMetadata(key string, absVal, sldVal any) (metadata, error) {
	var md metadata
	abs, ok, err := parseTicks(absVal)
	if err != nil {
		return md, &entryError{key: key, field: fieldAbsolute, reason: err.Error()}
	}
	if ok {
		t, err := ticksToTime(abs)
		if err != nil {
			return md, &entryError{key: key, field: fieldAbsolute, reason: err.Error()}
		}
		md.absolute = t
	}
	sld, ok, err := parseTicks(sldVal)
	if err != nil {
		return md, &entryError{key: key, field: fieldSliding, reason: err.Error()}
	}
	if ok {
		if sld <= 0 {
			// .NET cannot write one (SlidingExpiration must be positive),
			// and would remove the entry on its next read.
			return md, &entryError{key: key, field: fieldSliding, reason: fmt.Sprintf("%d ticks is not a positive sliding expiration", sld)}
		}
		d, err := ticksToDuration(sld)
		if err != nil {
			return md, &entryError{key: key, field: fieldSliding, reason: err.Error()}
		}
		md.sliding = d
	}
	return md, nil
}

// parseTicks reads one metadata field: false for a missing field or -1
// (NotPresent), an error for anything that is not a decimal int64, the
// only thing .NET writes there.
func parseTicks(v any) (int64, bool, error) {
	if v == nil {
		return 0, false, nil
	}
	s, ok := v.(string)
	if !ok {
		return 0, false, fmt.Errorf("a %T, not a string", v)
	}
	if s == notPresent {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%s is not a number of ticks", quoteShort(s))
	}
	return n, true, nil
}

// quoteShort quotes s for an error, cut to a few dozen bytes.
func quoteShort(s string) string {
	const max = 32
	if len(s) > max {
		return strconv.Quote(s[:max]) + fmt.Sprintf(" (%d bytes)", len(s))
	}
	return strconv.Quote(s)
}
