package main

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
	"github.com/uptrace/bun"
)

// The app's events, and the events it sends.
const (
	EventPin       = "message.pin"
	EventFlag      = "message.flag"
	EventAnalytics = "message.analytics"

	DispatchPinned  = "message.pinned"
	DispatchFlagged = "message.flagged"
	DispatchAlert   = "moderation.alert"
)

// DefaultFlagReason is the reason of a flag sent without one.
const DefaultFlagReason = "No reason provided"

// DetailAlreadyPinned answers message.pin of a message already pinned
// (4005).
const DetailAlreadyPinned = "This message is already pinned."

// Pin is a row of the app's example_pinned_messages.
type Pin struct {
	bun.BaseModel `bun:"table:example_pinned_messages"`

	MessageID string    `bun:"message_id,pk"`
	RoomID    string    `bun:"room_id"`
	PinnedBy  int64     `bun:"pinned_by"`
	PinnedAt  time.Time `bun:"pinned_at"`
}

// Flag is a row of the app's example_message_flags.
type Flag struct {
	bun.BaseModel `bun:"table:example_message_flags"`

	ID        string    `bun:"id,pk"`
	MessageID string    `bun:"message_id"`
	RoomID    string    `bun:"room_id"`
	FlaggedBy int64     `bun:"flagged_by"`
	Reason    string    `bun:"reason"`
	CreatedAt time.Time `bun:"created_at"`
}

// Pinned is the data of message.pinned, sent to the room.
type Pinned struct {
	MessageID string `json:"message_id"`
	PinnedBy  int64  `json:"pinned_by"`
}

// Flagged is the data of message.flagged, the answer to the flagger.
type Flagged struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// Alert is the data of moderation.alert, sent to the room's admins.
type Alert struct {
	MessageID string `json:"message_id"`
	RoomID    string `json:"room_id"`
	FlaggedBy int64  `json:"flagged_by"`
	Reason    string `json:"reason"`
}

// messageCheck loads a visible message with its room and the user's
// membership, and checks that the user may read it (CanAccessMessage: by
// default, members). A missing or deleted message is 4004.
func messageCheck(ctx context.Context, store *model.Store, perms rtchat.PermissionHandler, userID int64, messageID, action string) (rtchat.PermissionCheck, error) {
	msgs, err := store.MessagesByID(ctx, []string{messageID})
	if err != nil {
		return rtchat.PermissionCheck{}, err
	}
	if len(msgs) == 0 {
		return rtchat.PermissionCheck{}, protocol.NotFound()
	}
	room, member, err := store.RoomAndMember(ctx, msgs[0].RoomID, userID)
	if err != nil {
		return rtchat.PermissionCheck{}, err
	}
	chk := rtchat.PermissionCheck{UserID: userID, Room: room, Member: member, Action: action, Message: msgs[0]}
	if err := perms.CanAccessMessage(ctx, chk); err != nil {
		return rtchat.PermissionCheck{}, err
	}
	return chk, nil
}

// PinMessage pins a message for an admin of its room (its creator, admins
// and moderators; 4002 for anyone else) and returns what the room is told.
// A message already pinned is 4005.
func PinMessage(ctx context.Context, store *model.Store, perms rtchat.PermissionHandler, userID int64, messageID string) (roomID string, _ Pinned, _ error) {
	chk, err := messageCheck(ctx, store, perms, userID, messageID, EventPin)
	if err != nil {
		return "", Pinned{}, err
	}
	if !chk.IsAdmin() {
		return "", Pinned{}, protocol.Denied("")
	}
	pin := &Pin{MessageID: messageID, RoomID: chk.Room.ID, PinnedBy: userID, PinnedAt: model.Now()}
	// ON CONFLICT DO NOTHING is understood by both dialects.
	res, err := store.DB().NewInsert().Model(pin).On("CONFLICT (message_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return "", Pinned{}, err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return "", Pinned{}, protocol.NewError(protocol.CodeConflict, DetailAlreadyPinned)
	}
	return chk.Room.ID, Pinned{MessageID: messageID, PinnedBy: userID}, nil
}

