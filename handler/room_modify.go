package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// The actions of room.modify; a permission check's Action is one of them.
const (
	ModifyUpdate           = "update"
	ModifyDelete           = "delete"
	ModifyAddAdmin         = "add_admin"
	ModifyRemoveAdmin      = "remove_admin"
	ModifyAddModerator     = "add_moderator"
	ModifyRemoveModerator  = "remove_moderator"
	ModifyAddPermission    = "add_permission"
	ModifyRemovePermission = "remove_permission"
)

type modifyData struct {
	RoomID string          `json:"room_id" validate:"required,uuid"`
	Action string          `json:"action" validate:"required,oneof=update delete add_admin remove_admin add_moderator remove_moderator add_permission remove_permission"`
	Data   json.RawMessage `json:"data"`
}

// updateData is data of the update action. Every field is optional; those
// given are written.
type updateData struct {
	Name                 *string         `json:"name" validate:"omitempty,max=64"`
	Description          *string         `json:"description" validate:"omitempty,max=1000"`
	Avatar               *string         `json:"avatar" validate:"omitempty,max=2048,avatar"`
	Property             json.RawMessage `json:"property"`
	MaxParticipants      *int            `json:"max_participants" validate:"omitempty,min=2,max=100000"`
	MaxSubscribers       *int            `json:"max_subscribers" validate:"omitempty,min=1,max=100000"`
	IsPublic             *bool           `json:"is_public"`
	JoinApprovalRequired *bool           `json:"join_approval_required"`
	GroupLocked          *bool           `json:"group_locked"`
}

// usersData is data of the role and grant actions. permission is the
// original's spelling: one name or a list.
type usersData struct {
	Users       []int64         `json:"users" validate:"required,min=1,max=1000,dive,gt=0"`
	Permissions []string        `json:"permissions" validate:"max=10"`
	Permission  json.RawMessage `json:"permission"`
}

// RoomModify handles room.modify. update writes the room's settings;
// delete deletes the room with its messages (the creator only, either
// participant of a 1:1) and sends roomdelete.dispatch {room_id} to the room
// before its members leave the fan-out; add_admin / remove_admin (groups),
// add_moderator / remove_moderator (channels) set members' roles and
// add_permission / remove_permission their grants. Every action but delete
// answers roomupdate.dispatch (Room detail) to the room. Only admins modify
// (any participant of a 1:1, where only update and delete apply).
func RoomModify(ctx context.Context, r *Request) error {
	var in modifyData
	if err := r.Decode(&in); err != nil {
		return err
	}
	var (
		upd    updateData
		users  []int64
		grants []string
	)
	switch in.Action {
	case ModifyUpdate:
		if err := decodeModifyData(in.Data, &upd); err != nil {
			return err
		}
	case ModifyDelete:
	default:
		var ud usersData
		if err := decodeModifyData(in.Data, &ud); err != nil {
			return err
		}
		users = uniqueIDs(ud.Users)
		if in.Action == ModifyAddPermission || in.Action == ModifyRemovePermission {
			var err error
			if grants, err = grantNames(ud); err != nil {
				return err
			}
		}
	}
	chk, err := roomCheck(ctx, r, in.RoomID, in.Action)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		if chk.Targets, err = r.Env.Store.Memberships(ctx, chk.Room.ID, users); err != nil {
			return err
		}
	}
	if err := r.perms().CanAdministerRoom(ctx, chk); err != nil {
		return err
	}
	if err := changeMembers(ctx, r, chk); err != nil {
		return err
	}

	switch in.Action {
	case ModifyUpdate:
		return modifyUpdate(ctx, r, chk.Room, upd)
	case ModifyDelete:
		return modifyDelete(ctx, r, chk.Room)
	case ModifyAddPermission, ModifyRemovePermission:
		return modifyGrants(ctx, r, chk.Room, in.Action == ModifyAddPermission, users, grants)
	}
	return modifyRole(ctx, r, chk.Room, in.Action, users)
}

// decodeModifyData decodes and validates room.modify's inner data, whose
// field errors are reported under "data.".
func decodeModifyData(raw json.RawMessage, dst any) error {
	err := serializer.Decode(raw, dst)
	if pe, ok := protocol.AsError(err); ok {
		if fields, ok := pe.Detail.(protocol.FieldErrors); ok {
			out := protocol.FieldErrors{}
			for k, v := range fields {
				if k != "data" {
					k = "data." + k
				}
				out[k] = v
			}
			return protocol.Invalid(out)
		}
	}
	return err
}

