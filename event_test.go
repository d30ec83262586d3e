package rtchat_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/protocol"
)

// customEvents are an app's events: ping.me answers the caller,
// room.shout sends to a room its members may send to, message.peek reads
// one message the caller may read, user.poke reaches other users'
// connections; message.send is the built-in one behind a check, and
// message.typing is removed.
func customEvents() []rtchat.Option {
	send := rtchat.Builtin(protocol.EventMessageSend)
	return []rtchat.Option{
		rtchat.WithEvent("ping.me", func(_ context.Context, r *rtchat.EventRequest) error {
			return r.Reply("pong.me", map[string]any{"user_id": r.UserID, "request_id": r.RequestID, "event": r.Event, "conn": r.ConnID != ""})
		}),
		rtchat.WithEvent("room.shout", func(ctx context.Context, r *rtchat.EventRequest) error {
			var in struct {
				RoomID string `json:"room_id" validate:"required,uuid"`
				Text   string `json:"text" validate:"required,max=20"`
			}
			if err := r.Decode(&in); err != nil {
				return err
			}
			chk, err := r.RoomCheck(ctx, in.RoomID)
			if err != nil {
				return err
			}
			if err := r.Permissions().CanSend(ctx, chk); err != nil {
				return err
			}
			return r.SendToRoom(ctx, in.RoomID, "room.shouted", map[string]any{"text": strings.ToUpper(in.Text), "by": r.UserID, "action": chk.Action})
		}),
		rtchat.WithEvent("message.peek", func(ctx context.Context, r *rtchat.EventRequest) error {
			var in struct {
				MessageID string `json:"message_id" validate:"required,uuid"`
			}
			if err := r.Decode(&in); err != nil {
				return err
			}
			chk, err := r.AccessMessage(ctx, in.MessageID)
			if err != nil {
				return err
			}
			return r.Reply("message.peeked", map[string]any{"content": chk.Message.Content, "room_id": chk.Room.ID, "member": chk.Member != nil})
		}),
		rtchat.WithEvent("user.poke", func(ctx context.Context, r *rtchat.EventRequest) error {
			var in struct {
				UserIDs []int64 `json:"user_ids" validate:"required,min=1"`
			}
			if err := r.Decode(&in); err != nil {
				return err
			}
			if n, err := r.Store().MemberIDs(ctx, "00000000-0000-0000-0000-000000000000"); err != nil || len(n) != 0 {
				return &rtchat.Error{Code: protocol.CodeInternal, Detail: "store"}
			}
			return r.SendToUsers(ctx, "user.poked", map[string]any{"by": r.UserID}, in.UserIDs...)
		}),
		rtchat.WithEvent(protocol.EventMessageSend, func(ctx context.Context, r *rtchat.EventRequest) error {
			var in struct {
				Content string `json:"content"`
			}
			_ = json.Unmarshal(r.Data, &in)
			if strings.Contains(in.Content, "http://") {
				return &rtchat.Error{Code: protocol.CodeInvalid, Detail: "No plain http links."}
			}
			return send(ctx, r)
		}),
		rtchat.WithEvent(protocol.EventMessageTyping, nil),
	}
}

// TestWithEvent: custom events answer, send to rooms and users and use the
// permission rules; a wrapped built-in keeps working behind its check; a
// removed event is 4003 "invalid event type".
func TestWithEvent(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, c := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
		barrier(t, b)

		f := request(t, a, "ping.me", nil)
		if pong := decode[map[string]any](t, f); f.EventType != "pong.me" || pong["user_id"] != float64(1) || pong["request_id"] != f.RequestID || pong["event"] != "ping.me" || pong["conn"] != true {
			t.Fatalf("ping.me answered %s %v", f.EventType, pong)
		}

		act(t, a, "room.shout", roomData(room.ID, "text", "hello"))
		if got := decode[map[string]any](t, next(t, b, "room.shouted")); got["text"] != "HELLO" || got["by"] != float64(1) || got["action"] != "room.shout" {
			t.Fatalf("room.shouted %v", got)
		}
		wantCode(t, refuse(t, c, "room.shout", roomData(room.ID, "text", "hi")), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, a, "room.shout", roomData(room.ID, "text", strings.Repeat("x", 21))), protocol.CodeInvalid)
		wantCode(t, refuse(t, a, "room.shout", roomData("00000000-0000-0000-0000-000000000000", "text", "hi")), protocol.CodeNotFound)

		m := post(t, a, room.ID, "see https://example.com")
		wantError(t, refuse(t, a, protocol.EventMessageSend, roomData(room.ID, "content", "see http://example.com")), protocol.CodeInvalid, "No plain http links.")
		if n := h.count(t, "rtchat_messages", "room_id = ?", room.ID); n != 1 {
			t.Fatalf("%d messages stored, want the allowed one", n)
		}

		peek := decode[map[string]any](t, request(t, b, "message.peek", map[string]any{"message_id": m.ID}))
		if peek["content"] != m.Content || peek["room_id"] != room.ID || peek["member"] != true {
			t.Fatalf("message.peeked %v", peek)
		}
		wantCode(t, refuse(t, c, "message.peek", map[string]any{"message_id": m.ID}), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, b, "message.peek", map[string]any{"message_id": "00000000-0000-0000-0000-000000000000"}), protocol.CodeNotFound)

		act(t, a, "user.poke", map[string]any{"user_ids": []int64{3}})
		if got := decode[map[string]any](t, next(t, c, "user.poked")); got["by"] != float64(1) {
			t.Fatalf("user.poked %v", got)
		}

		wantError(t, refuse(t, a, protocol.EventMessageTyping, roomData(room.ID, "typing", true)), protocol.CodeInvalid, protocol.DetailInvalidEventType)
	}, customEvents()...)
}

// TestBuiltin: every built-in event has a handler to wrap; other names
// have none.
func TestBuiltin(t *testing.T) {
	for _, ev := range []string{protocol.EventMessageSend, protocol.EventRoomCreate, protocol.EventPresenceQuery} {
		if rtchat.Builtin(ev) == nil {
			t.Errorf("Builtin(%q) is nil", ev)
		}
	}
	if rtchat.Builtin("ping.me") != nil {
		t.Error(`Builtin("ping.me") is not nil`)
	}
}
