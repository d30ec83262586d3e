package rtchat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// closedWith waits for c's connection to end and checks its close code.
func closedWith(t *testing.T, name string, c *client.Client, code int) {
	t.Helper()
	select {
	case <-c.Closed():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still open, want closed with %d", name, code)
	}
	if got := c.CloseCode(); got != code {
		t.Fatalf("%s: closed with %d (%v), want %d", name, got, c.CloseError(), code)
	}
}

// TestRedisCutNodeCatchesUpFromTheDatabase: node 0 loses Redis while node
// 1's user sends into a room shared with node 0's users, removes one of
// them and adds another to a room. Once the link is back, node 0 fills the
// gap from the database: its member gets every message once, in seq order;
// the removed member hears nothing more of the room, and the connections
// whose rooms changed are closed with 4008, so their clients list their
// rooms again.
func TestRedisCutNodeCatchesUpFromTheDatabase(t *testing.T) {
	redistest.URL(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		prefix := redistest.Prefix(t)
		proxy, dial := redistest.Cuttable(t)
		n0 := newPresenceNode(t, db, prefix, "cut-0", dial, rtchat.WithLogger(quietLog))
		n1 := newPresenceNode(t, db, prefix, "cut-1", nil)
		a, removed, added := n0.dial(t, 1), n0.dial(t, 3), n0.dial(t, 4)
		b := n1.dial(t, 2)
		room := createRoom(t, b, map[string]any{"type": protocol.RoomGroup, "name": "shared", "participants": []int64{1, 3}})
		other := createRoom(t, b, map[string]any{"type": protocol.RoomGroup, "name": "other", "participants": []int64{}})
		next(t, a, protocol.DispatchRoomCreate)
		next(t, removed, protocol.DispatchRoomCreate)
		send(t, b, room.ID, "before")
		first := decode[wireMessage](t, next(t, a, protocol.DispatchMessage))
		next(t, removed, protocol.DispatchMessage)

		proxy.Cut()
		want := []string{"before"}
		for i := 1; i <= 5; i++ {
			want = append(want, fmt.Sprintf("cut %d", i))
			send(t, b, room.ID, want[i])
		}
		act(t, b, protocol.EventRoomRemoveMembers, roomData(room.ID, "members", []int64{3}))
		act(t, b, protocol.EventRoomAddMembers, roomData(other.ID, "members", []int64{4}))
		want = append(want, "after the removal")
		send(t, b, room.ID, want[len(want)-1])
		proxy.Restore()

		last := first.Seq
		for _, content := range want[1:] {
			m := decode[wireMessage](t, next(t, a, protocol.DispatchMessage))
			if m.Content != content || m.Seq <= last {
				t.Fatalf("got seq %d %q after seq %d, want %q next", m.Seq, m.Content, last, content)
			}
			last = m.Seq
		}
		closedWith(t, "the removed member", removed, protocol.CodeResync)
		closedWith(t, "the added member", added, protocol.CodeResync)
		for _, f := range removedFrames(removed) {
			if m := decode[wireMessage](t, f); m.Content == "after the removal" {
				t.Fatal("the removed member heard the room after its removal")
			}
		}
		// The member whose rooms did not change stays connected, and the
		// link works both ways again.
		barrier(t, a)
		a.Drain(protocol.DispatchRoomRemoveMembers)
		if m := send(t, a, room.ID, "back"); m.Seq != last+1 {
			t.Fatalf("a's message has seq %d, want %d", m.Seq, last+1)
		}
		if m := decode[wireMessage](t, next(t, b, protocol.DispatchMessage)); m.Content != "back" {
			t.Fatalf("node 1 got %q, want %q", m.Content, "back")
		}
	})
}

// removedFrames returns the message frames queued on a closed client.
func removedFrames(c *client.Client) []protocol.Frame {
	var out []protocol.Frame
	for c.Pending(protocol.DispatchMessage) > 0 {
		f, err := c.Next(context.Background(), protocol.DispatchMessage)
		if err != nil {
			break
		}
		out = append(out, f)
	}
	return out
}

