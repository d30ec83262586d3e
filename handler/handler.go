package handler

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/rtchat/rtchat/internal/stripe"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/presence"
	"github.com/rtchat/rtchat/serializer"
)

// Func handles one event. It answers through r.Out and returns nil, or
// returns an error that the consumer turns into an error frame.
type Func func(ctx context.Context, r *Request) error

// Request is one decoded client frame and what a handler needs to serve it.
type Request struct {
	// Event is the event_type the client sent.
	Event string
	// RequestID is the client's request_id ("" when none was sent).
	RequestID string
	// UserID is the authenticated user.
	UserID int64
	// System marks a request the app makes from Go as the system (UserID
	// 0, serializer.SystemUserID), with no connection: the permission
	// rules give way to it (see Request.Perms); the structural invariants
	// still hold.
	System bool
	// ConnID identifies the connection (and its session row).
	ConnID string
	// Data is the raw "data" of the frame.
	Data json.RawMessage
	// Env holds the shared dependencies.
	Env *Env
	// Out sends the answers.
	Out Outbox
}

// Decode unmarshals and validates the request data into dst; see
// serializer.Decode.
func (r *Request) Decode(dst any) error { return serializer.Decode(r.Data, dst) }

// Outbox is how a handler answers. Implementations must be safe for use by
// one handler at a time and must not block on slow connections.
type Outbox interface {
	// Reply sends an event to the requesting connection only, carrying the
	// request's request_id.
	Reply(eventType string, data any) error
	// ReplyFrame sends an already encoded frame to the requesting connection.
	ReplyFrame(frame []byte) error
	// Room sends an event to every connection of every member of the room,
	// on every node. The requesting connection's copy carries request_id.
	Room(ctx context.Context, roomID, eventType string, data any) error
	// RoomSeq is Room for an event that carries the room's seq (the
	// message.dispatch of a new message): every node delivers those in seq
	// order, once, filling a gap from the database.
	RoomSeq(ctx context.Context, roomID string, seq int64, eventType string, data any) error
	// User sends an event to every connection of each user, on every node.
	// When the requesting connection is among them, its copy carries
	// request_id.
	User(ctx context.Context, eventType string, data any, userIDs ...int64) error
	// Join adds the users' open connections to the room's fan-out, on every
	// node. lastSeq is the room's last_seq as the membership change
	// committed it (read under the room's lock): the members' view of the
	// room starts after it.
	Join(ctx context.Context, roomID string, lastSeq int64, userIDs ...int64) error
	// Leave removes the users' open connections from the room's fan-out.
	Leave(ctx context.Context, roomID string, userIDs ...int64) error
}

// Settings are the behaviour switches handlers read; they come from the
// options of rtchat.New.
type Settings struct {
	SoftDelete       bool
	Notifications    bool
	MaxContentLength int
	HistoryLimit     int
	TypingThrottle   time.Duration
	// PresencePushLimit is the largest room (in members) whose members are
	// pushed each other's presence changes; 0 means every room.
	PresencePushLimit int
	// MaxMembersPerRequest is the most users one room.create (participants
	// or subscribers) or room.add_members (members) may name; 0 means
	// DefaultMaxMembersPerRequest.
	MaxMembersPerRequest int
	// MaxRoomSize is the most members any room may have, over each room's
	// own cap; 0 means DefaultMaxRoomSize.
	MaxRoomSize int
	// Pins lists a room's pinned messages in room.info (rtchat.WithPins).
	Pins bool
	// Moderation turns on the moderation events' effects on the built-in
	// ones: admins deleting others' messages, deleted_by (WithModeration).
	Moderation bool
	// NoThreads turns threads off (rtchat.WithThreads(false)):
	// thread_root_id is refused with 4003 (threads.go).
	NoThreads bool
}

// Env is what every handler shares: the store, serializers, user lookup,
// permission rules, presence, settings and logger.
type Env struct {
	Store       *model.Store
	Serializers *serializer.Set
	Users       serializer.UserLookup
	Perms       Permissions
	Presence    presence.Manager
	Settings    Settings
	Log         *slog.Logger
	// MessageHooks are the app's callbacks around message.send.
	MessageHooks MessageHooks

	locks  stripe.Locks
	typing typingThrottle
}

// Serialize looks up the users v refers to and runs the named serializer.
func (e *Env) Serialize(ctx context.Context, name string, v any, userIDs []int64) (any, error) {
	us, err := serializer.Resolve(ctx, e.Users, userIDs)
	if err != nil {
		return nil, err
	}
	return e.Serializers.Serialize(ctx, name, v, us)
}

// LockRoom serialises the events of one room on this node, from the
// assignment of a seq to the publish, so the room's events leave in seq
// order. It returns the unlock function.
func (e *Env) LockRoom(roomID string) func() {
	mu := e.locks.Get(roomID)
	mu.Lock()
	return mu.Unlock
}
