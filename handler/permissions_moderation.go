package handler

import (
	"context"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
)

// Details of the moderation rules' refusals.
const (
	// DetailNoModerationOneToOne answers moderation in a 1:1 chat (4003).
	DetailNoModerationOneToOne = "There is no moderation in a 1:1 chat."
	// DetailCreatorNotModerated answers an attempt to mute or ban the
	// creator of a room.
	DetailCreatorNotModerated = "The creator of a room cannot be moderated."
	// DetailAdminModeratedByCreator answers an admin who tries to mute or
	// ban another admin or moderator.
	DetailAdminModeratedByCreator = "Only the creator can moderate an admin or moderator."
)

// CanModerate allows the admins of a group or channel (its creator, admins
// and moderators) to mute, unmute, ban and unban; nobody moderates the
// creator, and only the creator moderates an admin or moderator. A
// non-member is refused (4002) before the room type is looked at; in a 1:1
// nobody moderates (4003).
func (Default) CanModerate(_ context.Context, c Check, userID int64, target *model.Member) error {
	if c.Member == nil {
		return denied()
	}
	if c.Room.Type == model.TypeOneToOne {
		return protocol.NewError(protocol.CodeInvalid, DetailNoModerationOneToOne)
	}
	if !c.IsAdmin() {
		return denied()
	}
	if c.Room.CreatorID != nil && *c.Room.CreatorID == userID {
		return protocol.Denied(DetailCreatorNotModerated)
	}
	if target != nil && target.IsAdmin() && !c.IsCreator() {
		return protocol.Denied(DetailAdminModeratedByCreator)
	}
	return nil
}

// CanDeleteOthers allows the admins of a group or channel (its creator,
// admins and moderators) to delete messages others sent there, except the
// creator's, which only the creator deletes (as nobody else removes the
// creator); never in a 1:1.
func (Default) CanDeleteOthers(_ context.Context, c Check) error {
	if c.Member == nil || c.Room.Type == model.TypeOneToOne || !c.IsAdmin() {
		return denied()
	}
	if c.Message != nil && c.Room.CreatorID != nil && c.Message.SenderID == *c.Room.CreatorID && !c.IsCreator() {
		return denied()
	}
	return nil
}

// CanReadAudit allows the admins of a group or channel (its creator,
// admins and moderators); a 1:1 has no moderation and no audit trail
// (4003).
func (Default) CanReadAudit(_ context.Context, c Check) error {
	if c.Member == nil {
		return denied()
	}
	if c.Room.Type == model.TypeOneToOne {
		return protocol.NewError(protocol.CodeInvalid, DetailNoModerationOneToOne)
	}
	if !c.IsAdmin() {
		return denied()
	}
	return nil
}

// The system moderates anyone but in a 1:1, and reads any audit trail.
func (p systemPerms) CanModerate(_ context.Context, c Check, _ int64, _ *model.Member) error {
	if c.Room.Type == model.TypeOneToOne {
		return protocol.NewError(protocol.CodeInvalid, DetailNoModerationOneToOne)
	}
	return nil
}

func (systemPerms) CanDeleteOthers(context.Context, Check) error { return nil }

func (systemPerms) CanReadAudit(context.Context, Check) error { return nil }
