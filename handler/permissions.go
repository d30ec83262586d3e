package handler

import (
	"context"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
)

// Check is what a permission check looks at: who asks, in which room, for
// what action (the event type, or the room.modify action), and, for message
// checks, which message. Member is nil when the user is not a member.
type Check struct {
	UserID  int64
	Room    *model.Room
	Member  *model.Member
	Action  string
	Message *model.Message
	// Targets are the memberships the action applies to, for
	// room.remove_members and the room.modify role and grant actions: the
	// requested users who are members of the room (the others have nothing
	// to lose). Nil for the other checks.
	Targets []*model.Member
}

// IsCreator reports whether the user created the room.
func (c Check) IsCreator() bool {
	return c.Room != nil && c.Room.CreatorID != nil && *c.Room.CreatorID == c.UserID
}

// IsAdmin reports whether the user administers the room: its creator, or a
// member with the admin or moderator role. Admins are always members.
func (c Check) IsAdmin() bool {
	return c.Member != nil && (c.Member.IsAdmin() || c.IsCreator())
}

// Permissions decides who may do what. Each method returns nil to allow, or
// the error to answer (usually a 4002 *protocol.Error). Embed Default in a
// custom type to override one rule and keep the others: the handlers call
// every method through the interface, so an override takes effect wherever
// its rule applies.
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
type Permissions interface {
	// CanSend: message.send and message.typing.
	CanSend(ctx context.Context, c Check) error
	// CanAccessRoom: room.info and room.messages.
	CanAccessRoom(ctx context.Context, c Check) error
	// CanLeave: room.leave. The handler refuses a 1:1 (4003) and an
	// outsider (4002, nothing to leave) whatever this allows.
	CanLeave(ctx context.Context, c Check) error
	// CanAccessMessage: reading a message: message.read,
	// message.acknowledged and message.react (c.Message is set), and the
	// source of a reply or forward (c.Room is the source's room).
	CanAccessMessage(ctx context.Context, c Check) error
	// CanReplyTo: message.send with extra_fields.parent_message_id, after
	// CanAccessMessage allowed reading the parent. c.Room and c.Member are
	// the room the reply is sent to and the sender's membership of it;
	// c.Message is the parent, which may belong to another room.
	CanReplyTo(ctx context.Context, c Check) error
	// CanModifyMessage: editing or deleting a message.
	CanModifyMessage(ctx context.Context, c Check) error
	// CanAddMembers: room.add_members (approving a join request included).
	CanAddMembers(ctx context.Context, c Check) error
	// CanRemoveMembers: room.remove_members, whom the caller may remove in
	// general; c.Targets are the members to remove, each also checked
	// through CanChangeMember.
	CanRemoveMembers(ctx context.Context, c Check) error
	// CanAdministerRoom: room.modify (c.Action is the modify action; for the
	// role and grant actions c.Targets are the members it applies to, each
	// also checked through CanChangeMember).
	CanAdministerRoom(ctx context.Context, c Check) error
	// CanChangeMember: whether the caller may apply c.Action
	// (room.remove_members, or a room.modify role or grant action) to the
	// member target, after the action's own check allowed it. It protects
	// the creator and the admins.
	CanChangeMember(ctx context.Context, c Check, target *model.Member) error
	// CanJoin: room.join (joining a public channel, or asking to join a
	// group that requires approval).
	CanJoin(ctx context.Context, c Check) error
	// CanReviewJoin: who is told of a new join request (room.join in a
	// group that requires approval), asked for each member of the room:
	// c.UserID and c.Member are that member, c.Action is room.join. Nil
	// tells them. Approving is adding the user, which is CanAddMembers'.
	CanReviewJoin(ctx context.Context, c Check) error
	// CanAddUser: whether the caller may put user userID into c.Room:
	// asked for each user a room.create names (c.Room is the room being
	// created, not yet stored, and c.Member the creator's membership of
	// it) and for each user a room.add_members names who is not a member
	// yet, after CanAddMembers allowed the caller to add members at all.
	// c.Action is the event. Any error refuses, and the handler answers
	// 4004 "Not found.", exactly as for a user the app's lookup does not
	// know, so that the answer does not tell which users exist.
	CanAddUser(ctx context.Context, c Check, userID int64) error
	// CanSeePresence: whether viewerID may learn whether targetID is
	// online and when targetID was last seen. presence.query leaves out
	// the users it refuses (as it leaves out strangers), and the presence
	// pushes skip them. It is only asked about users who share a room, once
	// per viewer and user on every presence push: keep it cheap.
	CanSeePresence(ctx context.Context, viewerID, targetID int64) error
	// CanPin: message.pin and message.unpin (c.Action is the event,
	// c.Message the message), after CanAccessMessage allowed reading it.
	CanPin(ctx context.Context, c Check) error
}

