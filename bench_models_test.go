package rtchat_test

import (
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// BenchmarkSendModel measures message.send with rtchat's message (the
// baseline) and with an app's message model and its fields set through
// extra_fields: one sender and one member, from the send until the member
// has the message.
func BenchmarkSendModel(b *testing.B) {
	for _, kind := range dbtest.Kinds {
		for _, app := range []bool{false, true} {
			name := kind + "/built-in"
			var opts []rtchat.Option
			data := func(room string) map[string]any { return map[string]any{"room_id": room, "content": "hello"} }
			if app {
				name, opts = kind+"/app-model", customMessageOptions()
				data = func(room string) map[string]any {
					return map[string]any{"room_id": room, "content": "hello",
						"extra_fields": map[string]any{"priority": "high", "metadata": map[string]any{"k": "v"}, "is_pinned": true}}
				}
			}
			b.Run(name, func(b *testing.B) {
				h := newHarness(b, dbtest.Open(b, kind), opts...)
				if app {
					addColumns(b, h.db, "rtchat_messages", messageColumns...)
				}
				sender, member := h.dial(b, 1), h.dial(b, 2)
				room := createRoom(b, sender, map[string]any{"type": protocol.RoomGroup, "name": "bench", "participants": []int64{2}})
				next(b, member, protocol.DispatchRoomCreate)
				ctx := testCtx(b)
				req := data(room.ID)
				b.ResetTimer()
				for b.Loop() {
					if _, err := sender.Request(ctx, protocol.EventMessageSend, req); err != nil {
						b.Fatal(err)
					}
					sender.Drain(protocol.DispatchMessage)
					if _, err := member.Next(ctx, protocol.DispatchMessage); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
