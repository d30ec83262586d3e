package handler

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// Default caps of the original package.
const (
	DefaultMaxParticipants = 100
	DefaultMaxSubscribers  = 300
	// capCeiling bounds what a creator may ask for, so a room cannot be made
	// unbounded by a client.
	capCeiling = 100_000
)

type createExtra struct {
	MaxParticipants      *int            `json:"max_participants" validate:"omitempty,min=2,max=100000"`
	MaxSubscribers       *int            `json:"max_subscribers" validate:"omitempty,min=1,max=100000"`
	IsPublic             *bool           `json:"is_public"`
	JoinApprovalRequired *bool           `json:"join_approval_required"`
	GroupLocked          *bool           `json:"group_locked"`
	Avatar               string          `json:"avatar" validate:"max=2048,avatar"`
	Property             json.RawMessage `json:"property"`
}

type createData struct {
	Type         string      `json:"type" validate:"required,oneof=OneToOneChat GroupChat Channel"`
	Name         string      `json:"name" validate:"max=64"`
	Description  string      `json:"description" validate:"max=1000"`
	Participants []int64     `json:"participants" validate:"max=100000,dive,gt=0"`
	Subscribers  []int64     `json:"subscribers" validate:"max=100000,dive,gt=0"`
	ExtraFields  createExtra `json:"extra_fields"`
}

// RoomCreate handles room.create for the three room types: the creator
// becomes a member (and admin of a group, moderator of a channel), caps are
// enforced, a second 1:1 for the same pair is 4005, and roomcreate.dispatch
// goes to every member.
func RoomCreate(ctx context.Context, r *Request) error {
	var in createData
	if err := r.Decode(&in); err != nil {
		return err
	}
	if err := tooManyNamed(r.Env.Settings, map[string][]int64{"participants": in.Participants, "subscribers": in.Subscribers}); err != nil {
		return err
	}
	prefs, err := preferences(in.ExtraFields.Property)
	if err != nil {
		return err
	}
	now := model.Now()
	creator := r.UserID
	room := &model.Room{
		ID: uuid.NewString(), Type: in.Type, Name: in.Name, Description: in.Description,
		Avatar: in.ExtraFields.Avatar, Property: model.RoomProperty{Preferences: prefs},
		CreatedAt: now, UpdatedAt: now, LastActivityAt: now,
	}
	others := in.Participants
	if in.Type == model.TypeChannel && len(in.Subscribers) > 0 {
		others = in.Subscribers
	}
	others = withoutUser(others, creator)

	members := []*model.Member{}
	switch in.Type {
	case model.TypeOneToOne:
		if len(others) != 1 {
			return protocol.NewError(protocol.CodeInvalid, protocol.DetailOneToOneSize)
		}
		key := model.PairKey(creator, others[0])
		room.PairKey = &key
		room.Name, room.Description, room.Avatar = "", "", ""
		members = append(members, model.NewMember(room.ID, creator, model.RoleMember, now))
	case model.TypeGroup, model.TypeChannel:
		if in.Name == "" {
			return protocol.Invalid(protocol.FieldErrors{"name": {"This field is required."}})
		}
		room.CreatorID = &creator
		role := model.RoleAdmin
		room.MaxParticipants = orDefault(in.ExtraFields.MaxParticipants, DefaultMaxParticipants)
		room.JoinApprovalRequired = deref(in.ExtraFields.JoinApprovalRequired)
		room.GroupLocked = deref(in.ExtraFields.GroupLocked)
		limit, full := room.MaxParticipants, protocol.DetailGroupFull
		if in.Type == model.TypeChannel {
			role = model.RoleModerator
			room.MaxParticipants = 0
			room.JoinApprovalRequired, room.GroupLocked = false, false
			room.MaxSubscribers = orDefault(in.ExtraFields.MaxSubscribers, DefaultMaxSubscribers)
			room.IsPublic = deref(in.ExtraFields.IsPublic)
			limit, full = room.MaxSubscribers, protocol.DetailChannelFull
		}
		if 1+len(others) > min(limit, r.Env.Settings.roomSize()) {
			return protocol.NewError(protocol.CodeInvalid, full)
		}
		members = append(members, model.NewMember(room.ID, creator, role, now))
	}
	if err := knownUsers(ctx, r, others); err != nil {
		return err
	}
	chk := Check{UserID: creator, Room: room, Member: members[0], Action: protocol.EventRoomCreate}
	if err := addableUsers(ctx, r, chk, others); err != nil {
		return err
	}
	for _, u := range others {
		members = append(members, model.NewMember(room.ID, u, model.RoleMember, now))
	}
	if err := r.Env.Store.CreateRoom(ctx, room, members); err != nil {
		if errors.Is(err, model.ErrConflict) && room.Type == model.TypeOneToOne {
			return protocol.NewError(protocol.CodeConflict, protocol.DetailChatExists)
		}
		return err
	}
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = m.UserID
	}
	if err := r.Out.Join(ctx, room.ID, room.LastSeq, ids...); err != nil {
		return err
	}
	in2 := serializer.RoomInput{Room: room, Members: members}
	out, err := r.Env.Serialize(ctx, serializer.NameRoom, in2, in2.UserIDs())
	if err != nil {
		return err
	}
	return r.Out.Room(ctx, room.ID, protocol.DispatchRoomCreate, out)
}

