package rtchat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
)

// strangers is a rule that keeps users 50 to 59 out of groups and
// channels (a 1:1 takes anyone) and hides user 2's presence from user 3.
type strangers struct{ rtchat.DefaultPermissions }

func (strangers) CanAddUser(_ context.Context, c rtchat.PermissionCheck, userID int64) error {
	if c.Room.Type != model.TypeOneToOne && userID >= 50 && userID < 60 {
		return protocol.Denied("strangers stay out") // answered 4004 whatever the rule says
	}
	return nil
}

func (strangers) CanSeePresence(_ context.Context, viewerID, targetID int64) error {
	if viewerID == 3 && targetID == 2 {
		return protocol.Denied("")
	}
	return nil
}

// rawConn is a WebSocket to h's node 0 that reads whole frames as sent, to
// compare answers byte for byte.
type rawConn struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialRaw(t *testing.T, h *harness, user int64) *rawConn {
	t.Helper()
	hdr := http.Header{"Authorization": {"Bearer " + strconv.FormatInt(user, 10)}}
	ws, _, err := websocket.DefaultDialer.DialContext(testCtx(t), h.url, hdr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return &rawConn{t: t, ws: ws}
}

// ask sends event with data and request id "probe" and returns the frame
// answering it, as its bytes.
func (c *rawConn) ask(event string, data any) []byte {
	c.t.Helper()
	if err := c.ws.WriteJSON(map[string]any{"event_type": event, "data": data, "request_id": "probe"}); err != nil {
		c.t.Fatalf("write %s: %v", event, err)
	}
	for {
		_, p, err := c.ws.ReadMessage()
		if err != nil {
			c.t.Fatalf("read the answer to %s: %v", event, err)
		}
		if bytes.Contains(p, []byte(`"request_id":"probe"`)) {
			return p
		}
	}
}

// A user the rule refuses is answered exactly as a user nobody has: the
// same 4004 frame, byte for byte, from room.create and room.add_members,
// so trying ids tells nothing of who exists; and nothing is stored.
func TestRefusedUserAnswersAsUnknown(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
		raw := dialRaw(t, h, 1)
		for _, ty := range []string{protocol.RoomGroup, protocol.RoomChannel} {
			create := func(user int64) []byte {
				return raw.ask(protocol.EventRoomCreate, map[string]any{"type": ty, "name": "n", "participants": []int64{2, user}})
			}
			refused, unknown := create(55), create(555)
			if !bytes.Equal(refused, unknown) {
				t.Fatalf("%s room.create: a refused user got\n%s\nan unknown one\n%s", ty, refused, unknown)
			}
			if errorCode(t, refused) != protocol.CodeNotFound {
				t.Fatalf("%s room.create of a refused user = %s, want 4004", ty, refused)
			}
		}
		add := func(user int64) []byte {
			return raw.ask(protocol.EventRoomAddMembers, map[string]any{"room_id": room.ID, "members": []int64{3, user}})
		}
		if refused, unknown := add(55), add(555); !bytes.Equal(refused, unknown) || errorCode(t, refused) != protocol.CodeNotFound {
			t.Fatalf("room.add_members: a refused user got\n%s\nan unknown one\n%s", refused, unknown)
		}
		if n := h.count(t, "rtchat_rooms", "1=1"); n != 1 {
			t.Fatalf("%d rooms, want 1: a refused room.create stores nothing", n)
		}
		wantIDs(t, "members after refused adds", h.members(t, room.ID), 1, 2)

		// A 1:1 takes anyone; so does the rule for users it knows.
		createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{55}})
		act(t, a, protocol.EventRoomAddMembers, map[string]any{"room_id": room.ID, "members": []int64{3}})
		wantIDs(t, "members", h.members(t, room.ID), 1, 2, 3)
	}, rtchat.WithPermissionHandler(strangers{}), rtchat.WithUserLookup(namedUsers))
}

// errorCode returns the code of an error frame, 0 for another frame.
func errorCode(t *testing.T, frame []byte) int {
	t.Helper()
	var f protocol.Frame
	if err := json.Unmarshal(frame, &f); err != nil {
		t.Fatalf("decode %s: %v", frame, err)
	}
	if f.Error == nil {
		return 0
	}
	return f.Error.Code
}

// Without a custom rule anyone is added by anyone, as in the original.
func TestDefaultAddsAnyone(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{55}})
		act(t, a, protocol.EventRoomAddMembers, map[string]any{"room_id": room.ID, "members": []int64{56}})
		wantIDs(t, "members", h.members(t, room.ID), 1, 55, 56)
	}, rtchat.WithUserLookup(namedUsers))
}

