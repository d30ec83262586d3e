package rtchat_test

import (
	"slices"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

type wireTyping struct {
	Username string `json:"username"`
	UserID   int64  `json:"user_id"`
	RoomID   string `json:"room_id"`
	Typing   bool   `json:"typing"`
}

func typing(roomID string, on *bool) map[string]any {
	d := map[string]any{"room_id": roomID}
	if on != nil {
		d["typing"] = *on
	}
	return d
}

func TestTypingThrottle(t *testing.T) {
	yes, no := true, false
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		broadcast := func(c *client.Client, data map[string]any, user int64, room string, want bool, to ...*client.Client) {
			t.Helper()
			f := request(t, c, protocol.EventMessageTyping, data)
			if got := sortedKeys(decode[map[string]any](t, f)); !slices.Equal(got, []string{"room_id", "typing", "user_id", "username"}) {
				t.Fatalf("typing payload keys %v", got)
			}
			for i, f := range receive(t, protocol.DispatchTyping, to...) {
				got := decode[wireTyping](t, f)
				if got.UserID != user || got.Username != itoa64(user) || got.RoomID != room || got.Typing != want {
					t.Fatalf("connection %d got %s", i, f.Data)
				}
			}
			w.quiet(t)
		}
		dropped := func(c *client.Client, data map[string]any) {
			t.Helper()
			fire(t, c, protocol.EventMessageTyping, data)
			w.quiet(t) // no broadcast, no error, nothing to the caller
		}
		members := []*client.Client{w.a1, w.a2, w.b, w.c}
		broadcast(w.a1, typing(w.room.ID, nil), 1, w.room.ID, true, members...) // typing defaults to true
		dropped(w.a1, typing(w.room.ID, &yes))
		dropped(w.a2, typing(w.room.ID, nil))                                    // per user, whatever the device
		broadcast(w.a1, typing(w.room.ID, &no), 1, w.room.ID, false, members...) // a change always goes out
		dropped(w.a2, typing(w.room.ID, &no))
		broadcast(w.a2, typing(w.room.ID, &yes), 1, w.room.ID, true, members...)
		broadcast(w.b, typing(w.room.ID, &yes), 2, w.room.ID, true, members...) // per user
		// Per room: the same user in another room is not throttled.
		dm := createRoom(t, w.a1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{3}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.c)
		broadcast(w.a1, typing(dm.ID, &yes), 1, dm.ID, true, w.a1, w.a2, w.c)
		dropped(w.a1, typing(dm.ID, &yes))
	}, rtchat.WithTypingThrottle(time.Hour))
}

func TestTypingThrottleExpires(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		request(t, w.b, protocol.EventMessageTyping, typing(w.room.ID, nil))
		receive(t, protocol.DispatchTyping, w.a1, w.a2, w.b, w.c)
		// Repeat the same state until the period is over and one goes out.
		ctx := testCtx(t)
		for w.c.Pending(protocol.DispatchTyping) == 0 {
			if ctx.Err() != nil {
				t.Fatal("no second typing broadcast after the throttle period")
			}
			fire(t, w.b, protocol.EventMessageTyping, typing(w.room.ID, nil))
			barrier(t, w.b)
			barrier(t, w.c)
		}
		receive(t, protocol.DispatchTyping, w.a1, w.a2, w.b, w.c)
		w.drain(t)
	}, rtchat.WithTypingThrottle(20*time.Millisecond))
}

func TestTypingBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		ch := createRoom(t, w.a1, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.b)
		locked := createRoom(t, w.a1, map[string]any{"type": protocol.RoomGroup, "name": "locked", "participants": []int64{3},
			"extra_fields": map[string]any{"group_locked": true}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.c)
		runBad(t, w, protocol.EventMessageTyping, map[string]badCase{
			"channel subscriber":  {w.b, typing(ch.ID, nil), protocol.CodePermissionDenied},
			"locked group member": {w.c, typing(locked.ID, nil), protocol.CodePermissionDenied},
			"outsider":            {w.x, typing(w.room.ID, nil), protocol.CodePermissionDenied},
			"unknown room":        {w.b, typing(unknownID, nil), protocol.CodeNotFound},
			"missing room_id":     {w.b, map[string]any{"typing": true}, protocol.CodeInvalid},
			"room_id not a uuid":  {w.b, typing("room", nil), protocol.CodeInvalid},
			"room_id a number":    {w.b, map[string]any{"room_id": 1}, protocol.CodeInvalid},
			"typing a string":     {w.b, map[string]any{"room_id": w.room.ID, "typing": "yes"}, protocol.CodeInvalid},
			"typing a number":     {w.b, map[string]any{"room_id": w.room.ID, "typing": 1}, protocol.CodeInvalid},
			"data a list":         {w.b, []any{w.room.ID}, protocol.CodeInvalid},
		})
		// The channel's moderator may.
		request(t, w.a1, protocol.EventMessageTyping, typing(ch.ID, nil))
		receive(t, protocol.DispatchTyping, w.a1, w.a2, w.b)
		w.quiet(t)
	}, rtchat.WithTypingThrottle(time.Hour))
}

// TestTypingDefaultThrottle: without the option, a repeat within 2 s is
// dropped.
func TestTypingDefaultThrottle(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		request(t, w.c, protocol.EventMessageTyping, typing(w.room.ID, nil))
		receive(t, protocol.DispatchTyping, w.a1, w.a2, w.b, w.c)
		fire(t, w.c, protocol.EventMessageTyping, typing(w.room.ID, nil))
		w.quiet(t)
	})
}
