package rtchat_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// wirePin is one entry of room.info's pins.
type wirePin struct {
	Message  wireMessage `json:"message"`
	PinnedBy wireUser    `json:"pinned_by"`
	PinnedAt time.Time   `json:"pinned_at"`
}

// wirePinEvent is messagepin.dispatch's data.
type wirePinEvent struct {
	RoomID     string      `json:"room_id"`
	Message    wireMessage `json:"message"`
	Pinned     bool        `json:"pinned"`
	Changed    bool        `json:"changed"`
	PinnedBy   *wireUser   `json:"pinned_by"`
	PinnedAt   *time.Time  `json:"pinned_at"`
	UnpinnedBy *wireUser   `json:"unpinned_by"`
}

func pinOf(messageID string) map[string]any { return map[string]any{"message_id": messageID} }

// roomPins asks room.info as c and returns its pins; the answer must
// have them.
func roomPins(t testing.TB, c *client.Client, roomID string) []wirePin {
	t.Helper()
	f := request(t, c, protocol.EventRoomInfo, roomData(roomID))
	c.Drain(protocol.DispatchRoomInfo)
	var v struct {
		Pins *[]wirePin `json:"pins"`
	}
	if err := json.Unmarshal(f.Data, &v); err != nil || v.Pins == nil {
		t.Fatalf("room.info has no pins (%v): %s", err, f.Data)
	}
	return *v.Pins
}

func pinnedIDs(pins []wirePin) []string {
	out := []string{}
	for _, p := range pins {
		out = append(out, p.Message.ID)
	}
	return out
}

// noPinFrame asserts that c holds no messagepin.dispatch, after a barrier.
func noPinFrame(t testing.TB, name string, c *client.Client) {
	t.Helper()
	barrier(t, c)
	if n := c.Pending(protocol.DispatchMessagePin); n != 0 {
		t.Fatalf("%s got %d messagepin.dispatch, want none", name, n)
	}
}

// settlePins is settle that drops messagepin.dispatch frames too.
func settlePins(t testing.TB, cs ...*client.Client) {
	t.Helper()
	settle(t, cs...)
	for _, c := range cs {
		c.Drain(protocol.DispatchMessagePin)
	}
}

// pinEvent takes the next messagepin.dispatch off c.
func pinEvent(t testing.TB, c *client.Client) wirePinEvent {
	t.Helper()
	return decode[wirePinEvent](t, next(t, c, protocol.DispatchMessagePin))
}

// pinGroup is a group of creator 1 with members 2 and 3, each connected
// (1 and 3 on node 0, 2 on node 1 of a two-node harness), and 9, who is
// in no room, connected too.
type pinGroup struct {
	a, b, c, x *client.Client
	room       wireRoom
}

func newPinGroup(t *testing.T, h *harness) pinGroup {
	t.Helper()
	g := pinGroup{a: h.dial(t, 1), b: h.dial(t, 2), c: h.dial(t, 3), x: h.dial(t, 9)}
	g.room = createRoom(t, g.a, map[string]any{"type": protocol.RoomGroup, "name": "pins", "participants": []int64{2, 3}})
	settlePins(t, g.b, g.c)
	return g
}