// maxReasonLen bounds a flag's reason, in characters.
const maxReasonLen = 500

// FlagMessage records a flag of a message by a user who may read it, and
// returns the answer to the flagger, the alert, and the admins of the room
// to alert (the flagger left out: they know).
func FlagMessage(ctx context.Context, store *model.Store, perms rtchat.PermissionHandler, userID int64, messageID, reason string) (Flagged, Alert, []int64, error) {
	reason = strings.TrimSpace(serializer.Sanitize(reason))
	if reason == "" {
		reason = DefaultFlagReason
	}
	chk, err := messageCheck(ctx, store, perms, userID, messageID, EventFlag)
	if err != nil {
		return Flagged{}, Alert{}, nil, err
	}
	flag := &Flag{ID: uuid.NewString(), MessageID: messageID, RoomID: chk.Room.ID, FlaggedBy: userID, Reason: reason, CreatedAt: model.Now()}
	if _, err := store.DB().NewInsert().Model(flag).Exec(ctx); err != nil {
		return Flagged{}, Alert{}, nil, err
	}
	members, err := store.Members(ctx, chk.Room.ID)
	if err != nil {
		return Flagged{}, Alert{}, nil, err
	}
	var admins []int64
	for _, m := range members {
		if m.UserID != userID && (rtchat.PermissionCheck{UserID: m.UserID, Room: chk.Room, Member: m}).IsAdmin() {
			admins = append(admins, m.UserID)
		}
	}
	alert := Alert{MessageID: messageID, RoomID: chk.Room.ID, FlaggedBy: userID, Reason: reason}
	return Flagged{Status: "flagged", Reason: reason}, alert, admins, nil
}

// Timeframes are the windows message.analytics counts over.
var Timeframes = map[string]time.Duration{
	"24h": 24 * time.Hour,
	"7d":  7 * 24 * time.Hour,
	"30d": 30 * 24 * time.Hour,
}

// Analytics is the data of the message.analytics answer.
type Analytics struct {
	RoomID        string `json:"room_id"`
	Timeframe     string `json:"timeframe"`
	MessageCount  int64  `json:"message_count"`
	UniqueSenders int64  `json:"unique_senders"`
}

// RoomAnalytics counts the visible messages of a room sent within the
// timeframe before now, and their distinct senders, for a user who may read
// the room (CanAccessRoom: by default, members; 4002 otherwise). A
// timeframe not in Timeframes is 4003; a missing room 4004.
func RoomAnalytics(ctx context.Context, store *model.Store, perms rtchat.PermissionHandler, userID int64, roomID, timeframe string, now time.Time) (Analytics, error) {
	d, ok := Timeframes[timeframe]
	if !ok {
		return Analytics{}, protocol.Invalid(protocol.FieldErrors{"timeframe": {`Must be one of "24h", "7d", "30d".`}})
	}
	room, member, err := store.RoomAndMember(ctx, roomID, userID)
	if err != nil {
		return Analytics{}, err
	}
	chk := rtchat.PermissionCheck{UserID: userID, Room: room, Member: member, Action: EventAnalytics}
	if err := perms.CanAccessRoom(ctx, chk); err != nil {
		return Analytics{}, err
	}
	out := Analytics{RoomID: roomID, Timeframe: timeframe}
	// rtchat's messages table, read as any table of the app's database:
	// rtchat_messages (room_id, sender_id, created_at, is_deleted).
	err = store.DB().NewSelect().
		TableExpr("rtchat_messages").
		ColumnExpr("COUNT(*), COUNT(DISTINCT sender_id)").
		Where("room_id = ? AND is_deleted = ? AND created_at >= ?", roomID, false, now.Add(-d).UTC().Truncate(time.Microsecond)).
		Scan(ctx, &out.MessageCount, &out.UniqueSenders)
	if err != nil {
		return Analytics{}, err
	}
	return out, nil
}
