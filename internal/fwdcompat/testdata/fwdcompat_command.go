// Added by internal/fwdcompat to a scratch copy of go-redis: a command
// this module's internal/surface was not generated for, standing for the
// next go-redis release's new commands.

package redis

import "context"

// FwdCompatEcho sends ECHO message.
func (c cmdable) FwdCompatEcho(ctx context.Context, message string) *StringCmd {
	cmd := NewStringCmd(ctx, "echo", message)
	_ = c(ctx, cmd)
	return cmd
}
