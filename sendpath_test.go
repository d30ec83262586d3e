package rtchat_test

import (
	"sync"
	"testing"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// TestClientMsgIDIsPerRoom: the idempotency key is the sender's in one
// room. The same key in another room is another message, and a retry never
// returns what the caller can no longer read.
func TestClientMsgIDIsPerRoom(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		g1 := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "one", "participants": []int64{2}})
		g2 := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "two", "participants": []int64{2}})
		b.Drain(protocol.DispatchRoomCreate)
		sendKey := func(c *client.Client, roomID, content string) wireMessage {
			t.Helper()
			f := request(t, c, protocol.EventMessageSend, map[string]any{"room_id": roomID, "content": content, "client_msg_id": "k-1"})
			c.Drain(protocol.DispatchMessage)
			return decode[wireMessage](t, f)
		}

		// User 2 stores k-1 in g1; a reaction and a read follow.
		first := sendKey(b, g1.ID, "in one")
		act(t, a, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": first.ID, "reaction_content": "+1"})
		act(t, a, protocol.EventMessageRead, map[string]any{"message_id": first.ID})

		// The same key in g2 is a new message of g2, not g1's.
		second := sendKey(b, g2.ID, "in two")
		if second.ID == first.ID || second.Room.ID != g2.ID || second.Content != "in two" || second.Seq != 1 {
			t.Fatalf("k-1 in another room answered %+v; want a new message of that room", second)
		}
		// A retry in g1 is still g1's message.
		if again := sendKey(b, g1.ID, "in one"); again.ID != first.ID {
			t.Fatalf("retry in g1 answered %s, want %s", again.ID, first.ID)
		}

		// User 2 leaves g1: a retry there is refused, not answered with the
		// stored message and the reactions and receipts it gathered.
		act(t, b, protocol.EventRoomLeave, roomData(g1.ID))
		b.Drain(protocol.DispatchRoomExit)
		b.Drain(protocol.DispatchRoomRemoveMembers)
		f, err := b.Request(testCtx(t), protocol.EventMessageSend, map[string]any{"room_id": g1.ID, "content": "in one", "client_msg_id": "k-1"})
		pe, ok := protocol.AsError(err)
		if !ok || pe.Code != protocol.CodePermissionDenied {
			t.Fatalf("retry after leaving answered %s %s (%v); want 4002", f.EventType, f.Data, err)
		}
		if n := h.count(t, "rtchat_messages", "sender_id = ? AND client_msg_id = ?", 2, "k-1"); n != 2 {
			t.Fatalf("%d messages with k-1, want 2 (one per room)", n)
		}
	})
}

// TestSendVersusRemoval: a member removed on one node while sending on the
// other never gets a message stored after the removal. Each round races a
// burst of sends by the member on node 2 against its removal by the admin
// on node 1; once the removal is answered, the room's last_seq bounds every
// message the member may have, and every later send is refused with 4002.
func TestSendVersusRemoval(t *testing.T) {
	eachTopology(t, raceSendsAgainstRemoval)
}

// TestSendVersusRemovalAsyncCluster runs the same race on two nodes joined
// by the asynchronous broker, which delays and reorders what reaches each
// node: the removed member's node learns of the removal late, and the
// database still refuses its sends.
func TestSendVersusRemovalAsyncCluster(t *testing.T) {
	eachCluster(t, 7, func(t *testing.T, cl *asyncCluster) {
		raceSendsAgainstRemoval(t, [2]*harness{cl.nodes[0], cl.nodes[1]})
	})
}

func raceSendsAgainstRemoval(t *testing.T, nodes [2]*harness) {
	for round := range 6 {
		admin, member := freshUser(), freshUser()
		ca, cm := nodes[0].dial(t, admin), nodes[1].dial(t, member)
		g := createRoom(t, ca, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{member}})
		var wg sync.WaitGroup
		var refusedAfter []error
		removed := make(chan struct{})
		wg.Go(func() {
			done := false
			for i := 0; i < 40; i++ {
				select {
				case <-removed:
					done = true
				default:
				}
				_, err := cm.Request(testCtx(t), protocol.EventMessageSend, map[string]any{"room_id": g.ID, "content": "x"})
				if done {
					refusedAfter = append(refusedAfter, err)
				}
			}
		})
		request(t, ca, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", []int64{member}))
		var lastSeq int64
		if err := nodes[0].db.NewSelect().Table("rtchat_rooms").Column("last_seq").Where("id = ?", g.ID).Scan(testCtx(t), &lastSeq); err != nil {
			t.Fatal(err)
		}
		close(removed)
		wg.Wait()
		if n := nodes[0].count(t, "rtchat_messages", "room_id = ? AND sender_id = ? AND seq > ?", g.ID, member, lastSeq); n != 0 {
			t.Fatalf("round %d: %d messages of the removed member stored after its removal", round, n)
		}
		for _, err := range refusedAfter {
			if pe, ok := protocol.AsError(err); !ok || pe.Code != protocol.CodePermissionDenied {
				t.Fatalf("round %d: a send after the removal answered %v, want 4002", round, err)
			}
		}
		if n := nodes[0].count(t, "rtchat_rooms", "id = ? AND last_seq = ?", g.ID, lastSeq); n != 1 {
			t.Fatalf("round %d: the room's seq moved after the removal", round)
		}
	}
}
