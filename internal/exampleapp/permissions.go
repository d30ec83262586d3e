package exampleapp

import (
	"context"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// Permissions is the example apps' permission rules: rtchat's defaults,
// except that strangers cannot put each other into rooms or watch each
// other's presence.
//
//   - CanAddUser: a 1:1 may be opened with anyone (that is how users meet),
//     but a group or channel takes only users who already share a room with
//     whoever adds them, or who asked to join that room. Anyone else is
//     answered 4004 "Not found.", as an id nobody has: without this rule
//     anyone could add anyone to a group, read their presence and last
//     seen, and learn every username by trying ids.
//   - CanSeePresence: presence is shown to users who share a 1:1 or a
//     group with the user; sharing only channels shows none, because a
//     public channel lets anyone in.
type Permissions struct {
	rtchat.DefaultPermissions
	db *bun.DB
}

var _ rtchat.PermissionHandler = Permissions{}

// NewPermissions returns the example rules over rtchat's tables in db.
func NewPermissions(db *bun.DB) Permissions { return Permissions{db: db} }

// CanAddUser allows anyone into a 1:1, and into a group or channel only a
// user who shares a room with the caller or has asked to join the room.
func (p Permissions) CanAddUser(ctx context.Context, c rtchat.PermissionCheck, userID int64) error {
	if c.Room.Type == model.TypeOneToOne {
		return nil
	}
	shared, err := p.db.NewSelect().Model((*model.Member)(nil)).
		Join("JOIN rtchat_members AS mine ON mine.room_id = m.room_id").
		Where("mine.user_id = ? AND m.user_id = ?", c.UserID, userID).
		Exists(ctx)
	if err != nil || shared {
		return err
	}
	asked, err := p.db.NewSelect().Model((*model.JoinRequest)(nil)).
		Where("jr.room_id = ? AND jr.user_id = ?", c.Room.ID, userID).
		Exists(ctx)
	if err != nil {
		return err
	}
	if !asked {
		return protocol.NotFound()
	}
	return nil
}

// CanSeePresence allows a user to see their own presence and that of the
// users they share a 1:1 or a group with.
func (p Permissions) CanSeePresence(ctx context.Context, viewerID, targetID int64) error {
	if viewerID == targetID {
		return nil
	}
	shared, err := p.db.NewSelect().Model((*model.Member)(nil)).
		Join("JOIN rtchat_members AS mine ON mine.room_id = m.room_id").
		Join("JOIN rtchat_rooms AS r ON r.id = m.room_id").
		Where("mine.user_id = ? AND m.user_id = ? AND r.type <> ?", viewerID, targetID, model.TypeChannel).
		Exists(ctx)
	if err != nil {
		return err
	}
	if !shared {
		return protocol.Denied("")
	}
	return nil
}