func TestPinByAdmin(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		g := newPinGroup(t, h)
		m1 := post(t, g.a, g.room.ID, "first")
		m2 := post(t, g.b, g.room.ID, "second")
		settlePins(t, g.a, g.b, g.c)
		if pins := roomPins(t, g.b, g.room.ID); len(pins) != 0 {
			t.Fatalf("pins of a new room = %+v, want []", pins)
		}

		// The creator pins: every member, on either node, hears it.
		f := act(t, g.a, protocol.EventMessagePin, pinOf(m1.ID))
		raw := decode[map[string]any](t, f)
		if got := sortedKeys(raw); !slices.Equal(got, []string{"changed", "message", "pinned", "pinned_at", "pinned_by", "room_id", "unpinned_by"}) {
			t.Fatalf("messagepin.dispatch keys = %v", got)
		}
		checkMessageShape(t, raw["message"], 0)
		for name, c := range map[string]*client.Client{"creator": g.a, "member 2": g.b, "member 3": g.c} {
			ev := pinEvent(t, c)
			if ev.RoomID != g.room.ID || ev.Message.ID != m1.ID || ev.Message.Content != "first" || !ev.Pinned || !ev.Changed ||
				ev.PinnedBy == nil || ev.PinnedBy.ID != 1 || ev.PinnedAt == nil || ev.UnpinnedBy != nil {
				t.Fatalf("%s got %+v", name, ev)
			}
			noPinFrame(t, name, c)
		}
		noPinFrame(t, "the outsider", g.x)
		if n := countRows(t, h, "rtchat_pins", "room_id = ?", g.room.ID); n != 1 {
			t.Fatalf("pin rows = %d, want 1", n)
		}

		// A second pin comes first in room.info, on any node.
		act(t, g.a, protocol.EventMessagePin, map[string]any{"message_id": m2.ID, "room_id": g.room.ID})
		for _, c := range []*client.Client{g.a, g.b, g.c} {
			pinEvent(t, c)
		}
		for _, c := range []*client.Client{g.b, g.c} {
			pins := roomPins(t, c, g.room.ID)
			if !slices.Equal(pinnedIDs(pins), []string{m2.ID, m1.ID}) {
				t.Fatalf("pins = %v, want [%s %s]", pinnedIDs(pins), m2.ID, m1.ID)
			}
			if p := pins[0]; p.PinnedBy.ID != 1 || p.PinnedAt.IsZero() || p.Message.Sender.ID != 2 || p.Message.Content != "second" {
				t.Fatalf("newest pin = %+v", p)
			}
		}

		// Pinning it again changes nothing: the caller alone is answered.
		before := roomPins(t, g.a, g.room.ID)
		f = act(t, g.a, protocol.EventMessagePin, pinOf(m1.ID))
		if ev := decode[wirePinEvent](t, f); ev.Changed || !ev.Pinned || ev.PinnedBy == nil || ev.PinnedBy.ID != 1 ||
			ev.PinnedAt == nil || !ev.PinnedAt.Equal(before[1].PinnedAt) {
			t.Fatalf("pinning again answered %s", f.Data)
		}
		g.a.Drain(protocol.DispatchMessagePin)
		for name, c := range map[string]*client.Client{"creator": g.a, "member 2": g.b, "member 3": g.c, "the outsider": g.x} {
			noPinFrame(t, name, c)
		}

		// Unpinning: the room hears it, and room.info drops it.
		act(t, g.a, protocol.EventMessageUnpin, pinOf(m1.ID))
		for name, c := range map[string]*client.Client{"creator": g.a, "member 2": g.b, "member 3": g.c} {
			ev := pinEvent(t, c)
			if ev.Message.ID != m1.ID || ev.Pinned || !ev.Changed || ev.UnpinnedBy == nil || ev.UnpinnedBy.ID != 1 ||
				ev.PinnedBy == nil || ev.PinnedBy.ID != 1 {
				t.Fatalf("%s got %+v", name, ev)
			}
		}
		noPinFrame(t, "the outsider", g.x)
		if got := pinnedIDs(roomPins(t, g.c, g.room.ID)); !slices.Equal(got, []string{m2.ID}) {
			t.Fatalf("pins after unpinning = %v", got)
		}
		// Unpinning what is not pinned changes nothing either.
		f = act(t, g.a, protocol.EventMessageUnpin, pinOf(m1.ID))
		if ev := decode[wirePinEvent](t, f); ev.Changed || ev.Pinned || ev.PinnedBy != nil || ev.PinnedAt != nil || ev.UnpinnedBy != nil {
			t.Fatalf("unpinning again answered %s", f.Data)
		}
		g.a.Drain(protocol.DispatchMessagePin)
		for name, c := range map[string]*client.Client{"creator": g.a, "member 2": g.b, "member 3": g.c} {
			noPinFrame(t, name, c)
		}
		if n := countRows(t, h, "rtchat_pins", ""); n != 1 {
			t.Fatalf("pin rows = %d, want 1", n)
		}
	})
}

