package handler

import (
	"context"

	"github.com/rtchat/rtchat/model"
)

// perms returns the permission rules that apply to r: the app's, or for the
// system (r.System) rules that allow whatever the app's would refuse an
// outsider or a member who is not an admin. Handlers call the rules of an
// actor through it.
func (r *Request) perms() Permissions {
	if r.System {
		return systemPerms{base: r.Env.Perms}
	}
	return r.Env.Perms
}

// systemPerms are the rules for the system: the server acts with the app's
// authority, so it sends to any room, adds and removes any member (the
// creator and the admins included) and reads any message. Only CanReplyTo
// stays the app's: it is about what a reply may quote (by default a message
// of the same room), not about who sends it.
type systemPerms struct{ base Permissions }

var _ Permissions = systemPerms{}

func (systemPerms) CanSend(context.Context, Check) error           { return nil }
func (systemPerms) CanAccessRoom(context.Context, Check) error     { return nil }
func (systemPerms) CanLeave(context.Context, Check) error          { return nil }
func (systemPerms) CanAccessMessage(context.Context, Check) error  { return nil }
func (systemPerms) CanModifyMessage(context.Context, Check) error  { return nil }
func (systemPerms) CanAddMembers(context.Context, Check) error     { return nil }
func (systemPerms) CanRemoveMembers(context.Context, Check) error  { return nil }
func (systemPerms) CanAdministerRoom(context.Context, Check) error { return nil }
func (systemPerms) CanJoin(context.Context, Check) error           { return nil }
func (systemPerms) CanReviewJoin(context.Context, Check) error     { return nil }

func (systemPerms) CanChangeMember(context.Context, Check, *model.Member) error { return nil }

func (p systemPerms) CanReplyTo(ctx context.Context, c Check) error { return p.base.CanReplyTo(ctx, c) }
