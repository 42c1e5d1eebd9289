package rediscache

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestDeadlineSurvivesPreemption: goroutines paused by the scheduler
// while they make a command's deadline (stallHook sleeps at that point now
// and then, and yields otherwise), with many goroutines and GOMAXPROCS
// changing underneath, never make another command fail: neither during
// the stress nor afterwards, once every deadline made during it has
// passed. (A shared deadline slot whose retiring timer fired before the
// slot was published used to stay current for good, and every later
// command on context.Background() failed at once.)
func TestDeadlineSurvivesPreemption(t *testing.T) {
	const (
		timeout = time.Second
		// stall is longer than the 10 ms for which the shared deadline
		// slot of earlier versions was handed out.
		stall = 20 * time.Millisecond
	)
	h := &deadlineHook{name: "cache", timeout: timeout}
	var ran, failed atomic.Int64
	var firstErr atomic.Value
	process := h.ProcessHook(func(ctx context.Context, cmd redis.Cmder) error {
		// What go-redis does first with a context whose deadline passed.
		return ctx.Err()
	})
	run := func() {
		ran.Add(1)
		cmd := redis.NewStringCmd(context.Background(), "get", "k")
		if err := process(context.Background(), cmd); err != nil {
			if failed.Add(1) == 1 {
				firstErr.Store(err)
			}
		}
	}

	var calls atomic.Int64
	stallHook = func() {
		if calls.Add(1)%2 == 1 {
			time.Sleep(stall)
			return
		}
		runtime.Gosched()
	}
	t.Cleanup(func() { stallHook = nil })
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // the scheduler's shape changes under the commands
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				runtime.GOMAXPROCS(1 + i%4)
			}
		}
	})
	for range 32 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					run()
				}
			}
		})
	}
	time.Sleep(400 * time.Millisecond)
	close(stop)
	wg.Wait()
	stallHook = nil
	during := failed.Load()

	// Every deadline made during the stress has passed: later commands
	// get deadlines of their own.
	time.Sleep(timeout + 2*stall)
	for range 100 {
		run()
	}
	t.Logf("%d commands, %d deadline slots made, %d of them after a stall", ran.Load(), calls.Load(), (calls.Load()+1)/2)
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d commands failed (%d during the stress, %d of 100 afterwards), the first with: %v",
			n, during, n-during, firstErr.Load())
	}
}
