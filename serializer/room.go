package serializer

import (
	"github.com/rtchat/rtchat/model"
)

// RoomInput is what the Room serializer receives: a room with its members.
type RoomInput struct {
	Room    *model.Room
	Members []*model.Member
}

// UserIDs returns the users a room detail refers to.
func (in RoomInput) UserIDs() []int64 {
	ids := make([]int64, 0, len(in.Members)+1)
	if in.Room.CreatorID != nil {
		ids = append(ids, *in.Room.CreatorID)
	}
	for _, m := range in.Members {
		ids = append(ids, m.UserID)
	}
	return ids
}

// RoomDetail returns the wire shape of a room with its member lists
// (PROTOCOL.md §4, "Room detail").
func RoomDetail(in RoomInput, us Users) map[string]any {
	r := in.Room
	out := roomBase(r, us)
	prefs := r.Property.Preferences
	if prefs == nil {
		prefs = map[string]any{}
	}
	out["property"] = map[string]any{"preferences": prefs}
	members := make([]User, 0, len(in.Members))
	admins := make([]User, 0, 1)
	for _, m := range in.Members {
		u := us.Get(m.UserID)
		members = append(members, u)
		if m.IsAdmin() {
			admins = append(admins, u)
		}
	}
	switch r.Type {
	case model.TypeOneToOne:
		out["participants"] = members
	case model.TypeGroup:
		out["participants"] = members
		out["admins"] = admins
		out["max_participants"] = r.MaxParticipants
		out["join_approval_required"] = r.JoinApprovalRequired
		out["group_locked"] = r.GroupLocked
	case model.TypeChannel:
		out["subscribers"] = members
		out["moderators"] = admins
		out["is_public"] = r.IsPublic
		out["max_subscribers"] = r.MaxSubscribers
	}
	return out
}

// RoomListInput is what the RoomListItem serializer receives.
type RoomListInput = model.RoomListEntry

// RoomListItem returns the wire shape of one room.list entry: the room
// without member lists and property, with peer (1:1) or creator, the last
// message, last_seq, last_read_seq and unread_count.
func RoomListItem(in RoomListInput, us Users) map[string]any {
	r := in.Room
	out := roomBase(r, us)
	if r.Type == model.TypeOneToOne {
		delete(out, "creator")
		out["peer"] = nil
		if in.Peer != 0 {
			out["peer"] = us.Get(in.Peer)
		}
	}
	switch r.Type {
	case model.TypeGroup:
		out["max_participants"] = r.MaxParticipants
		out["join_approval_required"] = r.JoinApprovalRequired
		out["group_locked"] = r.GroupLocked
	case model.TypeChannel:
		out["is_public"] = r.IsPublic
		out["max_subscribers"] = r.MaxSubscribers
	}
	out["last_message"] = nil
	if in.LastMessage != nil {
		out["last_message"] = Message(in.LastMessage, us)
	}
	var lastRead int64
	if in.Member != nil {
		lastRead = in.Member.LastReadSeq
	}
	out["last_read_seq"] = lastRead
	out["unread_count"] = max(r.LastSeq-lastRead, 0)
	return out
}

// roomBase holds the keys every room shape has.
func roomBase(r *model.Room, us Users) map[string]any {
	out := map[string]any{
		"id":         r.ID,
		"type":       r.Type,
		"created_at": r.CreatedAt,
		"updated_at": r.UpdatedAt,
		"last_seq":   r.LastSeq,
	}
	if r.Type != model.TypeOneToOne {
		out["name"] = r.Name
		out["description"] = r.Description
		out["avatar"] = r.Avatar
		out["creator"] = nil
		if r.CreatorID != nil {
			out["creator"] = us.Get(*r.CreatorID)
		}
	}
	return out
}
