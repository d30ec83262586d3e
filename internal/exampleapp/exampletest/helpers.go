package exampletest

import (
	"context"
	"testing"

	"github.com/rtchat/rtchat/client"
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
func CreateGroup(tb testing.TB, c *client.Client, name string, preferences map[string]any, members []int64, memberConns ...*client.Client) string {
	tb.Helper()
	data := map[string]any{"type": protocol.RoomGroup, "name": name, "participants": members}
	if preferences != nil {
		data["extra_fields"] = map[string]any{"property": map[string]any{"preferences": preferences}}
	}
	f := Request(tb, c, protocol.EventRoomCreate, data, protocol.DispatchRoomCreate)
	room := decode[roomDetail](tb, f)
	for _, m := range memberConns {
		got, err := m.Next(testCtx(tb), protocol.DispatchRoomCreate)
		if err != nil {
			tb.Fatalf("a member waiting for %s: %v", protocol.DispatchRoomCreate, err)
		}
		if decode[roomDetail](tb, got).ID != room.ID {
			tb.Fatalf("a member's %s is of another room than %s", protocol.DispatchRoomCreate, room.ID)
		}
	}
	return room.ID
}