func TestPinPermissions(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		g := newPinGroup(t, h)
		m := post(t, g.a, g.room.ID, "group message")

		// A plain member of a group may not pin, nor unpin.
		wantError(t, refuse(t, g.b, protocol.EventMessagePin, pinOf(m.ID)), protocol.CodePermissionDenied, "")
		act(t, g.a, protocol.EventMessagePin, pinOf(m.ID))
		settlePins(t, g.a, g.b, g.c)
		wantError(t, refuse(t, g.b, protocol.EventMessageUnpin, pinOf(m.ID)), protocol.CodePermissionDenied, "")
		// Once an admin, they may.
		act(t, g.a, protocol.EventRoomModify, modify(g.room.ID, "add_admin", map[string]any{"users": []int64{2}}))
		act(t, g.b, protocol.EventMessageUnpin, pinOf(m.ID))
		if ev := pinEvent(t, g.c); ev.Pinned || ev.UnpinnedBy == nil || ev.UnpinnedBy.ID != 2 {
			t.Fatalf("member 3 got %+v", ev)
		}

		// A channel: a plain subscriber may not, a moderator may.
		ch := createRoom(t, g.a, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2, 3}})
		cm := post(t, g.a, ch.ID, "channel message")
		wantError(t, refuse(t, g.c, protocol.EventMessagePin, pinOf(cm.ID)), protocol.CodePermissionDenied, "")
		act(t, g.a, protocol.EventRoomModify, modify(ch.ID, "add_moderator", map[string]any{"users": []int64{3}}))
		act(t, g.c, protocol.EventMessagePin, pinOf(cm.ID))
		if got := pinnedIDs(roomPins(t, g.b, ch.ID)); !slices.Equal(got, []string{cm.ID}) {
			t.Fatalf("channel pins = %v", got)
		}
		settlePins(t, g.a, g.b, g.c)

		// A 1:1: either participant.
		dm := createRoom(t, g.b, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{3}})
		dmm := post(t, g.b, dm.ID, "between us")
		act(t, g.c, protocol.EventMessagePin, pinOf(dmm.ID))
		if ev := pinEvent(t, g.b); ev.Message.ID != dmm.ID || !ev.Pinned || ev.PinnedBy.ID != 3 {
			t.Fatalf("the other participant got %+v", ev)
		}
		settlePins(t, g.b, g.c)
		act(t, g.b, protocol.EventMessageUnpin, pinOf(dmm.ID))
		if ev := pinEvent(t, g.c); ev.Pinned || ev.UnpinnedBy.ID != 2 {
			t.Fatalf("the pinner got %+v", ev)
		}
		noPinFrame(t, "the creator of the group, outside the 1:1", g.a)
	})
}

