package rtchat

import (
	"context"

	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
)

// PermissionCheck is what each PermissionHandler method receives: who
// asks, in which room, for what action (the event type, or the room.modify
// action), and, for message checks, which message.
type PermissionCheck struct {
	// UserID is the user asking.
	UserID int64
	// Room is the room the action is in.
	Room *model.Room
	// Member is the user's membership of Room, nil when the user is not a
	// member.
	Member *model.Member
	// Action is the event type, or the room.modify action
	// (handler.ModifyDelete, ...).
	Action string
	// Message is the message the check is about, for the message checks
	// (CanAccessMessage, CanReplyTo, CanModifyMessage); nil otherwise.
	Message *model.Message
	// Targets are the memberships the action applies to, for
	// room.remove_members and the room.modify role and grant actions: the
	// requested users who are members of the room (the others have nothing
	// to lose). Nil for the other checks.
	Targets []*model.Member
}

// IsCreator reports whether the user created the room.
func (c PermissionCheck) IsCreator() bool { return c.handler().IsCreator() }

// IsAdmin reports whether the user administers the room: its creator, or a
// member with the admin or moderator role. Admins are always members.
func (c PermissionCheck) IsAdmin() bool { return c.handler().IsAdmin() }

func (c PermissionCheck) handler() handler.Check {
	return handler.Check{UserID: c.UserID, Room: c.Room, Member: c.Member, Action: c.Action, Message: c.Message, Targets: c.Targets}
}

func checkFrom(c handler.Check) PermissionCheck {
	return PermissionCheck{UserID: c.UserID, Room: c.Room, Member: c.Member, Action: c.Action, Message: c.Message, Targets: c.Targets}
}

