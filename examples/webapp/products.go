package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/settings"
)

// Product is what GET /products/{id} returns.
type Product struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

// store stands for a slow system of record, such as a database.
type store struct {
	delay    time.Duration
	products map[string]Product
}

// errNotFound is returned by store.load for an unknown product.
var errNotFound = errors.New("not found")

// load returns the product id after the store's delay.
func (s *store) load(ctx context.Context, id string) (Product, error) {
	t := time.NewTimer(s.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return Product{}, ctx.Err()
	}
	p, ok := s.products[id]
	if !ok {
		return Product{}, errNotFound
	}
	return p, nil
}

// products serves GET /products/{id} with the cache-aside pattern on the
// "cache" client.
type products struct {
	cache  redis.UniversalClient
	store  *store
	ttl    time.Duration
	logger *slog.Logger
}

// Configuration keys of the products feature, with their defaults.
const (
	cacheTTLKey  = "Products:CacheTTL"
	loadDelayKey = "Products:LoadDelay"

	defaultCacheTTL  = time.Minute
	defaultLoadDelay = 300 * time.Millisecond
)

func newProducts(cache redis.UniversalClient, cfg *settings.Config, logger *slog.Logger) (*products, error) {
	ttl, err := duration(cfg, cacheTTLKey, defaultCacheTTL)
	if err != nil {
		return nil, err
	}
	delay, err := duration(cfg, loadDelayKey, defaultLoadDelay)
	if err != nil {
		return nil, err
	}
	return &products{
		cache: cache,
		store: &store{delay: delay, products: map[string]Product{
			"1": {ID: "1", Name: "Espresso cup", Price: 6.5},
			"2": {ID: "2", Name: "Moka pot", Price: 39},
			"3": {ID: "3", Name: "Burr grinder", Price: 129},
		}},
		ttl:    ttl,
		logger: logger,
	}, nil
}

// duration reads a Go duration ("30s", "1m") at key, def when absent.
func duration(cfg *settings.Config, key string, def time.Duration) (time.Duration, error) {
	v, ok := cfg.String(key)
	if !ok || v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("configuration key %s (%s): %q is not a duration such as 30s or 1m", key, cfg.Source(key), v)
	}
	return d, nil
}

func productKey(id string) string { return "product:" + id }

// get is GET /products/{id}. The X-Cache header tells where the answer came
// from: HIT (Redis), MISS (the store, now cached) or BYPASS (the store,
// because Redis failed: the service degrades instead of failing).
func (p *products) get(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	key := productKey(id)

	cached, err := p.cache.Get(ctx, key).Bytes()
	switch {
	case err == nil:
		w.Header().Set("X-Cache", "HIT")
		writeJSONBytes(w, http.StatusOK, cached)
		return
	case errors.Is(err, redis.Nil):
		w.Header().Set("X-Cache", "MISS")
	default:
		p.logger.WarnContext(ctx, "cache read failed; reading the store", slog.String("key", key), slog.String("error", err.Error()))
		w.Header().Set("X-Cache", "BYPASS")
	}

	product, err := p.store.load(ctx, id)
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "no product "+id)
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, "the product store did not answer")
		return
	}
	body, err := json.Marshal(product)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode the product")
		return
	}
	if err := p.cache.Set(ctx, key, body, p.ttl).Err(); err != nil {
		p.logger.WarnContext(ctx, "cache write failed", slog.String("key", key), slog.String("error", err.Error()))
	} else {
		// Logged with the request's context: exported over OTLP, the record
		// carries the request's trace and span ids.
		p.logger.InfoContext(ctx, "product cached", slog.String("key", key), slog.Duration("ttl", p.ttl))
	}
	writeJSONBytes(w, http.StatusOK, body)
}

func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_, _ = w.Write([]byte("\n"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode the response")
		return
	}
	writeJSONBytes(w, status, body)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(map[string]string{"error": msg})
	writeJSONBytes(w, status, body)
}