func TestPinOutsider(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		g := newPinGroup(t, h)
		m := post(t, g.a, g.room.ID, "members only")
		act(t, g.a, protocol.EventMessagePin, pinOf(m.ID))
		settlePins(t, g.a, g.b, g.c)

		// The outsider is answered as the existing message events answer
		// it (message.react, message.edits): the same code and detail,
		// which name no room.
		like := refuse(t, g.x, protocol.EventMessageReact, react("add", m.ID, "x"))
		for _, ev := range []string{protocol.EventMessagePin, protocol.EventMessageUnpin} {
			pe := refuse(t, g.x, ev, pinOf(m.ID))
			if pe.Code != like.Code || pe.Detail != like.Detail {
				t.Fatalf("%s by an outsider = %d %v, message.react = %d %v", ev, pe.Code, pe.Detail, like.Code, like.Detail)
			}
			if strings.Contains(jsonText(t, pe.Detail), g.room.ID) {
				t.Fatalf("%s names the room: %v", ev, pe.Detail)
			}
		}
		// Naming the room does not help.
		pe := refuse(t, g.x, protocol.EventMessagePin, map[string]any{"message_id": m.ID, "room_id": g.room.ID})
		wantCode(t, pe, like.Code)
		// Nor does room.info show the pins: it answers as it always did.
		info := refuse(t, g.x, protocol.EventRoomInfo, roomData(g.room.ID))
		wantCode(t, info, protocol.CodePermissionDenied)
		if strings.Contains(jsonText(t, info.Detail), m.ID) {
			t.Fatalf("room.info by an outsider names the pinned message: %v", info.Detail)
		}
		noPinFrame(t, "the outsider", g.x)
		for name, c := range map[string]*client.Client{"creator": g.a, "member 2": g.b, "member 3": g.c} {
			noPinFrame(t, name, c)
		}
		if got := pinnedIDs(roomPins(t, g.b, g.room.ID)); !slices.Equal(got, []string{m.ID}) {
			t.Fatalf("pins = %v, want the creator's pin alone", got)
		}
	})
}

func jsonText(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPinNotFound(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		g := newPinGroup(t, h)
		m := post(t, g.a, g.room.ID, "here")
		other := createRoom(t, g.a, map[string]any{"type": protocol.RoomGroup, "name": "other", "participants": []int64{2}})
		for name, tc := range map[string]struct {
			event string
			data  any
			code  int
		}{
			"unknown message":            {protocol.EventMessagePin, pinOf(uuid.NewString()), protocol.CodeNotFound},
			"unpin an unknown message":   {protocol.EventMessageUnpin, pinOf(uuid.NewString()), protocol.CodeNotFound},
			"a message of another room":  {protocol.EventMessagePin, map[string]any{"message_id": m.ID, "room_id": other.ID}, protocol.CodeNotFound},
			"unpin one of another room":  {protocol.EventMessageUnpin, map[string]any{"message_id": m.ID, "room_id": other.ID}, protocol.CodeNotFound},
			"a room that does not exist": {protocol.EventMessagePin, map[string]any{"message_id": m.ID, "room_id": uuid.NewString()}, protocol.CodeNotFound},
			"no message_id":              {protocol.EventMessagePin, map[string]any{}, protocol.CodeInvalid},
			"not a uuid":                 {protocol.EventMessagePin, pinOf("nope"), protocol.CodeInvalid},
			"a number":                   {protocol.EventMessageUnpin, map[string]any{"message_id": 12}, protocol.CodeInvalid},
			"a bad room_id":              {protocol.EventMessagePin, map[string]any{"message_id": m.ID, "room_id": "x"}, protocol.CodeInvalid},
		} {
			pe := refuse(t, g.a, tc.event, tc.data)
			if pe.Code != tc.code {
				t.Fatalf("%s: code %d (%v), want %d", name, pe.Code, pe.Detail, tc.code)
			}
		}
		if n := countRows(t, h, "rtchat_pins", ""); n != 0 {
			t.Fatalf("pin rows = %d, want 0", n)
		}
		for name, c := range map[string]*client.Client{"creator": g.a, "member 2": g.b} {
			noPinFrame(t, name, c)
		}
		// The connection still works.
		act(t, g.a, protocol.EventMessagePin, map[string]any{"message_id": strings.ToUpper(m.ID), "room_id": g.room.ID})
	})
}

func TestPinLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "cap", "participants": []int64{2}})
		var ids []string
		for i := 0; i <= protocol.MaxPinsPerRoom; i++ {
			ids = append(ids, send(t, a, room.ID, "m"+itoa64(int64(i))).ID)
		}
		for _, id := range ids[:protocol.MaxPinsPerRoom] {
			request(t, a, protocol.EventMessagePin, pinOf(id))
		}
		settlePins(t, a)
		pe := refuse(t, a, protocol.EventMessagePin, pinOf(ids[protocol.MaxPinsPerRoom]))
		wantError(t, pe, protocol.CodeInvalid, protocol.DetailTooManyPins)
		if n := countRows(t, h, "rtchat_pins", "room_id = ?", room.ID); n != protocol.MaxPinsPerRoom {
			t.Fatalf("pin rows = %d, want %d", n, protocol.MaxPinsPerRoom)
		}
		noPinFrame(t, "the creator", a)
		if got := roomPins(t, a, room.ID); len(got) != protocol.MaxPinsPerRoom {
			t.Fatalf("room.info lists %d pins", len(got))
		}
		// Pinning one already pinned at the cap is no change, not 4003.
		f := request(t, a, protocol.EventMessagePin, pinOf(ids[0]))
		if ev := decode[wirePinEvent](t, f); ev.Changed || !ev.Pinned {
			t.Fatalf("pinning a pinned message at the cap answered %s", f.Data)
		}
		// Unpinning one makes room for another.
		request(t, a, protocol.EventMessageUnpin, pinOf(ids[0]))
		request(t, a, protocol.EventMessagePin, pinOf(ids[protocol.MaxPinsPerRoom]))
		if n := countRows(t, h, "rtchat_pins", "room_id = ?", room.ID); n != protocol.MaxPinsPerRoom {
			t.Fatalf("pin rows = %d, want %d", n, protocol.MaxPinsPerRoom)
		}
		// A deleted message's pin does not count.
		request(t, a, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": ids[1]})
		request(t, a, protocol.EventMessagePin, pinOf(ids[0]))
	})
}

// TestPinLimitConcurrent pins from four connections at once, two admins on
// each node of a two-node harness: the room never holds more than the cap.
func TestPinLimitConcurrent(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a1, b1 := h.dial(t, 1), h.dial(t, 2)
		a2, b2 := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a1, map[string]any{"type": protocol.RoomGroup, "name": "race", "participants": []int64{2}})
		act(t, a1, protocol.EventRoomModify, modify(room.ID, "add_admin", map[string]any{"users": []int64{2}}))
		const total = protocol.MaxPinsPerRoom + 14
		var ids []string
		for i := 0; i < total; i++ {
			ids = append(ids, send(t, a1, room.ID, "m"+itoa64(int64(i))).ID)
		}
		conns := []*client.Client{a1, b1, a2, b2}
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for i, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := i; j < total; j += len(conns) {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					_, err := c.Request(ctx, protocol.EventMessagePin, pinOf(ids[j]))
					cancel()
					code := 0
					if err != nil {
						code = -1
						if pe, ok := protocol.AsError(err); ok {
							code = pe.Code
						}
					}
					mu.Lock()
					codes[code]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if codes[0] != protocol.MaxPinsPerRoom || codes[protocol.CodeInvalid] != total-protocol.MaxPinsPerRoom {
			t.Fatalf("answers by code = %v, want %d pinned and %d refused with 4003", codes, protocol.MaxPinsPerRoom, total-protocol.MaxPinsPerRoom)
		}
		if n := countRows(t, h, "rtchat_pins", "room_id = ?", room.ID); n != protocol.MaxPinsPerRoom {
			t.Fatalf("pin rows = %d, want %d", n, protocol.MaxPinsPerRoom)
		}
	})
}

