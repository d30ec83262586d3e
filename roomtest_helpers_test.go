package rtchat_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// everyFrameType is every key a client files frames under: each server
// event, error frames, and "" for frames that are not JSON objects.
var everyFrameType = []string{
	protocol.DispatchNotifications, protocol.DispatchMessage, protocol.DispatchDelivered,
	protocol.DispatchReadReceipt, protocol.DispatchReaction, protocol.DispatchEdits,
	protocol.DispatchTyping, protocol.DispatchModification, protocol.DispatchRoomCreate,
	protocol.DispatchRoomList, protocol.DispatchRoomInfo, protocol.DispatchRoomMessages,
	protocol.DispatchRoomAddMembers, protocol.DispatchRoomJoinRequest, protocol.DispatchRoomExit,
	protocol.DispatchRoomRemoveMembers, protocol.DispatchRoomUpdate, protocol.DispatchRoomDelete,
	protocol.DispatchHeartbeat, protocol.DispatchPresence, client.ErrorKey, "",
	protocol.DispatchRoomMute, protocol.DispatchRoomAudit,
}

// pendingFrames returns the frames c holds unread, by type.
func pendingFrames(c *client.Client) map[string]int {
	out := map[string]int{}
	for _, k := range everyFrameType {
		if n := c.Pending(k); n > 0 {
			out[k] = n
		}
	}
	return out
}

// quiet asserts that c has received nothing it has not read yet: after a
// barrier, no frame of any type is pending.
func quiet(t testing.TB, name string, c *client.Client) {
	t.Helper()
	barrier(t, c)
	if p := pendingFrames(c); len(p) > 0 {
		t.Fatalf("%s received %v, want nothing", name, p)
	}
}

// settle reads and drops whatever c has received so far.
func settle(t testing.TB, cs ...*client.Client) {
	t.Helper()
	for _, c := range cs {
		barrier(t, c)
		for _, k := range everyFrameType {
			c.Drain(k)
		}
	}
}

// only asserts that c received exactly one frame of eventType and nothing
// else, and returns it.
func only(t testing.TB, name string, c *client.Client, eventType string) map[string]any {
	t.Helper()
	f := next(t, c, eventType)
	quiet(t, name, c)
	return decode[map[string]any](t, f)
}

// namedUsers is an app's user lookup: users 1 to 100 exist, named userN.
func namedUsers(_ context.Context, ids []int64) (map[int64]rtchat.User, error) {
	out := map[int64]rtchat.User{}
	for _, id := range ids {
		if id >= 1 && id <= 100 {
			out[id] = rtchat.User{ID: id, Username: fmt.Sprint("user", id)}
		}
	}
	return out, nil
}

// count counts the rows of table matching where (with args).
func (h *harness) count(t testing.TB, table, where string, args ...any) int {
	t.Helper()
	var n int
	q := h.db.NewSelect().Table(table).ColumnExpr("count(*)")
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Scan(testCtx(t), &n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// members returns the user ids of a room's members, sorted.
func (h *harness) members(t testing.TB, roomID string) []int64 {
	t.Helper()
	var ids []int64
	err := h.db.NewSelect().Table("rtchat_members").Column("user_id").Where("room_id = ?", roomID).Order("user_id").Scan(testCtx(t), &ids)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// userIDsOf returns the ids of a list of wire users, sorted.
func userIDsOf(v any) []int64 {
	var ids []int64
	list, _ := v.([]any)
	for _, u := range list {
		if m, ok := u.(map[string]any); ok {
			if id, ok := m["id"].(float64); ok {
				ids = append(ids, int64(id))
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// strs returns a JSON list of strings as a Go slice.
func strs(v any) []string {
	out := []string{}
	list, _ := v.([]any)
	for _, s := range list {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

func wantIDs(t testing.TB, what string, got []int64, want ...int64) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func wantError(t testing.TB, pe *protocol.Error, code int, detail string) {
	t.Helper()
	wantCode(t, pe, code)
	if detail != "" && pe.Detail != detail {
		t.Fatalf("detail = %v, want %q", pe.Detail, detail)
	}
}

// roomData builds a room event's data: room_id plus key, value pairs.
func roomData(roomID string, kv ...any) map[string]any {
	m := map[string]any{"room_id": roomID}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// modify builds room.modify data.
func modify(roomID, action string, data map[string]any) map[string]any {
	return map[string]any{"room_id": roomID, "action": action, "data": data}
}

func joinStrings(s []string) string { return strings.Join(s, ",") }

// refuse is requestErr that also takes the error frame out of c's inbox, so
// that a later quiet(c) sees only what came after, and then makes a barrier
// on c (see act).
func refuse(t testing.TB, c *client.Client, event string, data any) *protocol.Error {
	t.Helper()
	pe := requestErr(t, c, event, data)
	next(t, c, client.ErrorKey)
	barrier(t, c)
	return pe
}

// act is request followed by a barrier on c. The caller's copy of a
// broadcast can arrive while the server is still writing the other
// members' copies; c's next frame is handled only once its handler has
// returned, so after the barrier every copy is queued on every connection,
// and a barrier on any of them then shows all it was sent.
func act(t testing.TB, c *client.Client, event string, data any) protocol.Frame {
	t.Helper()
	f := request(t, c, event, data)
	barrier(t, c)
	return f
}

// post is send followed by a barrier on c (see act).
func post(t testing.TB, c *client.Client, roomID, content string) wireMessage {
	t.Helper()
	m := send(t, c, roomID, content)
	barrier(t, c)
	return m
}
