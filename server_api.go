package rtchat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// The server-side Go API: what a client does over its socket, done by the
// app from Go (a webhook, a job, an admin page). Each method runs the
// handler the event map holds for the event (so an app's override of the
// event applies) with the same rules, store and fan-out as a client's
// request: the other members' connections, on every node, receive exactly
// what they would if the user had sent it from a socket, in the room's seq
// order. Errors are the *Error a client would get (errors.As finds it) with
// the same code: 4002 where the rules refuse, 4003 for invalid data, 4004
// for a room or user that does not exist. The event timeout
// (WithEventTimeout) applies on top of ctx.

// SystemUserID is the user id of the system: a message sent as it (a
// MessageParams.UserID of 0) shows the sender {"id": 0, "username":
// "system"}, and members it adds or removes show added_by or removed_by
// "system". The system passes every permission rule, only a room's
// structure still holds (a 1:1 keeps its two participants, a room's cap).
const SystemUserID int64 = serializer.SystemUserID

// ErrRoomNotFound is returned by PublishToRoom for a room that does not
// exist.
var ErrRoomNotFound = errors.New("rtchat: room not found")

// MessageParams is a message sent from Go; see Chat.SendMessage.
type MessageParams struct {
	// RoomID is the room to send to.
	RoomID string
	// UserID is the sender: a user, under the rules of their own
	// message.send, or SystemUserID (0).
	UserID int64
	// Content is the text, sanitised and limited as a client's.
	Content string
	// ClientMsgID makes the send idempotent: a second send with the same
	// id by the same sender in the same room stores nothing and returns
	// the stored message (SentMessage.Duplicate).
	ClientMsgID string
	// ParentMessageID makes the message a reply (extra_fields.parent_message_id).
	ParentMessageID string
	// ExtraFields are passed to message.send as its extra_fields (media,
	// forwarded_from_id, the fields an app's serializer accepts);
	// ParentMessageID, when set, is added to them.
	ExtraFields map[string]any
}

// SentMessage is the message SendMessage stored, or found again.
type SentMessage struct {
	// ID and Seq are the stored message's, as the Message serializer
	// shows them (zero when an app's serializer leaves them out).
	ID  string
	Seq int64
	// JSON is the message.dispatch data, as the room's members received it.
	JSON json.RawMessage
	// Duplicate is set when ClientMsgID was stored already: nothing was
	// stored or sent, and JSON is the stored message.
	Duplicate bool
}

// SendMessage sends a message as p.UserID, as a message.send from one of
// the user's connections would (all the user's connections receive it
// too): a non-member is refused with 4002 and nothing is stored. As
// SystemUserID it is sent to any room that exists.
func (c *Chat) SendMessage(ctx context.Context, p MessageParams) (SentMessage, error) {
	extra := make(map[string]any, len(p.ExtraFields)+1)
	for k, v := range p.ExtraFields {
		extra[k] = v
	}
	if p.ParentMessageID != "" {
		extra["parent_message_id"] = p.ParentMessageID
	}
	data := map[string]any{"room_id": p.RoomID, "content": p.Content, "extra_fields": extra}
	if p.ClientMsgID != "" {
		data["client_msg_id"] = p.ClientMsgID
	}
	ans, err := c.consumer.Call(ctx, p.UserID, protocol.EventMessageSend, data)
	if err != nil {
		return SentMessage{}, err
	}
	f, ok := ans.Find(protocol.DispatchMessage)
	if !ok {
		return SentMessage{}, fmt.Errorf("rtchat: SendMessage: %s answered no %s", protocol.EventMessageSend, protocol.DispatchMessage)
	}
	var ids struct {
		ID  string `json:"id"`
		Seq int64  `json:"seq"`
	}
	_ = json.Unmarshal(f.Data, &ids) // an app's serializer may show neither
	return SentMessage{ID: ids.ID, Seq: ids.Seq, JSON: f.Data, Duplicate: f.Reply}, nil
}

// RoomParams is a room created from Go: the data of room.create; see
// Chat.CreateRoom.
type RoomParams struct {
	// Type is model.TypeOneToOne ("OneToOneChat"), model.TypeGroup
	// ("GroupChat") or model.TypeChannel ("Channel").
	Type        string
	Name        string
	Description string
	// Participants are the other members (the creator is added anyway);
	// a 1:1 has exactly one.
	Participants []int64
	// Subscribers are a channel's other members, instead of Participants.
	Subscribers []int64
	// ExtraFields are room.create's extra_fields: max_participants,
	// max_subscribers, is_public, join_approval_required, group_locked,
	// avatar, property, and whatever an app's override of room.create reads.
	ExtraFields map[string]any
}

// CreatedRoom is the room CreateRoom created.
type CreatedRoom struct {
	// ID is the new room's id.
	ID string
	// JSON is the roomcreate.dispatch data its members received.
	JSON json.RawMessage
}