// PermissionHandler decides who may do what (PERMISSION_HANDLER_CLASS),
// one method per rule; see WithPermissionHandler. Each method returns nil
// to allow, or the error to answer (usually a 4002 *Error). Embed
// DefaultPermissions in a custom type to override one rule and keep the
// others: the handlers call every method through the interface, so an
// override takes effect wherever its rule applies.
//
// Which event calls which method:
//   - message.send: CanSend; with a reply, CanAccessMessage on the parent
//     then CanReplyTo; with a forward, CanAccessMessage on the source.
//   - message.typing: CanSend.
//   - room.info, room.messages: CanAccessRoom.
//   - room.leave: CanLeave.
//   - message.read, message.acknowledged, message.react: CanAccessMessage.
//   - message.modify: CanAccessMessage, then CanModifyMessage per message.
//   - room.join: CanJoin; a join request is told to the members
//     CanReviewJoin allows.
//   - room.add_members: CanAddMembers, then CanAddUser for each named user
//     who is not a member.
//   - room.create: CanAddUser for each user it names.
//   - presence.query and presence pushes: CanSeePresence per pair.
//   - room.remove_members: CanRemoveMembers, then CanChangeMember per
//     target (again, inside the removal, for members who joined after the
//     check).
//   - room.modify: CanAdministerRoom, then CanChangeMember per target of
//     the role and grant actions.
//   - message.pin, message.unpin: CanAccessMessage, then CanPin.
//
// Structural invariants are not permissions and stay in the handlers,
// whatever a custom rule allows: a 1:1 keeps exactly its two participants
// (nobody joins, leaves, is added to or removed from one: 4003), the
// messages of one message.modify belong to one room (4003), a message is a
// reply or a forward, not both, and a room's member cap holds.
type PermissionHandler interface {
	// CanSend: message.send and message.typing.
	CanSend(ctx context.Context, c PermissionCheck) error
	// CanAccessRoom: room.info and room.messages.
	CanAccessRoom(ctx context.Context, c PermissionCheck) error
	// CanLeave: room.leave. The handler refuses a 1:1 (4003) and an
	// outsider (4002, nothing to leave) whatever this allows.
	CanLeave(ctx context.Context, c PermissionCheck) error
	// CanAccessMessage: reading a message: message.read,
	// message.acknowledged and message.react (c.Message is set), and the
	// source of a reply or forward (c.Room is the source's room).
	CanAccessMessage(ctx context.Context, c PermissionCheck) error
	// CanReplyTo: message.send with extra_fields.parent_message_id, after
	// CanAccessMessage allowed reading the parent. c.Room and c.Member are
	// the room the reply is sent to and the sender's membership of it;
	// c.Message is the parent, which may belong to another room.
	CanReplyTo(ctx context.Context, c PermissionCheck) error
	// CanModifyMessage: editing or deleting a message.
	CanModifyMessage(ctx context.Context, c PermissionCheck) error
	// CanAddMembers: room.add_members (approving a join request included).
	CanAddMembers(ctx context.Context, c PermissionCheck) error
	// CanRemoveMembers: room.remove_members, whom the caller may remove in
	// general; c.Targets are the members to remove, each also checked
	// through CanChangeMember.
	CanRemoveMembers(ctx context.Context, c PermissionCheck) error
	// CanAdministerRoom: room.modify (c.Action is the modify action; for the
	// role and grant actions c.Targets are the members it applies to, each
	// also checked through CanChangeMember).
	CanAdministerRoom(ctx context.Context, c PermissionCheck) error
	// CanChangeMember: whether the caller may apply c.Action
	// (room.remove_members, or a room.modify role or grant action) to the
	// member target, after the action's own check allowed it. It protects
	// the creator and the admins.
	CanChangeMember(ctx context.Context, c PermissionCheck, target *model.Member) error
	// CanJoin: room.join (joining a public channel, or asking to join a
	// group that requires approval).
	CanJoin(ctx context.Context, c PermissionCheck) error
	// CanReviewJoin: who is told of a new join request (room.join in a
	// group that requires approval), asked for each member of the room:
	// c.UserID and c.Member are that member, c.Action is room.join. Nil
	// tells them. Approving is adding the user, which is CanAddMembers'.
	CanReviewJoin(ctx context.Context, c PermissionCheck) error
	// CanAddUser: whether the caller may put user userID into c.Room:
	// asked for each user a room.create names (c.Room is the room being
	// created, not yet stored, and c.Member the creator's membership of
	// it) and for each user a room.add_members names who is not a member
	// yet, after CanAddMembers allowed the caller to add members at all.
	// c.Action is the event. Any error refuses, and the handler answers
	// 4004 "Not found.", exactly as for a user the app's lookup does not
	// know, so that the answer does not tell which users exist.
	CanAddUser(ctx context.Context, c PermissionCheck, userID int64) error
	// CanSeePresence: whether viewerID may learn whether targetID is
	// online and when targetID was last seen. presence.query leaves out
	// the users it refuses (as it leaves out strangers), and the presence
	// pushes skip them. It is only asked about users who share a room, once
	// per viewer and user on every presence push: keep it cheap.
	CanSeePresence(ctx context.Context, viewerID, targetID int64) error
	// CanPin: message.pin and message.unpin (c.Action is the event,
	// c.Message the message), after CanAccessMessage allowed reading it.
	CanPin(ctx context.Context, c PermissionCheck) error
}

// DefaultPermissions is the permission table of the original package, the
// default of WithPermissionHandler. Each method documents its rule (they
// are handler.Default's). Embed it to override one rule.
type DefaultPermissions struct{}

var _ PermissionHandler = DefaultPermissions{}

var def handler.Default

// CanSend allows a 1:1 participant; a group member (only admins when the
// group is locked); a channel admin or a member granted can_send_messages.
func (DefaultPermissions) CanSend(ctx context.Context, c PermissionCheck) error {
	return def.CanSend(ctx, c.handler())
}

// CanAccessRoom allows members.
func (DefaultPermissions) CanAccessRoom(ctx context.Context, c PermissionCheck) error {
	return def.CanAccessRoom(ctx, c.handler())
}

// CanLeave allows a member to leave a group or channel: an outsider is
// refused (4002), a 1:1 is 4003.
func (DefaultPermissions) CanLeave(ctx context.Context, c PermissionCheck) error {
	return def.CanLeave(ctx, c.handler())
}

// CanAccessMessage allows members of the message's room.
func (DefaultPermissions) CanAccessMessage(ctx context.Context, c PermissionCheck) error {
	return def.CanAccessMessage(ctx, c.handler())
}

// CanReplyTo allows replying to a message of the same room only (4003, a
// field error under extra_fields.parent_message_id).
func (DefaultPermissions) CanReplyTo(ctx context.Context, c PermissionCheck) error {
	return def.CanReplyTo(ctx, c.handler())
}