func TestPinDeletedMessage(t *testing.T) {
	for _, soft := range []bool{false, true} {
		name := "hard delete"
		if soft {
			name = "soft delete"
		}
		t.Run(name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, h *harness) {
				g := newPinGroup(t, h)
				m1 := post(t, g.a, g.room.ID, "goes away")
				m2 := post(t, g.a, g.room.ID, "stays")
				act(t, g.a, protocol.EventMessagePin, pinOf(m1.ID))
				act(t, g.a, protocol.EventMessagePin, pinOf(m2.ID))
				act(t, g.a, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": m1.ID})
				for _, c := range []*client.Client{g.b, g.c} {
					if got := pinnedIDs(roomPins(t, c, g.room.ID)); !slices.Equal(got, []string{m2.ID}) {
						t.Fatalf("pins after the delete = %v, want [%s]", got, m2.ID)
					}
				}
				wantCode(t, refuse(t, g.a, protocol.EventMessageUnpin, pinOf(m1.ID)), protocol.CodeNotFound)
				wantCode(t, refuse(t, g.a, protocol.EventMessagePin, pinOf(m1.ID)), protocol.CodeNotFound)
			}, rtchat.WithSoftDelete(soft))
		})
	}
}

func TestPinsOff(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		g := newPinGroup(t, h)
		m := post(t, g.a, g.room.ID, "no pins here")
		for _, ev := range []string{protocol.EventMessagePin, protocol.EventMessageUnpin} {
			wantError(t, refuse(t, g.a, ev, pinOf(m.ID)), protocol.CodeInvalid, protocol.DetailInvalidEventType)
		}
		f := request(t, g.b, protocol.EventRoomInfo, roomData(g.room.ID))
		if _, ok := decode[map[string]any](t, f)["pins"]; ok {
			t.Fatalf("room.info with pins off has pins: %s", f.Data)
		}
		if n := countRows(t, h, "rtchat_pins", ""); n != 0 {
			t.Fatalf("pin rows = %d", n)
		}
	}, rtchat.WithPins(false))
}

// TestPinsOffKeepsAppEvent: an app's own message.pin (WithEvent) replaces
// the built-in, with pins on or off.
func TestPinsOffKeepsAppEvent(t *testing.T) {
	own := rtchat.WithEvent(protocol.EventMessagePin, func(_ context.Context, r *rtchat.EventRequest) error {
		return r.Reply("apppin.dispatch", map[string]any{"mine": true})
	})
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "pins on", false: "pins off"}[on], func(t *testing.T) {
			eachDB(t, func(t *testing.T, h *harness) {
				a := h.dial(t, 1)
				f := request(t, a, protocol.EventMessagePin, pinOf(uuid.NewString()))
				if f.EventType != "apppin.dispatch" {
					t.Fatalf("message.pin answered %s, want the app's", f.EventType)
				}
			}, rtchat.WithPins(on), own)
		})
	}
}

// everyonePins lets every member pin, and records what CanPin was asked.
type everyonePins struct {
	rtchat.DefaultPermissions
	mu    *sync.Mutex
	asked *[]string
}

func (p everyonePins) CanPin(_ context.Context, c rtchat.PermissionCheck) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	*p.asked = append(*p.asked, c.Action+" "+c.Message.ID)
	if c.Member == nil {
		return &rtchat.Error{Code: protocol.CodePermissionDenied, Detail: "members only"}
	}
	return nil
}

// TestPinCustomRule: CanPin decides, through WithPermissionHandler.
func TestPinCustomRule(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	eachDB(t, func(t *testing.T, h *harness) {
		g := newPinGroup(t, h)
		m := post(t, g.a, g.room.ID, "anyone may pin this")
		act(t, g.b, protocol.EventMessagePin, pinOf(m.ID))
		if ev := pinEvent(t, g.c); !ev.Pinned || ev.PinnedBy.ID != 2 {
			t.Fatalf("member 3 got %+v", ev)
		}
		act(t, g.c, protocol.EventMessageUnpin, pinOf(m.ID))
		mu.Lock()
		defer mu.Unlock()
		for _, want := range []string{protocol.EventMessagePin + " " + m.ID, protocol.EventMessageUnpin + " " + m.ID} {
			if !slices.Contains(asked, want) {
				t.Fatalf("CanPin was asked %v, want %q among them", asked, want)
			}
		}
	}, rtchat.WithPermissionHandler(everyonePins{mu: &mu, asked: &asked}))
}