// CreateRoom creates a room as creatorID (a user: the system creates no
// room), as that user's room.create would: the creator becomes a member
// (admin of a group, moderator of a channel), caps hold, a second 1:1 of
// the same pair is 4005, and every member's connections, on every node,
// join the room and receive roomcreate.dispatch.
func (c *Chat) CreateRoom(ctx context.Context, creatorID int64, p RoomParams) (CreatedRoom, error) {
	if creatorID <= 0 {
		return CreatedRoom{}, protocol.Invalid(protocol.FieldErrors{"creator": {"A room is created by a user."}})
	}
	data := map[string]any{"type": p.Type, "name": p.Name, "description": p.Description}
	if p.Participants != nil {
		data["participants"] = p.Participants
	}
	if p.Subscribers != nil {
		data["subscribers"] = p.Subscribers
	}
	if p.ExtraFields != nil {
		data["extra_fields"] = p.ExtraFields
	}
	ans, err := c.consumer.Call(ctx, creatorID, protocol.EventRoomCreate, data)
	if err != nil {
		return CreatedRoom{}, err
	}
	f, ok := ans.Find(protocol.DispatchRoomCreate)
	if !ok {
		return CreatedRoom{}, fmt.Errorf("rtchat: CreateRoom: %s answered no %s", protocol.EventRoomCreate, protocol.DispatchRoomCreate)
	}
	var room struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(f.Data, &room)
	return CreatedRoom{ID: room.ID, JSON: f.Data}, nil
}

// MembersResult is what AddMembers or RemoveMembers did.
type MembersResult struct {
	// JSON is the roomaddmembers.dispatch or roomremovemembers.dispatch
	// data (new_members or removed_members empty when nobody changed), or
	// nil when the last members were removed and the room was deleted.
	JSON json.RawMessage
	// RoomDeleted is set when nobody remained and the room is gone.
	RoomDeleted bool
}

// AddMembers adds users to a room as actorID would with room.add_members
// (actor SystemUserID: the system, which needs no admin role or grant).
// Users already in are skipped; 4004 for a user the app's lookup does not
// know, 4003 in a 1:1 or beyond the room's cap. The new members'
// connections join the room, then roomaddmembers.dispatch {room,
// new_members, added_by} goes to the room, on every node.
func (c *Chat) AddMembers(ctx context.Context, actorID int64, roomID string, userIDs []int64) (MembersResult, error) {
	return c.changeMembers(ctx, actorID, protocol.EventRoomAddMembers, protocol.DispatchRoomAddMembers, roomID, userIDs)
}

// RemoveMembers removes users from a room as actorID would with
// room.remove_members (actor SystemUserID: the system, which may remove
// anyone, the creator and the admins included). Users who are not members
// are skipped; 4003 in a 1:1. Each removed user's connections get
// roomexit.dispatch and leave the room, then roomremovemembers.dispatch
// {room, removed_members, removed_by} goes to the members who remain.
func (c *Chat) RemoveMembers(ctx context.Context, actorID int64, roomID string, userIDs []int64) (MembersResult, error) {
	return c.changeMembers(ctx, actorID, protocol.EventRoomRemoveMembers, protocol.DispatchRoomRemoveMembers, roomID, userIDs)
}

func (c *Chat) changeMembers(ctx context.Context, actorID int64, event, dispatch, roomID string, userIDs []int64) (MembersResult, error) {
	ans, err := c.consumer.Call(ctx, actorID, event, map[string]any{"room_id": roomID, "members": userIDs})
	if err != nil {
		return MembersResult{}, err
	}
	if f, ok := ans.Find(dispatch); ok {
		return MembersResult{JSON: f.Data}, nil
	}
	if _, ok := ans.Find(protocol.DispatchRoomDelete); ok {
		return MembersResult{RoomDeleted: true}, nil
	}
	return MembersResult{}, fmt.Errorf("rtchat: %s answered no %s", event, dispatch)
}

// PublishToRoom sends an event of the app's, {"eventType": eventType,
// "data": data}, to every connection of the room's members, on every node.
// It returns ErrRoomNotFound when the room does not exist. Unlike a new
// message it carries no seq: a client that was away does not catch it up.
func (c *Chat) PublishToRoom(ctx context.Context, roomID, eventType string, data any) error {
	if eventType == "" {
		return errors.New("rtchat: PublishToRoom: empty event type")
	}
	roomID, ok := serializer.CanonicalUUID(roomID)
	if !ok {
		return ErrRoomNotFound
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.eventTimeout)
	defer cancel()
	if _, err := c.store.Room(ctx, roomID); err != nil {
		if errors.Is(err, model.ErrNotFound) {
			return ErrRoomNotFound
		}
		return err
	}
	return c.consumer.PublishRoom(ctx, roomID, eventType, data)
}

// PublishToUsers sends an event of the app's, {"eventType": eventType,
// "data": data}, to every connection of each user, on every node. Users
// without a connection miss it.
func (c *Chat) PublishToUsers(ctx context.Context, eventType string, data any, userIDs ...int64) error {
	if eventType == "" {
		return errors.New("rtchat: PublishToUsers: empty event type")
	}
	if len(userIDs) == 0 {
		return nil
	}
	return c.consumer.PublishUsers(ctx, eventType, data, userIDs...)
}
