package serializer

import (
	"context"
	"fmt"

	"github.com/rtchat/rtchat/model"
)

// Names of the serializers an app can replace.
const (
	NameUser         = "User"
	NameMessage      = "Message"
	NameRoom         = "Room"
	NameRoomListItem = "RoomListItem"
	NameReaction     = "Reaction"
	NameReadReceipt  = "ReadReceipt"
	NameAttachment   = "Attachment"
	NameNotification = "Notification"
	NameSession      = "Session"

	// The data of whole frames (frames.go).
	NameMessagePage    = "MessagePage"
	NameMembersAdded   = "MembersAdded"
	NameMembersRemoved = "MembersRemoved"
	NameRoomExit       = "RoomExit"
	NameRoomDelete     = "RoomDelete"
	NameRoomUpdate     = "RoomUpdate"
	NameRoomList       = "RoomList"
	NameJoinRequest    = "JoinRequest"
	NameModification   = "Modification"
	NameReactionEvent  = "ReactionEvent"
	NameEditHistory    = "EditHistory"
	NameTyping         = "Typing"
	NameReadReceipts   = "ReadReceipts"
	NameDelivered      = "Delivered"
	NamePresence       = "Presence"
	NameDone           = "Done"
	NameNotifications  = "Notifications"
	NameSearchResults  = "SearchResults" // search.go
	NameRoomMute       = "RoomMute"
	NameRoomAudit      = "RoomAudit"
)

// Serializer turns one model value into the value that is marshalled to JSON.
// users holds every user the value refers to, already looked up.
type Serializer interface {
	Serialize(ctx context.Context, v any, users Users) (any, error)
}

// Func adapts a function to Serializer.
type Func func(ctx context.Context, v any, users Users) (any, error)

// Serialize calls f.
func (f Func) Serialize(ctx context.Context, v any, users Users) (any, error) {
	return f(ctx, v, users)
}

// Set holds the serializer of each shape. The zero value is not usable; use
// NewSet.
type Set struct {
	m map[string]Serializer
	// noThreads leaves the thread fields out of messages (SetThreads).
	noThreads bool
}

// NewSet returns the default serializers. Each renders the shapes it
// nests (users, receipts, reactions, attachments, messages) through the set,
// so a replaced serializer shows wherever its shape appears.
func NewSet() *Set {
	s := &Set{}
	// The defaults render what they nest through the set running them
	// (see Default), else through this one.
	parts := func(ctx context.Context, us Users) setParts {
		return setParts{ctx: ctx, set: runningSet(ctx, s), us: us}
	}
	s.m = map[string]Serializer{
		NameUser: Func(func(_ context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(id int64) (User, error) { return us.Get(id), nil })
		}),
		NameMessage: Func(func(ctx context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(m MessageInput) (*MessageOut, error) { return buildMessage(m, parts(ctx, us)) })
		}),
		NameRoom: Func(func(ctx context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(r RoomInput) (map[string]any, error) { return buildRoomDetail(r, parts(ctx, us)) })
		}),
		NameRoomListItem: Func(func(ctx context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(r RoomListInput) (map[string]any, error) { return buildRoomListItem(r, parts(ctx, us)) })
		}),
		NameReaction: Func(func(ctx context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(r ReactionInput) (ReactionOut, error) { return buildReaction(r, parts(ctx, us)) })
		}),
		NameReadReceipt: Func(func(ctx context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(r ReadReceiptInput) (ReadReceiptOut, error) { return buildReadReceipt(r, parts(ctx, us)) })
		}),
		NameAttachment: Func(func(_ context.Context, v any, _ Users) (any, error) {
			return serializeAs(v, func(a *model.Attachment) (AttachmentOut, error) { return Attachment(a), nil })
		}),
		NameNotification: Func(func(ctx context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(n NotificationInput) (NotificationOut, error) { return buildNotification(n, parts(ctx, us)) })
		}),
		NameSession: Func(func(_ context.Context, v any, _ Users) (any, error) {
			return serializeAs(v, func(ss *model.Session) (SessionOut, error) { return Session(ss), nil })
		}),
		NameMessagePage:    frame(MessagePage),
		NameMembersAdded:   frame(MembersAdded),
		NameMembersRemoved: frame(MembersRemoved),
		NameRoomExit:       frame(RoomExit),
		NameRoomDelete:     frame(RoomDelete),
		// roomupdate.dispatch is the room detail: by default whatever "Room"
		// renders.
		NameRoomUpdate: Func(func(ctx context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(r RoomInput) (any, error) { return runningSet(ctx, s).Serialize(ctx, NameRoom, r, us) })
		}),
		NameRoomList:      frame(RoomList),
		NameJoinRequest:   frame(JoinRequest),
		NameModification:  frame(Modification),
		NameReactionEvent: frame(ReactionEvent),
		NameEditHistory:   frame(EditHistory),
		NameTyping:        frame(Typing),
		NameReadReceipts:  frame(ReadReceipts),
		NameDelivered:     frame(Delivered),
		NamePresence:      frame(Presence),
		NameDone:          frame(Done),
		NameNotifications: frame(Notifications),
		NamePin: Func(func(ctx context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(in PinInput) (PinOut, error) { return buildPin(in, parts(ctx, us)) })
		}),
		NameMessagePin:    frame(MessagePin),
		NameSearchResults: frame(SearchResults),
		NameRoomMute:      frame(RoomMute),
		NameRoomAudit:     frame(RoomAudit),
		NameThread:        frame(Thread),
		NameThreadList:    frame(ThreadList),
	}
	return s
}

// Names reports whether name is a serializer that can be replaced.
func Names(name string) bool {
	_, ok := NewSet().m[name]
	return ok
}

// Replace sets the serializer for name; an unknown name is an error.
func (s *Set) Replace(name string, ser Serializer) error {
	if _, ok := s.m[name]; !ok {
		return fmt.Errorf("rtchat: unknown serializer %q", name)
	}
	if ser == nil {
		return fmt.Errorf("rtchat: serializer %q is nil", name)
	}
	s.m[name] = ser
	return nil
}

// Serialize runs the serializer for name.
func (s *Set) Serialize(ctx context.Context, name string, v any, users Users) (any, error) {
	ser, ok := s.m[name]
	if !ok {
		return nil, fmt.Errorf("rtchat: unknown serializer %q", name)
	}
	return ser.Serialize(withSet(ctx, s), v, users)
}

// serializeAs applies fn when v has fn's input type, so a default serializer
// called with the wrong value fails loudly rather than writing a wrong shape.
func serializeAs[In, Out any](v any, fn func(In) (Out, error)) (any, error) {
	in, ok := v.(In)
	if !ok {
		var want In
		return nil, fmt.Errorf("rtchat: serializer got %T, want %T", v, want)
	}
	return fn(in)
}

// frame adapts the default of a frame shape, which cannot fail, to
// Serializer.
func frame[In, Out any](fn func(In, Users) Out) Serializer {
	return Func(func(_ context.Context, v any, us Users) (any, error) {
		return serializeAs(v, func(in In) (Out, error) { return fn(in, us), nil })
	})
}
