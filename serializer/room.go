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

// RoomDetail returns the default wire shape of a room with its member
// lists (docs/protocol.md §4, "Room detail").
func RoomDetail(in RoomInput, us Users) map[string]any {
	out, _ := buildRoomDetail(in, defaultParts{us})
	return out
}

func buildRoomDetail(in RoomInput, p parts) (map[string]any, error) {
	r := in.Room
	out, err := roomBase(r, p)
	if err != nil {
		return nil, err
	}
	prefs := r.Property.Preferences
	if prefs == nil {
		prefs = map[string]any{}
	}
	out["property"] = map[string]any{"preferences": prefs}
	members := make([]any, 0, len(in.Members))
	admins := make([]any, 0, 1)
	for _, m := range in.Members {
		u, err := p.user(m.UserID)
		if err != nil {
			return nil, err
		}
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
	return out, nil
}

// RoomListInput is what the RoomListItem serializer receives.
type RoomListInput = model.RoomListEntry

// RoomListItem returns the default wire shape of one room.list entry: the
// room without member lists and property, with peer (1:1) or creator, the
// last message, last_seq, last_read_seq and unread_count.
func RoomListItem(in RoomListInput, us Users) map[string]any {
	out, _ := buildRoomListItem(in, defaultParts{us})
	return out
}

func buildRoomListItem(in RoomListInput, p parts) (map[string]any, error) {
	r := in.Room
	out, err := roomBase(r, p)
	if err != nil {
		return nil, err
	}
	if r.Type == model.TypeOneToOne {
		delete(out, "creator")
		out["peer"] = nil
		if in.Peer != 0 {
			if out["peer"], err = p.user(in.Peer); err != nil {
				return nil, err
			}
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
		if out["last_message"], err = p.message(in.LastMessage); err != nil {
			return nil, err
		}
	}
	var lastRead int64
	if in.Member != nil {
		lastRead = in.Member.LastReadSeq
	}
	out["last_read_seq"] = lastRead
	out["unread_count"] = max(r.LastSeq-lastRead, 0)
	return out, nil
}

// roomBase holds the keys every room shape has.
func roomBase(r *model.Room, p parts) (map[string]any, error) {
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
			c, err := p.user(*r.CreatorID)
			if err != nil {
				return nil, err
			}
			out["creator"] = c
		}
	}
	return out, nil
}
