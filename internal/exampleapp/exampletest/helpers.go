package exampletest

import (
	"context"
	"testing"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// The helpers below are for the example apps' own tests, which add their
// scenarios to these.

// Ctx returns a context bounding one test's waits, ended with the test.
func Ctx(tb testing.TB) context.Context {
	tb.Helper()
	return testCtx(tb)
}

// WantCode fails the test unless err is a protocol error frame with code;
// what names the request in the failure.
func WantCode(tb testing.TB, what string, err error, code int) {
	tb.Helper()
	pe, ok := protocol.AsError(err)
	if !ok || pe.Code != code {
		tb.Fatalf("%s: %v, want error %d", what, err, code)
	}
}

// Request sends a request over c and fails the test unless it answers
// eventType; it returns the answer.
func Request(tb testing.TB, c *client.Client, event string, data any, eventType string) protocol.Frame {
	tb.Helper()
	f, err := c.Request(testCtx(tb), event, data)
	if err != nil {
		tb.Fatalf("%s: %v", event, err)
	}
	if f.EventType != eventType {
		tb.Fatalf("%s answered %s, want %s", event, f.EventType, eventType)
	}
	return f
}

// CreateGroup makes owner (over c) create a group called name with the
// users members, and waits until each of the members' connections has its
// roomcreate.dispatch, so they are in the room's fan-out. It returns the
// room id.
//
// The example apps' rule (exampleapp.Permissions) lets a group take only
// users who already share a room with its creator, so CreateGroup first
// opens a 1:1 between owner and each member, as a user would.
func CreateGroup(tb testing.TB, c *client.Client, name string, preferences map[string]any, members []int64, memberConns ...*client.Client) string {
	tb.Helper()
	for _, m := range members {
		_, err := c.Request(testCtx(tb), protocol.EventRoomCreate, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{m}})
		if pe, ok := protocol.AsError(err); err != nil && (!ok || pe.Code != protocol.CodeConflict) {
			tb.Fatalf("open a 1:1 with user %d: %v", m, err)
		}
	}
	data := map[string]any{"type": protocol.RoomGroup, "name": name, "participants": members}
	if preferences != nil {
		data["extra_fields"] = map[string]any{"property": map[string]any{"preferences": preferences}}
	}
	f := Request(tb, c, protocol.EventRoomCreate, data, protocol.DispatchRoomCreate)
	room := decode[roomDetail](tb, f)
	for _, m := range memberConns {
		for { // skipping the 1:1s opened above
			got, err := m.Next(testCtx(tb), protocol.DispatchRoomCreate)
			if err != nil {
				tb.Fatalf("a member waiting for %s: %v", protocol.DispatchRoomCreate, err)
			}
			if got := decode[roomDetail](tb, got); got.ID == room.ID {
				break
			} else if got.Type != protocol.RoomOneToOne {
				tb.Fatalf("a member's %s is of another room than %s", protocol.DispatchRoomCreate, room.ID)
			}
		}
	}
	return room.ID
}

// BuiltinEvents checks that rtchat's own events still work in an app that
// adds or changes some: in a new group of two users, a message.send reaches
// both, room.messages shows it, and a message.react reaches the sender.
func BuiltinEvents(t *testing.T, e *Env) {
	t.Helper()
	ctx := testCtx(t)
	ann := e.Register(t, "builtin-ann", "ann-password")
	bob := e.Register(t, "builtin-bob", "bob-password")
	a := e.Dial(t, e.WS, client.WithToken(ann.Token))
	b := e.Dial(t, e.WS, client.WithToken(bob.Token))
	room := CreateGroup(t, a, "built-in events", map[string]any{"theme": "dark"}, []int64{bob.ID}, b)

	f, err := a.SendMessage(ctx, room, "hi bob")
	if err != nil {
		t.Fatalf("message.send: %v", err)
	}
	sent := decode[message](t, f)
	if got := nextMessage(t, b, "bob"); got.ID != sent.ID || got.Content != "hi bob" || got.Sender.ID != ann.ID {
		t.Fatalf("bob got %+v, want ann's %q", got, "hi bob")
	}
	f = Request(t, b, protocol.EventRoomMessages, map[string]any{"room_id": room}, protocol.DispatchRoomMessages)
	if h := decode[history](t, f); len(h.Data.Messages) != 1 || h.Data.Messages[0].ID != sent.ID {
		t.Fatalf("room.messages = %s, want ann's message", f.Data)
	}
	Request(t, b, protocol.EventMessageReact, map[string]any{
		"type": "add", "message_id": sent.ID, "reaction_content": "👍",
	}, protocol.DispatchReaction)
	got, err := a.Next(ctx, protocol.DispatchReaction)
	if err != nil {
		t.Fatalf("ann waiting for bob's reaction: %v", err)
	}
	rx := decode[struct {
		Action  string  `json:"action"`
		Message message `json:"message"`
	}](t, got)
	if rx.Action != "add" || rx.Message.ID != sent.ID {
		t.Fatalf("ann's reaction.dispatch = %s, want bob's add on her message", got.Data)
	}
}

// Each runs fn, in parallel, on a fresh app built by build on SQLite and on
// Postgres (RTCHAT_TEST_POSTGRES; skipped without it outside CI).
func Each(t *testing.T, build Build, fn func(t *testing.T, e *Env)) {
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, Start(t, build, kind))
		})
	}
}
