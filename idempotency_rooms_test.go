package rtchat_test

import (
	"strings"
	"testing"

	"github.com/rtchat/rtchat/protocol"
)

// TestClientMsgIDRetriedElsewhereAfterLeaving: a client_msg_id retried in
// another room, after the sender left the room where it was first stored,
// stores a new message of the other room and answers nothing of the first
// room: not its message, nor the reactions and receipts that message
// gathered (issue 12, item 1; with a sender-wide key the retry answered the
// first room's message).
func TestClientMsgIDRetriedElsewhereAfterLeaving(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		g1 := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "one", "participants": []int64{2}})
		g2 := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "two", "participants": []int64{2}})
		b.Drain(protocol.DispatchRoomCreate)

		// User 2 stores k-1 in g1; user 1 reacts to it and reads it.
		first, _ := sendFull(t, b, map[string]any{"room_id": g1.ID, "content": "secret of one", "client_msg_id": "k-1"})
		act(t, a, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": first.ID, "reaction_content": "ok-in-one"})
		act(t, a, protocol.EventMessageRead, map[string]any{"message_id": first.ID})

		// User 2 leaves g1, then retries k-1 in g2.
		act(t, b, protocol.EventRoomLeave, roomData(g1.ID))
		settle(t, a, b)
		f := request(t, b, protocol.EventMessageSend, map[string]any{"room_id": g2.ID, "content": "hello two", "client_msg_id": "k-1"})
		if f.EventType != protocol.DispatchMessage {
			t.Fatalf("retry in g2 answered %s", f.EventType)
		}
		got := decode[fullMessage](t, f)
		if got.ID == first.ID || got.Room.ID != g2.ID || got.Content != "hello two" || got.Seq != 1 {
			t.Fatalf("retry in g2 answered %+v; want a new message of g2", got)
		}
		if len(got.Reactions) != 0 || len(got.ReadReceipts) != 0 || len(got.DeliveredTo) != 0 {
			t.Fatalf("the new message carries reactions %+v, receipts %+v, delivered_to %v", got.Reactions, got.ReadReceipts, got.DeliveredTo)
		}
		for _, leak := range []string{first.ID, g1.ID, "secret of one", "ok-in-one"} {
			if strings.Contains(string(f.Data), leak) {
				t.Fatalf("the answer in g2 holds %q of g1: %s", leak, f.Data)
			}
		}
		// It is a real send: the other member of g2 gets it.
		if m := decode[fullMessage](t, next(t, a, protocol.DispatchMessage)); m.ID != got.ID {
			t.Fatalf("user 1 got %s, want %s", m.ID, got.ID)
		}
		settle(t, b)
		if n := h.count(t, "rtchat_messages", "sender_id = ? AND client_msg_id = ?", 2, "k-1"); n != 2 {
			t.Fatalf("%d messages with k-1, want 2 (one per room)", n)
		}
		if n := h.count(t, "rtchat_messages", "room_id = ? AND client_msg_id = ?", g2.ID, "k-1"); n != 1 {
			t.Fatalf("%d messages with k-1 in g2, want 1", n)
		}
		// A second retry in g2 answers g2's message, still with nothing of g1.
		again := request(t, b, protocol.EventMessageSend, map[string]any{"room_id": g2.ID, "content": "hello two", "client_msg_id": "k-1"})
		if m := decode[fullMessage](t, again); m.ID != got.ID || strings.Contains(string(again.Data), first.ID) {
			t.Fatalf("second retry in g2 answered %s", again.Data)
		}
	})
}