// grantNames merges permissions and the original's permission (a name or a
// list) and checks that each is a grant.
func grantNames(ud usersData) ([]string, error) {
	names := slices.Clone(ud.Permissions)
	if raw := strings.TrimSpace(string(ud.Permission)); raw != "" && raw != "null" {
		var one string
		var many []string
		if json.Unmarshal(ud.Permission, &one) == nil {
			names = append(names, one)
		} else if json.Unmarshal(ud.Permission, &many) == nil {
			names = append(names, many...)
		} else {
			return nil, protocol.Invalid(protocol.FieldErrors{"data.permission": {"Expected a permission name or a list of them."}})
		}
	}
	if len(names) == 0 {
		return nil, protocol.Invalid(protocol.FieldErrors{"data.permissions": {"This field is required."}})
	}
	for _, n := range names {
		if !model.IsGrant(n) {
			return nil, protocol.Invalid(protocol.FieldErrors{"data.permissions": {fmt.Sprintf("%q is not a permission.", n)}})
		}
	}
	return uniqueStrings(names), nil
}

// modifyUpdate writes the given settings. A 1:1 has only property; a cap
// may not go below the members the room has (4003, the original's text).
func modifyUpdate(ctx context.Context, r *Request, room *model.Room, upd updateData) error {
	if err := checkUpdateFields(room.Type, upd); err != nil {
		return err
	}
	var prefs map[string]any
	if len(upd.Property) > 0 {
		var err error
		if prefs, err = preferences(upd.Property); err != nil {
			return err
		}
	}
	unlock := r.Env.LockRoom(room.ID)
	defer unlock()
	var members []*model.Member
	err := r.Env.Store.RoomTx(ctx, room.ID, func(ctx context.Context, tx *model.RoomTx) error {
		room = tx.Room
		var cols []string
		set := func(col string, apply func()) {
			apply()
			cols = append(cols, col)
		}
		if upd.Name != nil {
			set("name", func() { room.Name = strings.TrimSpace(*upd.Name) })
		}
		if upd.Description != nil {
			set("description", func() { room.Description = *upd.Description })
		}
		if upd.Avatar != nil {
			set("avatar", func() { room.Avatar = *upd.Avatar })
		}
		if prefs != nil {
			set("property", func() { room.Property = model.RoomProperty{Preferences: prefs} })
		}
		if upd.MaxParticipants != nil {
			set("max_participants", func() { room.MaxParticipants = *upd.MaxParticipants })
		}
		if upd.MaxSubscribers != nil {
			set("max_subscribers", func() { room.MaxSubscribers = *upd.MaxSubscribers })
		}
		if upd.IsPublic != nil {
			set("is_public", func() { room.IsPublic = *upd.IsPublic })
		}
		if upd.JoinApprovalRequired != nil {
			set("join_approval_required", func() { room.JoinApprovalRequired = *upd.JoinApprovalRequired })
		}
		if upd.GroupLocked != nil {
			set("group_locked", func() { room.GroupLocked = *upd.GroupLocked })
		}
		if upd.MaxParticipants != nil || upd.MaxSubscribers != nil {
			if err := checkCap(ctx, tx, 0, r.Env.Settings.roomSize()); err != nil {
				return err
			}
		}
		if err := tx.Update(ctx, model.Now(), cols...); err != nil {
			return err
		}
		var err error
		members, err = tx.Members(ctx)
		return err
	})
	if err != nil {
		return err
	}
	return publishUpdate(ctx, r, room, members)
}

// checkUpdateFields refuses settings that the room type does not have, and
// an update that sets nothing.
func checkUpdateFields(roomType string, upd updateData) error {
	fields := protocol.FieldErrors{}
	notFor := func(field string, given bool) {
		if given {
			fields.Add("data."+field, "A "+roomType+" has no "+field+".")
		}
	}
	if roomType == model.TypeOneToOne {
		notFor("name", upd.Name != nil)
		notFor("description", upd.Description != nil)
		notFor("avatar", upd.Avatar != nil)
	}
	if roomType != model.TypeGroup {
		notFor("max_participants", upd.MaxParticipants != nil)
		notFor("join_approval_required", upd.JoinApprovalRequired != nil)
		notFor("group_locked", upd.GroupLocked != nil)
	}
	if roomType != model.TypeChannel {
		notFor("max_subscribers", upd.MaxSubscribers != nil)
		notFor("is_public", upd.IsPublic != nil)
	}
	if upd.Name != nil && strings.TrimSpace(*upd.Name) == "" {
		fields.Add("data.name", "This field may not be blank.")
	}
	if len(fields) > 0 {
		return protocol.Invalid(fields)
	}
	if upd.Name == nil && upd.Description == nil && upd.Avatar == nil && len(upd.Property) == 0 &&
		upd.MaxParticipants == nil && upd.MaxSubscribers == nil && upd.IsPublic == nil &&
		upd.JoinApprovalRequired == nil && upd.GroupLocked == nil {
		return protocol.Invalid(protocol.FieldErrors{"data": {"Nothing to update."}})
	}
	return nil
}