// TestSlowClientOnOtherNodeCatchesUp: a member on node 1 reads slower than
// a member on node 0 sends. Node 1 closes it with 4008 once its bounded
// buffer is full; the other member on node 1 receives everything; the slow
// member, resuming from the last message it read, catches up to the same
// set.
func TestSlowClientOnOtherNodeCatchesUp(t *testing.T) {
	redistest.URL(t)
	t.Parallel() // most of it is waiting for the slow reader
	db := dbtest.Open(t, "postgres")
	prefix := redistest.Prefix(t)
	n0 := newPresenceNode(t, db, prefix, "slow-0", nil, rtchat.WithMaxContentLength(30_000))
	n1 := newPresenceNode(t, db, prefix, "slow-1", nil, rtchat.WithMaxContentLength(30_000), rtchat.WithSendBuffer(4), rtchat.WithWriteTimeout(30*time.Second),
		// No ping while the test runs: the slow member's pong, unread when
		// the server closes the socket, would turn the close into a reset.
		rtchat.WithInactivityThreshold(10*time.Minute))
	a := n0.dial(t, 1)
	b := n1.dial(t, 2)
	room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3}})
	next(t, b, protocol.DispatchRoomCreate)

	// User 3 on node 1 reads one frame every 200 ms until node 1 has
	// closed its socket, then catches up with what the socket holds.
	var fast atomic.Bool
	ws, resp, err := websocket.DefaultDialer.DialContext(testCtx(t), n1.url, http.Header{"Authorization": {"Bearer 3"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { _ = ws.Close() })
	var slowLast atomic.Int64
	var slowReady atomic.Bool // chat.notifications read: the connection's set-up is done
	slowEnd := make(chan error, 1)
	go func() {
		for {
			_, raw, err := ws.ReadMessage()
			if err != nil {
				slowEnd <- err
				return
			}
			var f struct {
				EventType string      `json:"eventType"`
				Data      wireMessage `json:"data"`
			}
			if json.Unmarshal(raw, &f) == nil && f.EventType == protocol.DispatchNotifications {
				slowReady.Store(true)
			}
			if f.EventType == protocol.DispatchMessage {
				if f.Data.Seq != slowLast.Load()+1 {
					slowEnd <- fmt.Errorf("the slow member got seq %d after %d", f.Data.Seq, slowLast.Load())
					return
				}
				slowLast.Store(f.Data.Seq)
			}
			if !fast.Load() {
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	// Counted in Stats before it joins its rooms' fan-out, a connection
	// is in the room once chat.notifications, the last step of its set-up,
	// has come: from then on it gets every seq (before, it would start at
	// the room's last_seq when it joined, as the protocol says).
	waitFor(t, "user 3 set up", func() bool { return n1.chat.Stats().Conns == 2 && slowReady.Load() })

	big := strings.Repeat("x", 25_000)
	var sent int64
	for n1.chat.Stats().Conns == 2 {
		if sent == 3000 {
			t.Fatal("the slow member was never closed")
		}
		if _, err := a.SendMessage(testCtx(t), room.ID, big); err != nil {
			t.Fatalf("send %d: %v", sent, err)
		}
		sent++
		a.Drain(protocol.DispatchMessage)
	}
	fast.Store(true)
	var slowErr error
	select {
	case slowErr = <-slowEnd:
	case <-time.After(15 * time.Second):
		t.Fatal("the slow member's socket did not end")
	}
	var ce *websocket.CloseError
	if !errors.As(slowErr, &ce) || ce.Code != protocol.CodeResync {
		t.Fatalf("the slow member ended with %v, want close code %d", slowErr, protocol.CodeResync)
	}
	for range 5 {
		send(t, a, room.ID, "after the close")
		sent++
	}
	// The member that keeps up got everything, in order.
	for s := int64(1); s <= sent; s++ {
		if m := decode[wireMessage](t, next(t, b, protocol.DispatchMessage)); m.Seq != s {
			t.Fatalf("B got seq %d, want %d", m.Seq, s)
		}
	}
	// The slow member resumes from what it read and gets the rest.
	read := slowLast.Load()
	t.Logf("the slow member was closed with 4008 after reading %d of %d messages", read, sent)
	s, err := client.Resume(testCtx(t), n1.url, client.WithDialOptions(client.WithToken("3")),
		client.WithResumeFrom(map[string]int64{room.ID: read}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for want := read + 1; want <= sent; want++ {
		select {
		case m := <-s.Messages():
			if m.Seq != want {
				t.Fatalf("the resumed member got seq %d, want %d", m.Seq, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the resumed member is missing seq %d", want)
		}
	}
}

// TestLateJoinDoesNotBringBackAMemberWhoLeft: node 0 adds a member while
// its link to Redis is cut, so the join waits in its backlog; meanwhile the
// member leaves through node 1. When the backlog arrives, the join is older
// than the leave: node 1 reads the membership from the database and does
// not put the member's connection back into the room.
func TestLateJoinDoesNotBringBackAMemberWhoLeft(t *testing.T) {
	redistest.URL(t)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		prefix := redistest.Prefix(t)
		proxy, dial := redistest.Cuttable(t)
		n0 := newPresenceNode(t, db, prefix, "late-0", dial, rtchat.WithLogger(quietLog))
		n1 := newPresenceNode(t, db, prefix, "late-1", nil)
		admin := n0.dial(t, 1)
		member, leaver := n1.dial(t, 2), n1.dial(t, 3)
		room := createRoom(t, admin, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
		next(t, member, protocol.DispatchRoomCreate)

		proxy.Cut()
		act(t, admin, protocol.EventRoomAddMembers, roomData(room.ID, "members", []int64{3}))
		request(t, leaver, protocol.EventRoomLeave, roomData(room.ID))
		proxy.Restore()
		// Sent after the backlog: once the member has it, node 1 has
		// handled the late join.
		send(t, admin, room.ID, "after the leave")
		if m := decode[wireMessage](t, next(t, member, protocol.DispatchMessage)); m.Content != "after the leave" {
			t.Fatalf("member got %q", m.Content)
		}
		barrier(t, leaver)
		if n := leaver.Pending(protocol.DispatchMessage); n != 0 {
			t.Fatalf("the member who left got %d messages of the room", n)
		}
	})
}