// CanSeePresence hides a user from presence.query and from the pushes.
func TestCanSeePresenceFilters(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		c := h.dial(t, 3)
		createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3}})
		next(t, c, protocol.DispatchRoomCreate)
		settle(t, a, c)
		a.Drain(protocol.DispatchPresence)
		c.Drain(protocol.DispatchPresence)

		h.dial(t, 2)
		if p := nextAbout(t, a, 2); !p.is(2, true) {
			t.Fatalf("user 1 heard %+v, want user 2 online", p)
		}
		barrier(t, c)
		for c.Pending(protocol.DispatchPresence) > 0 {
			p := decode[wirePresence](t, next(t, c, protocol.DispatchPresence))
			for _, u := range p.Users {
				if u.UserID == 2 {
					t.Fatalf("user 3 was pushed user 2's presence %+v", p)
				}
			}
		}
		f := request(t, c, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{1, 2}})
		got := decode[wirePresence](t, f)
		if len(got.Users) != 1 || got.Users[0].UserID != 1 {
			t.Fatalf("user 3's presence.query of 1 and 2 = %+v, want user 1 only", got)
		}
		f = request(t, a, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{2, 3}})
		if got := decode[wirePresence](t, f); len(got.Users) != 2 {
			t.Fatalf("user 1's presence.query of 2 and 3 = %+v, want both", got)
		}
	}, rtchat.WithPermissionHandler(strangers{}))
}

// Every request names at most WithMaxMembersPerRequest users (4003 naming
// the field), and no room grows beyond WithMaxRoomSize, whatever its own
// cap.
func TestMemberLimits(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		ids := func(from, n int) []int64 {
			out := make([]int64, n)
			for i := range out {
				out[i] = int64(from + i)
			}
			return out
		}
		big := map[string]any{"max_participants": 1000, "max_subscribers": 1000}
		for _, field := range []string{"participants", "subscribers"} {
			pe := requestErr(t, a, protocol.EventRoomCreate, map[string]any{"type": protocol.RoomChannel, "name": "c", field: ids(2, 4), "extra_fields": big})
			wantFieldError(t, pe, field, "Ensure this field has no more than 3 elements.")
		}
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": ids(2, 3), "extra_fields": big})
		pe := requestErr(t, a, protocol.EventRoomAddMembers, map[string]any{"room_id": room.ID, "members": ids(10, 4)})
		wantFieldError(t, pe, "members", "Ensure this field has no more than 3 elements.")

		// The room holds 4 members; the ceiling is 6 though its cap is 1000.
		act(t, a, protocol.EventRoomAddMembers, map[string]any{"room_id": room.ID, "members": ids(10, 2)})
		wantError(t, refuse(t, a, protocol.EventRoomAddMembers, map[string]any{"room_id": room.ID, "members": ids(20, 1)}), protocol.CodeInvalid, protocol.DetailGroupFull)
		if n := len(h.members(t, room.ID)); n != 6 {
			t.Fatalf("%d members, want 6 (WithMaxRoomSize)", n)
		}
		pe = requestErr(t, a, protocol.EventRoomCreate, map[string]any{"type": protocol.RoomGroup, "name": "g2", "participants": []int64{2, 3, 4}, "extra_fields": map[string]any{"max_participants": 3}})
		wantError(t, pe, protocol.CodeInvalid, protocol.DetailGroupFull)
	}, rtchat.WithMaxMembersPerRequest(3), rtchat.WithMaxRoomSize(6))
}

// By default one request names up to 500 users.
func TestMaxMembersPerRequestDefault(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		ids := make([]int64, 501)
		for i := range ids {
			ids[i] = int64(i + 2)
		}
		pe := requestErr(t, a, protocol.EventRoomCreate, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": ids, "extra_fields": map[string]any{"max_participants": 1000}})
		wantFieldError(t, pe, "participants", "Ensure this field has no more than 500 elements.")
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": ids[:500], "extra_fields": map[string]any{"max_participants": 1000}})
		if len(room.Participants) != 501 {
			t.Fatalf("room.create of 500 users answered %d participants, want 501", len(room.Participants))
		}
	})
}

func wantFieldError(t *testing.T, pe *protocol.Error, field, text string) {
	t.Helper()
	if pe.Code != protocol.CodeInvalid || fmt.Sprint(pe.Detail) != fmt.Sprint(map[string]any{field: []any{text}}) {
		t.Fatalf("error %d %v, want 4003 {%s: [%s]}", pe.Code, pe.Detail, field, text)
	}
}