// modifyDelete deletes the room and everything in it, sends
// roomdelete.dispatch to the room and then takes every former member's
// connections out of its fan-out.
func modifyDelete(ctx context.Context, r *Request, room *model.Room) error {
	unlock := r.Env.LockRoom(room.ID)
	defer unlock()
	var members []*model.Member
	err := r.Env.Store.RoomTx(ctx, room.ID, func(ctx context.Context, tx *model.RoomTx) error {
		var err error
		if members, err = tx.Members(ctx); err != nil {
			return err
		}
		return tx.Delete(ctx)
	})
	if err != nil {
		return err
	}
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = m.UserID
	}
	err = publishDelete(ctx, r, room.ID)
	// The room is gone: its members' connections leave it whatever failed.
	return errors.Join(err, r.Out.Leave(ctx, room.ID, ids...))
}

// modifyRole makes members admins (groups) or moderators (channels), or
// plain members again.
func modifyRole(ctx context.Context, r *Request, room *model.Room, action string, users []int64) error {
	want := model.TypeGroup
	role := model.RoleMember
	switch action {
	case ModifyAddAdmin:
		role = model.RoleAdmin
	case ModifyAddModerator:
		want, role = model.TypeChannel, model.RoleModerator
	case ModifyRemoveModerator:
		want = model.TypeChannel
	}
	if room.Type != want {
		return protocol.Invalid(protocol.FieldErrors{"action": {action + " applies to a " + want + " only."}})
	}
	return modifyMembers(ctx, r, room.ID, users, func(ctx context.Context, tx *model.RoomTx) error {
		return tx.SetRole(ctx, users, role)
	})
}

// modifyGrants gives or takes grants; each must be one of the room type's.
func modifyGrants(ctx context.Context, r *Request, room *model.Room, on bool, users []int64, grants []string) error {
	allowed := model.Grants(room.Type)
	if len(allowed) == 0 {
		return protocol.Invalid(protocol.FieldErrors{"action": {"A " + room.Type + " has no permissions to grant."}})
	}
	for _, g := range grants {
		if !slices.Contains(allowed, g) {
			return protocol.Invalid(protocol.FieldErrors{"data.permissions": {fmt.Sprintf("A %s grants only %s.", room.Type, strings.Join(allowed, ", "))}})
		}
	}
	return modifyMembers(ctx, r, room.ID, users, func(ctx context.Context, tx *model.RoomTx) error {
		return tx.SetGrants(ctx, users, grants, on)
	})
}

// modifyMembers applies change to users, who must all be members (4003),
// and sends the room detail to the room.
func modifyMembers(ctx context.Context, r *Request, roomID string, users []int64, change func(context.Context, *model.RoomTx) error) error {
	unlock := r.Env.LockRoom(roomID)
	defer unlock()
	var (
		room    *model.Room
		members []*model.Member
	)
	err := r.Env.Store.RoomTx(ctx, roomID, func(ctx context.Context, tx *model.RoomTx) error {
		room = tx.Room
		present, err := tx.Memberships(ctx, users)
		if err != nil {
			return err
		}
		if len(present) != len(users) {
			return protocol.Invalid(protocol.FieldErrors{"data.users": {"Every user must be a member of the room."}})
		}
		if err := change(ctx, tx); err != nil {
			return err
		}
		if err := tx.Update(ctx, model.Now()); err != nil {
			return err
		}
		members, err = tx.Members(ctx)
		return err
	})
	if err != nil {
		return err
	}
	return publishUpdate(ctx, r, room, members)
}

// publishUpdate sends roomupdate.dispatch (Room detail) to the room.
func publishUpdate(ctx context.Context, r *Request, room *model.Room, members []*model.Member) error {
	in := serializer.RoomInput{Room: room, Members: members}
	detail, err := r.Env.Serialize(ctx, serializer.NameRoomUpdate, in, in.UserIDs())
	if err != nil {
		return err
	}
	return r.Out.Room(ctx, room.ID, protocol.DispatchRoomUpdate, detail)
}

func uniqueStrings(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
