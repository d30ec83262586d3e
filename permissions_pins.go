package rtchat

import (
	"context"

	"github.com/rtchat/rtchat/handler"
)

// CanPin allows either participant of a 1:1 and the admins of a group or
// channel (its creator, admins and moderators) to pin and unpin messages
// (message.pin, message.unpin); a plain member of a group or channel, and
// a non-member, are refused with 4002.
func (DefaultPermissions) CanPin(ctx context.Context, c PermissionCheck) error {
	return def.CanPin(ctx, c.handler())
}

func (a permissions) CanPin(ctx context.Context, c handler.Check) error {
	return a.p.CanPin(ctx, checkFrom(c))
}
