package testserver

import (
	"context"
	"testing"
	"time"
)

// TestFake: the fake answers the handshake, enforces the password and
// rejects what it is told to, a subcommand entry winning over its command.
func TestFake(t *testing.T) {
	f := StartFake(t, FakeOptions{Password: "pw", Reject: map[string]string{
		"client tracking": GarnetUnknownSubcommand("TRACKING"),
		"FLUSHALL":        GarnetUnknownCommand,
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := dialRESP(ctx, f.Addr, nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, tc := range []struct {
		args []any
		want any // string reply, or ReplyError
	}{
		{[]any{"GET", "k"}, ReplyError("NOAUTH Authentication required.")},
		{[]any{"AUTH", "wrong"}, ReplyError("WRONGPASS invalid username-password pair or user is disabled.")},
		{[]any{"AUTH", "default", "pw"}, "OK"},
		{[]any{"CLIENT", "SETINFO", "lib-name", "x"}, "OK"},
		{[]any{"CLIENT", "TRACKING", "on"}, ReplyError("ERR unknown subcommand 'TRACKING'.")},
		{[]any{"flushall"}, ReplyError("ERR unknown command")},
		{[]any{"XADD", "s", "*", "a", "b"}, ReplyError("ERR unknown command")},
		{[]any{"SET", "k", "v"}, "OK"},
		{[]any{"GET", "k"}, "v"},
		{[]any{"PING"}, "PONG"},
	} {
		got, err := c.do(ctx, tc.args...)
		if re, ok := tc.want.(ReplyError); ok {
			if err == nil || err.Error() != string(re) {
				t.Errorf("%v: %v, %v; want error %q", tc.args, got, err, re)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %v, %v; want %v", tc.args, got, err, tc.want)
		}
	}
	if f.Count("CLIENT TRACKING") != 1 || f.Count("AUTH") != 2 {
		t.Errorf("seen %v", f.Seen())
	}
}
