package rtchat

import (
	"context"

	"github.com/rtchat/rtchat/handler"
)

// CanAddUser allows anyone to be added by anyone, as the original does:
// whoever may create a room or add members puts any user in, and so sees
// that user's presence and username. Override it to keep strangers out of
// each other's rooms; a refusal answers 4004 "Not found.", as an unknown
// user does.
func (DefaultPermissions) CanAddUser(ctx context.Context, c PermissionCheck, userID int64) error {
	return def.CanAddUser(ctx, c.handler(), userID)
}

// CanSeePresence lets every user who shares a room with the target see
// whether the target is online and when it was last seen, as the original
// does.
func (DefaultPermissions) CanSeePresence(ctx context.Context, viewerID, targetID int64) error {
	return def.CanSeePresence(ctx, viewerID, targetID)
}

func (a permissions) CanAddUser(ctx context.Context, c handler.Check, userID int64) error {
	return a.p.CanAddUser(ctx, checkFrom(c), userID)
}

func (a permissions) CanSeePresence(ctx context.Context, viewerID, targetID int64) error {
	return a.p.CanSeePresence(ctx, viewerID, targetID)
}