// CanModifyMessage allows the sender of the message only.
func (DefaultPermissions) CanModifyMessage(ctx context.Context, c PermissionCheck) error {
	return def.CanModifyMessage(ctx, c.handler())
}

// CanAddMembers allows group admins and members granted
// can_add_new_participants, channel admins and members granted
// can_add_new_subscribers; never in a 1:1 (4003).
func (DefaultPermissions) CanAddMembers(ctx context.Context, c PermissionCheck) error {
	return def.CanAddMembers(ctx, c.handler())
}

// CanRemoveMembers allows group admins and members granted
// can_remove_participants, channel admins and members granted
// can_remove_subscribers; never in a 1:1 (4003).
func (DefaultPermissions) CanRemoveMembers(ctx context.Context, c PermissionCheck) error {
	return def.CanRemoveMembers(ctx, c.handler())
}

// CanAdministerRoom allows admins (any participant of a 1:1); deleting a
// room is for its creator only.
func (DefaultPermissions) CanAdministerRoom(ctx context.Context, c PermissionCheck) error {
	return def.CanAdministerRoom(ctx, c.handler())
}

// CanChangeMember protects the creator (never removed or demoted by
// others) and the admins (removed by the creator only); anyone may act on
// oneself.
func (DefaultPermissions) CanChangeMember(ctx context.Context, c PermissionCheck, target *model.Member) error {
	return def.CanChangeMember(ctx, c.handler(), target)
}

// CanJoin allows joining a public channel, and asking to join a group that
// requires approval; everything else is 4003.
func (DefaultPermissions) CanJoin(ctx context.Context, c PermissionCheck) error {
	return def.CanJoin(ctx, c.handler())
}

// CanReviewJoin tells the room's admins of a join request.
func (DefaultPermissions) CanReviewJoin(ctx context.Context, c PermissionCheck) error {
	return def.CanReviewJoin(ctx, c.handler())
}

// permissions adapts the app's PermissionHandler to the handlers'.
type permissions struct{ p PermissionHandler }

var _ handler.Permissions = permissions{}

// handlerPermissions returns what the handlers call: handler.Default itself
// for the default table, so the default costs no conversion.
func handlerPermissions(p PermissionHandler) handler.Permissions {
	if _, ok := p.(DefaultPermissions); ok {
		return def
	}
	return permissions{p}
}

func (a permissions) CanSend(ctx context.Context, c handler.Check) error {
	return a.p.CanSend(ctx, checkFrom(c))
}

func (a permissions) CanAccessRoom(ctx context.Context, c handler.Check) error {
	return a.p.CanAccessRoom(ctx, checkFrom(c))
}

func (a permissions) CanLeave(ctx context.Context, c handler.Check) error {
	return a.p.CanLeave(ctx, checkFrom(c))
}

func (a permissions) CanAccessMessage(ctx context.Context, c handler.Check) error {
	return a.p.CanAccessMessage(ctx, checkFrom(c))
}

func (a permissions) CanReplyTo(ctx context.Context, c handler.Check) error {
	return a.p.CanReplyTo(ctx, checkFrom(c))
}

func (a permissions) CanModifyMessage(ctx context.Context, c handler.Check) error {
	return a.p.CanModifyMessage(ctx, checkFrom(c))
}

func (a permissions) CanAddMembers(ctx context.Context, c handler.Check) error {
	return a.p.CanAddMembers(ctx, checkFrom(c))
}

func (a permissions) CanRemoveMembers(ctx context.Context, c handler.Check) error {
	return a.p.CanRemoveMembers(ctx, checkFrom(c))
}

func (a permissions) CanAdministerRoom(ctx context.Context, c handler.Check) error {
	return a.p.CanAdministerRoom(ctx, checkFrom(c))
}

func (a permissions) CanChangeMember(ctx context.Context, c handler.Check, target *model.Member) error {
	return a.p.CanChangeMember(ctx, checkFrom(c), target)
}

func (a permissions) CanJoin(ctx context.Context, c handler.Check) error {
	return a.p.CanJoin(ctx, checkFrom(c))
}

func (a permissions) CanReviewJoin(ctx context.Context, c handler.Check) error {
	return a.p.CanReviewJoin(ctx, checkFrom(c))
}