// preferences checks that property.preferences, when given, is an object.
func preferences(raw json.RawMessage) (map[string]any, error) {
	prefs := map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return prefs, nil
	}
	var prop struct {
		Preferences json.RawMessage `json:"preferences"`
	}
	if err := json.Unmarshal(raw, &prop); err != nil {
		return nil, protocol.Invalid(protocol.FieldErrors{"extra_fields.property": {"Expected an object."}})
	}
	if len(prop.Preferences) == 0 || string(prop.Preferences) == "null" {
		return prefs, nil
	}
	if err := json.Unmarshal(prop.Preferences, &prefs); err != nil {
		return nil, protocol.Invalid(protocol.FieldErrors{"extra_fields.property.preferences": {"Expected an object."}})
	}
	return prefs, nil
}

// knownUsers answers 4004 when the app's user lookup does not know one of
// ids. Without a lookup every id is taken as a user.
func knownUsers(ctx context.Context, r *Request, ids []int64) error {
	if r.Env.Users == nil || len(ids) == 0 {
		return nil
	}
	found, err := r.Env.Users(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			return protocol.NotFound()
		}
	}
	return nil
}

func withoutUser(ids []int64, user int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id != user && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func orDefault(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func deref(p *bool) bool { return p != nil && *p }

// RoomList handles room.list: the caller's rooms, latest activity first, to
// the caller only.
func RoomList(ctx context.Context, r *Request) error {
	entries, err := r.Env.Store.ListRooms(ctx, r.UserID)
	if err != nil {
		return err
	}
	var ids []int64
	for _, e := range entries {
		if e.Room.CreatorID != nil {
			ids = append(ids, *e.Room.CreatorID)
		}
		if e.Peer != 0 {
			ids = append(ids, e.Peer)
		}
		if e.LastMessage != nil {
			ids = append(ids, e.LastMessage.UserIDs()...)
		}
	}
	us, err := serializer.Resolve(ctx, r.Env.Users, ids)
	if err != nil {
		return err
	}
	items := make([]any, 0, len(entries))
	for _, e := range entries {
		item, err := r.Env.Serializers.Serialize(ctx, serializer.NameRoomListItem, e, us)
		if err != nil {
			return err
		}
		items = append(items, item)
	}
	out, err := r.Env.Serializers.Serialize(ctx, serializer.NameRoomList, serializer.RoomsInput{Items: items, Entries: entries}, us)
	if err != nil {
		return err
	}
	return r.Out.Reply(protocol.DispatchRoomList, out)
}

type roomIDData struct {
	RoomID string `json:"room_id" validate:"required,uuid"`
}

// RoomInfo handles room.info: the room detail, to a member only. A room of
// up to DefaultMembersPage members asked without members_limit or
// members_after lists all its members, oldest first, as the original does;
// otherwise the member lists (participants or subscribers, admins or
// moderators) hold one page, by user id, and members_next names the
// members_after of the next page (see roomInfoPage).
func RoomInfo(ctx context.Context, r *Request) error {
	var in roomInfoData
	if err := r.Decode(&in); err != nil {
		return err
	}
	chk, err := accessRoom(ctx, r, in.RoomID)
	if err != nil {
		return err
	}
	page, err := roomInfoPage(ctx, r, chk.Room.ID, in)
	if err != nil {
		return err
	}
	in2 := serializer.RoomInput{Room: chk.Room, Members: page.members}
	out, err := r.Env.Serialize(ctx, serializer.NameRoom, in2, in2.UserIDs())
	if err != nil {
		return err
	}
	if m, ok := out.(map[string]any); ok {
		m["members_count"] = page.count
		m["members_next"] = page.next
	}
	if err := addPins(ctx, r, chk.Room.ID, out); err != nil {
		return err
	}
	return r.Out.Reply(protocol.DispatchRoomInfo, out)
}