// Default implements the permission table of the original package.
type Default struct{}

var _ Permissions = Default{}

func denied() error { return protocol.Denied("") }

// CanSend allows a 1:1 participant; a group member (only admins when the
// group is locked); a channel admin or a member granted can_send_messages.
func (Default) CanSend(_ context.Context, c Check) error {
	if c.Member == nil {
		return denied()
	}
	switch c.Room.Type {
	case model.TypeGroup:
		if c.Room.GroupLocked && !c.IsAdmin() {
			return denied()
		}
	case model.TypeChannel:
		if !c.IsAdmin() && !c.Member.CanSendMessages {
			return denied()
		}
	}
	return nil
}

// CanAccessRoom allows members.
func (Default) CanAccessRoom(_ context.Context, c Check) error {
	if c.Member == nil {
		return denied()
	}
	return nil
}

// CanLeave allows a member to leave a group or channel: an outsider is
// refused (4002) before the room type is looked at, a 1:1 is 4003
// (protocol.DetailLeaveOnlyGroups; the handler refuses it anyway).
func (Default) CanLeave(_ context.Context, c Check) error {
	if c.Member == nil {
		return denied()
	}
	if c.Room.Type == model.TypeOneToOne {
		return protocol.NewError(protocol.CodeInvalid, protocol.DetailLeaveOnlyGroups)
	}
	return nil
}

// CanAccessMessage allows members of the message's room.
func (Default) CanAccessMessage(_ context.Context, c Check) error {
	if c.Member == nil {
		return denied()
	}
	return nil
}

// DetailReplySameRoom answers a reply to a message of another room, under
// extra_fields.parent_message_id.
const DetailReplySameRoom = "You can only reply to a message of the same room."

// CanReplyTo allows replying to a message of the same room only (4003, a
// field error under extra_fields.parent_message_id): quoting a message of
// another room would show it to members who cannot read that room.
func (Default) CanReplyTo(_ context.Context, c Check) error {
	if c.Message == nil || c.Message.RoomID != c.Room.ID {
		return protocol.Invalid(protocol.FieldErrors{"extra_fields.parent_message_id": {DetailReplySameRoom}})
	}
	return nil
}

// CanModifyMessage allows the sender of the message only.
func (Default) CanModifyMessage(_ context.Context, c Check) error {
	if c.Message == nil || c.Message.SenderID != c.UserID {
		return denied()
	}
	return nil
}

// CanAddMembers allows group admins and members granted
// can_add_new_participants, channel admins and members granted
// can_add_new_subscribers; never in a 1:1 (4003).
func (Default) CanAddMembers(_ context.Context, c Check) error {
	return memberChange(c, func(m *model.Member) bool { return m.CanAddNewParticipants }, func(m *model.Member) bool { return m.CanAddNewSubscribers })
}

// CanRemoveMembers allows group admins and members granted
// can_remove_participants, channel admins and members granted
// can_remove_subscribers; never in a 1:1 (4003). Which members they may
// remove is CanChangeMember's.
func (Default) CanRemoveMembers(_ context.Context, c Check) error {
	return memberChange(c, func(m *model.Member) bool { return m.CanRemoveParticipants }, func(m *model.Member) bool { return m.CanRemoveSubscribers })
}

