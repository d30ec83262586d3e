package serializer

import (
	"context"
	"fmt"
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
}

// NewSet returns the default serializers.
func NewSet() *Set {
	return &Set{m: map[string]Serializer{
		NameUser: Func(func(_ context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(id int64) User { return us.Get(id) })
		}),
		NameMessage: Func(func(_ context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(m MessageInput) *MessageOut { return Message(m, us) })
		}),
		NameRoom: Func(func(_ context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(r RoomInput) map[string]any { return RoomDetail(r, us) })
		}),
		NameRoomListItem: Func(func(_ context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(r RoomListInput) map[string]any { return RoomListItem(r, us) })
		}),
		NameReaction: Func(func(_ context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(r ReactionInput) ReactionOut { return Reaction(r, us) })
		}),
		NameReadReceipt: Func(func(_ context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(r ReadReceiptInput) ReadReceiptOut { return ReadReceipt(r, us) })
		}),
		NameAttachment: Func(func(_ context.Context, v any, _ Users) (any, error) { return serializeAs(v, Attachment) }),
		NameNotification: Func(func(_ context.Context, v any, us Users) (any, error) {
			return serializeAs(v, func(n NotificationInput) NotificationOut { return Notification(n, us) })
		}),
		NameSession: Func(func(_ context.Context, v any, _ Users) (any, error) { return serializeAs(v, Session) }),
	}}
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
	return ser.Serialize(ctx, v, users)
}

// serializeAs applies fn when v has fn's input type, so a default serializer
// called with the wrong value fails loudly rather than writing a wrong shape.
func serializeAs[In, Out any](v any, fn func(In) Out) (any, error) {
	in, ok := v.(In)
	if !ok {
		var want In
		return nil, fmt.Errorf("rtchat: serializer got %T, want %T", v, want)
	}
	return fn(in), nil
}
