package distcache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// HybridCache's defaults and limits (HybridCacheOptions.cs,
// DefaultHybridCache.cs, DefaultHybridCache.L2.cs).
const (
	// DefaultMaxHybridPayloadBytes is HybridCacheOptions.MaximumPayloadBytes'
	// default, 1 MiB: a .NET HybridCache refuses to read a larger entry.
	DefaultMaxHybridPayloadBytes = 1 << 20
	// DefaultHybridExpiration is HybridCache's default Expiration.
	DefaultHybridExpiration = 5 * time.Minute
	// maxHybridKeyLength is HybridCacheOptions.MaximumKeyLength's default,
	// in UTF-16 code units.
	maxHybridKeyLength = 1024
	// tagKeyPrefix is the key prefix of tag invalidation entries.
	tagKeyPrefix = "__MSFT_HCT__"
	// wildcardTag invalidates every entry (TagSet.WildcardTag).
	wildcardTag = "*"
	// tagInvalidationLifetime is how long a tag invalidation is kept
	// (MaxCacheDays).
	tagInvalidationLifetime = 1000 * 24 * time.Hour
)

// WithMaxHybridPayloadBytes sets the largest HybridCache entry Hybrid reads
// or writes (DefaultMaxHybridPayloadBytes, .NET's default, unless set):
// keep it at the MaximumPayloadBytes of the .NET services that share the
// entries, or they will not read what Go writes.
func WithMaxHybridPayloadBytes(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxHybrid = n
		}
	}
}

// Hybrid reads and writes the second-level entries of .NET's HybridCache
// (Microsoft.Extensions.Caching.Hybrid) when its IDistributedCache is a
// RedisCache with the same InstanceName: the value a .NET
// GetOrCreateAsync stored, with its tags and expiry. It has no first level
// (in-memory) cache of its own. Get it from RedisCache.Hybrid.
type Hybrid struct{ c *RedisCache }

// Hybrid returns the HybridCache view of the cache.
func (c *RedisCache) Hybrid() *Hybrid { return &Hybrid{c: c} }

// HybridEntry is one HybridCache entry.
type HybridEntry struct {
	// Value is the serialized value: UTF-8 for a string, the bytes of a
	// byte[], System.Text.Json for anything else (unless the .NET service
	// registered another serializer).
	Value []byte
	// Tags are the entry's tags.
	Tags []string
	// Created is when the entry was created.
	Created time.Time
	// Expires is when HybridCache considers it expired.
	Expires time.Time
}

// HybridEntryOptions are what .NET's HybridCacheEntryOptions and tags
// give SetAsync.
type HybridEntryOptions struct {
	// Expiration is how long the entry lives; 0 means
	// DefaultHybridExpiration, as in .NET.
	Expiration time.Duration
	// Tags are the entry's tags, for RemoveByTag.
	Tags []string
}

// Get returns the entry, or ErrNotFound when there is none or HybridCache
// would consider it expired: past its expiry, or created no later than an
// invalidation of one of its tags or of every tag ("*"). An entry that is
// not a HybridCache payload for this key is an error wrapping ErrInvalidEntry.
func (h *Hybrid) Get(ctx context.Context, key string) (HybridEntry, error) {
	data, err := h.c.Get(ctx, key)
	if err != nil {
		return HybridEntry{}, err
	}
	if len(data) > h.c.maxHybridPayload {
		return HybridEntry{}, &entryError{key: key, field: fieldData, reason: fmt.Sprintf("%d bytes, over the %d-byte limit (MaximumPayloadBytes)", len(data), h.c.maxHybridPayload)}
	}
	p, err := parsePayload(data)
	if err != nil {
		return HybridEntry{}, &entryError{key: key, field: fieldData, reason: err.Error()}
	}
	if p.key != key {
		return HybridEntry{}, &entryError{key: key, field: fieldData, reason: fmt.Sprintf("the payload is for the key %s", quoteShort(p.key))}
	}
	created, err := ticksToTime(p.creation)
	if err != nil {
		return HybridEntry{}, &entryError{key: key, field: fieldData, reason: "creation time: " + err.Error()}
	}
	if p.duration > uint64(maxTicks-p.creation) {
		return HybridEntry{}, &entryError{key: key, field: fieldData, reason: fmt.Sprintf("a duration of %d ticks ends after .NET's largest DateTime", p.duration)}
	}
	expires, _ := ticksToTime(p.creation + int64(p.duration))
	now := timeToTicks(h.c.now())
	if p.creation+int64(p.duration) <= now {
		return HybridEntry{}, fmt.Errorf("%w: %q expired at %s", ErrNotFound, key, expires.Format(time.RFC3339Nano))
	}
	invalidated, err := h.invalidatedBy(ctx, p.creation, p.tags)
	if err != nil {
		return HybridEntry{}, fmt.Errorf("distcache: hybrid get %q: %w", key, err)
	}
	if invalidated != "" {
		return HybridEntry{}, fmt.Errorf("%w: %q was invalidated by the tag %q", ErrNotFound, key, invalidated)
	}
	return HybridEntry{Value: p.value, Tags: p.tags, Created: created, Expires: expires}, nil
}