// CanChangeMember protects the creator and the admins. Anyone may act on
// oneself. room.remove_members: the creator is never removed by someone
// else (4002 DetailCreatorProtected), and only the creator removes an admin
// or moderator (4002 DetailAdminProtected). room.modify remove_admin and
// remove_moderator: nobody else takes the creator's role away (4002
// DetailCreatorProtected). The grant actions and the other role actions
// apply to any member.
func (Default) CanChangeMember(_ context.Context, c Check, t *model.Member) error {
	if t.UserID == c.UserID {
		return nil
	}
	creator := c.Room.CreatorID != nil && t.UserID == *c.Room.CreatorID
	switch c.Action {
	case protocol.EventRoomRemoveMembers:
		if creator {
			return protocol.Denied(DetailCreatorProtected)
		}
		if t.IsAdmin() && !c.IsCreator() {
			return protocol.Denied(DetailAdminProtected)
		}
	case ModifyRemoveAdmin, ModifyRemoveModerator:
		if creator {
			return protocol.Denied(DetailCreatorProtected)
		}
	}
	return nil
}

// Details of the refusals that protect the creator and the admins.
const (
	// DetailCreatorProtected answers an attempt to remove or demote the
	// creator of a room.
	DetailCreatorProtected = "The creator of a room cannot be removed or demoted by others."
	// DetailAdminProtected answers an admin or a granted member who tries
	// to remove another admin or moderator.
	DetailAdminProtected = "Only the creator can remove an admin or moderator."
)

// memberChange is the rule of adding and removing members. A non-member is
// refused before the room type is looked at, so the answer tells an
// outsider nothing about the room.
func memberChange(c Check, groupGrant, channelGrant func(*model.Member) bool) error {
	if c.Member == nil {
		return denied()
	}
	if c.Room.Type == model.TypeOneToOne {
		return protocol.NewError(protocol.CodeInvalid, protocol.DetailOneToOneSize)
	}
	if c.IsAdmin() {
		return nil
	}
	if c.Room.Type == model.TypeGroup && groupGrant(c.Member) || c.Room.Type == model.TypeChannel && channelGrant(c.Member) {
		return nil
	}
	return denied()
}

// CanAdministerRoom allows admins (any participant of a 1:1); deleting a room
// is for its creator only (either participant of a 1:1). Which members the
// role and grant actions may change is CanChangeMember's.
func (Default) CanAdministerRoom(_ context.Context, c Check) error {
	if c.Member == nil {
		return denied()
	}
	if c.Room.Type == model.TypeOneToOne {
		return nil
	}
	if c.Action == ModifyDelete {
		if !c.IsCreator() {
			return protocol.Denied(protocol.DetailNotCreator)
		}
		return nil
	}
	if !c.IsAdmin() {
		return denied()
	}
	return nil
}

// CanJoin allows joining a public channel, and asking to join a group that
// requires approval (the request waits for an admin); a member joining
// again changes nothing and is allowed. Everything else answers 4003 "Ask
// an admin to add you to the group", whatever the room type, so the answer
// tells an outsider nothing more.
func (Default) CanJoin(_ context.Context, c Check) error {
	if c.Member != nil {
		return nil
	}
	switch c.Room.Type {
	case model.TypeChannel:
		if c.Room.IsPublic {
			return nil
		}
	case model.TypeGroup:
		if c.Room.JoinApprovalRequired {
			return nil
		}
	}
	return protocol.NewError(protocol.CodeInvalid, protocol.DetailAskAdmin)
}

// CanReviewJoin tells the room's admins (its creator, admins and
// moderators) of a join request.
func (Default) CanReviewJoin(_ context.Context, c Check) error {
	if !c.IsAdmin() {
		return denied()
	}
	return nil
}
