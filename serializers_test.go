package rtchat_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// TestFrameSerializersReplaced replaces two frame serializers, each by
// wrapping its default: the members of the room receive messagetyping.dispatch
// with the added field, and room.messages answers with the added field
// around the default page; the other fields are the defaults'.
func TestFrameSerializersReplaced(t *testing.T) {
	typingSer := serializer.Func(func(_ context.Context, v any, us serializer.Users) (any, error) {
		in, ok := v.(serializer.TypingInput)
		if !ok {
			return nil, fmt.Errorf("typing: got %T", v)
		}
		return struct {
			serializer.TypingOut
			Shout string `json:"shout"`
		}{serializer.Typing(in, us), "user " + itoa64(in.UserID) + " types"}, nil
	})
	pageSer := serializer.Func(func(_ context.Context, v any, us serializer.Users) (any, error) {
		in, ok := v.(serializer.MessagePageInput)
		if !ok {
			return nil, fmt.Errorf("page: got %T", v)
		}
		page, ok := serializer.MessagePage(in, us).(serializer.KeysetPageOut)
		if !ok {
			return nil, fmt.Errorf("page: not a keyset page")
		}
		return struct {
			serializer.KeysetPageOut
			Count int `json:"count"`
		}{page, len(in.Models)}, nil
	})
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		request(t, w.a1, protocol.EventMessageTyping, typing(w.room.ID, nil))
		for i, f := range receive(t, protocol.DispatchTyping, w.a1, w.a2, w.b, w.c) {
			got := decode[struct {
				wireTyping
				Shout string `json:"shout"`
			}](t, f)
			if got.Shout != "user 1 types" || got.UserID != 1 || got.Username != "1" || got.RoomID != w.room.ID || !got.Typing {
				t.Fatalf("connection %d got %s", i, f.Data)
			}
		}
		w.quiet(t)

		m := send(t, w.b, w.room.ID, "hello")
		w.drain(t)
		f := request(t, w.c, protocol.EventRoomMessages, map[string]any{"room_id": w.room.ID})
		got := decode[struct {
			Data struct {
				RoomID   string        `json:"room_id"`
				Messages []wireMessage `json:"messages"`
			} `json:"data"`
			HasMore bool `json:"has_more"`
			Count   int  `json:"count"`
		}](t, f)
		if got.Count != 1 || got.HasMore || got.Data.RoomID != w.room.ID || len(got.Data.Messages) != 1 || got.Data.Messages[0].ID != m.ID {
			t.Fatalf("room.messages = %s", f.Data)
		}
	}, rtchat.WithSerializer(serializer.NameTyping, typingSer), rtchat.WithSerializer(serializer.NameMessagePage, pageSer))
}