// invalidatedBy returns the first of "*" and tags whose invalidation time
// is at or after creation, or "". An invalidation entry that is not 8
// bytes counts as invalidated now, as .NET's SafeReadTagInvalidationAsync
// reads it.
func (h *Hybrid) invalidatedBy(ctx context.Context, creation int64, tags []string) (string, error) {
	all := append([]string{wildcardTag}, tags...)
	cmds := make([]*redis.SliceCmd, len(all))
	_, err := h.c.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, t := range all {
			cmds[i] = p.HMGet(ctx, h.c.redisKey(tagKeyPrefix+t), fieldData)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("reading tag invalidations: %w", err)
	}
	now := timeToTicks(h.c.now())
	for i, t := range all {
		vals, _ := cmds[i].Result()
		if len(vals) != 1 || vals[0] == nil {
			continue // never invalidated
		}
		at := now
		if s, ok := vals[0].(string); ok && len(s) == 8 {
			at = int64(binary.LittleEndian.Uint64([]byte(s)))
		}
		if creation <= at {
			return t, nil
		}
	}
	return "", nil
}

// Set stores value as a HybridCache entry that a .NET
// HybridCache.GetOrCreateAsync(key, ...) returns without calling its
// factory, until opts.Expiration has passed. The key and tags must be
// ones .NET accepts: not empty or white space, no control characters in
// the key, at most 1024 UTF-16 code units in it, no "*" tag.
func (h *Hybrid) Set(ctx context.Context, key string, value []byte, opts HybridEntryOptions) error {
	if err := validHybridKey(key); err != nil {
		return fmt.Errorf("distcache: hybrid set %q: %w", key, err)
	}
	for _, t := range opts.Tags {
		if err := validTag(t); err != nil {
			return fmt.Errorf("distcache: hybrid set %q: %w", key, err)
		}
	}
	exp := opts.Expiration
	switch {
	case exp < 0:
		return fmt.Errorf("distcache: hybrid set %q: the expiration must be positive, not %v", key, exp)
	case exp == 0:
		exp = DefaultHybridExpiration
	}
	p := payload{
		entropy:  uint16(rand.Uint32()),
		creation: timeToTicks(h.c.now()),
		duration: uint64(durationToTicks(exp)),
		key:      key,
		tags:     opts.Tags,
		value:    value,
	}
	size := payloadSize(p)
	if size > h.c.maxHybridPayload {
		return fmt.Errorf("distcache: hybrid set %q: the entry is %d bytes, over the %d-byte limit (MaximumPayloadBytes)", key, size, h.c.maxHybridPayload)
	}
	data := appendPayload(make([]byte, 0, size), p)
	return h.c.Set(ctx, key, data, EntryOptions{AbsoluteExpirationRelativeToNow: exp})
}

// Remove removes the entry, as .NET's HybridCache.RemoveAsync removes it
// from the second level. .NET services keep it in their first-level
// (in-memory) cache until that expires.
//
// Deprecated: use [RedisCache.Remove], which removes the same entry.
func (h *Hybrid) Remove(ctx context.Context, key string) error { return h.c.Remove(ctx, key) }

// RemoveByTag invalidates every entry with tag created until now, as .NET's
// HybridCache.RemoveByTagAsync records it in the second level; "*"
// invalidates every entry. Empty or white-space tags are ignored, as in
// .NET. See docs/distributed-cache.md for when .NET services notice.
func (h *Hybrid) RemoveByTag(ctx context.Context, tag string) error {
	if strings.TrimSpace(tag) == "" {
		return nil
	}
	if !utf8.ValidString(tag) {
		return fmt.Errorf("distcache: remove by tag: the tag %s is not UTF-8", quoteShort(tag))
	}
	ts := binary.LittleEndian.AppendUint64(nil, uint64(timeToTicks(h.c.now())))
	return h.c.Set(ctx, tagKeyPrefix+tag, ts, EntryOptions{AbsoluteExpirationRelativeToNow: tagInvalidationLifetime})
}

// validHybridKey is .NET's ValidateKey with the default MaximumKeyLength.
func validHybridKey(key string) error {
	switch {
	case strings.TrimSpace(key) == "":
		return errors.New("the key is empty or white space")
	case !utf8.ValidString(key):
		return errors.New("the key is not UTF-8")
	case strings.IndexFunc(key, func(r rune) bool { return r <= 31 }) >= 0:
		return errors.New("the key has a control character")
	}
	if n := utf16Len(key); n > maxHybridKeyLength {
		return fmt.Errorf("the key is %d UTF-16 code units, over .NET's MaximumKeyLength of %d", n, maxHybridKeyLength)
	}
	return nil
}

// validTag is TagSet.Validate.
func validTag(tag string) error {
	switch {
	case strings.TrimSpace(tag) == "":
		return errors.New("tags cannot be empty")
	case tag == wildcardTag:
		return errors.New(`the tag "*" is reserved`)
	case !utf8.ValidString(tag):
		return fmt.Errorf("the tag %s is not UTF-8", quoteShort(tag))
	}
	return nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
