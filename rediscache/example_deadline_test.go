package rediscache_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// A command that cannot complete within syncTimeout, here because every
// connection attempt hangs, fails after syncTimeout with a
// *rediscache.CommandTimeoutError, whatever go-redis's retries would add.
func ExampleCommandTimeoutError() {
	cfg, _ := settings.NewConfig(map[string]any{
		"ConnectionStrings:cache": "redis.invalid:6379,syncTimeout=200,connectTimeout=100,connectRetry=1",
	})
	hang := settings.ConfigureOptions(func(o *redis.UniversalOptions) {
		o.Dialer = func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done() // a TCP connect that hangs until connectTimeout
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
		}
	})
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg, Logger: slog.New(slog.DiscardHandler)}, hang)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inst.Close()

	err = inst.Client.Set(context.Background(), "k", "v", 0).Err()
	var te *rediscache.CommandTimeoutError
	if errors.As(err, &te) {
		fmt.Println(te.Command, "gave up after", te.Limit)
		fmt.Println("deadline exceeded:", errors.Is(err, context.DeadlineExceeded))
	}
	// Output:
	// SET gave up after 200ms
	// deadline exceeded: true
}
