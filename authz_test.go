package rtchat_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/uptrace/bun"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// The actors of the authorization matrix, in the order of its columns.
const (
	outsider = iota
	plainMember
	grantedMember
	admin
	creator
	actorCount
)

var actorNames = [actorCount]string{"outsider", "plain member", "granted member", "admin", "creator"}

// Their user ids. target is a plain member that actions apply to;
// newcomer is who room.add_members adds.
const (
	creatorID  int64 = 1
	adminID    int64 = 2
	grantedID  int64 = 3
	plainID    int64 = 4
	outsiderID int64 = 5
	targetID   int64 = 6
	newcomerID int64 = 7
)

var actorIDs = [actorCount]int64{outsiderID, plainID, grantedID, adminID, creatorID}

// Expected answers: ok, or the error code; na where the room type has no
// such actor (a 1:1 has no admins and no grants).
const (
	ok   = 0
	deny = protocol.CodePermissionDenied
	bad  = protocol.CodeInvalid
	na   = -1
)

// want is a row's expected answers by actor: outsider, plain member,
// granted member, admin, creator.
type want [actorCount]int

// roomKind is a column group of the matrix: how its rooms are made.
type roomKind struct {
	name string
	// create is room.create's data, sent by the creator.
	create map[string]any
	// promote makes adminID an admin ("" in a 1:1).
	promote string
	// grants are what grantedID is granted: every grant of the room type.
	grants []string
}

var matrixKinds = []roomKind{
	{name: "1:1", create: map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{plainID}}},
	{
		name:    "group",
		create:  map[string]any{"type": protocol.RoomGroup, "participants": []int64{adminID, grantedID, plainID, targetID}},
		promote: "add_admin", grants: []string{"can_add_new_participants", "can_remove_participants"},
	},
	{
		name: "locked group with approval",
		create: map[string]any{"type": protocol.RoomGroup, "participants": []int64{adminID, grantedID, plainID, targetID},
			"extra_fields": map[string]any{"group_locked": true, "join_approval_required": true}},
		promote: "add_admin", grants: []string{"can_add_new_participants", "can_remove_participants"},
	},
	{
		name: "public channel",
		create: map[string]any{"type": protocol.RoomChannel, "subscribers": []int64{adminID, grantedID, plainID, targetID},
			"extra_fields": map[string]any{"is_public": true}},
		promote: "add_moderator", grants: []string{"can_add_new_subscribers", "can_remove_subscribers", "can_send_messages"},
	},
	{
		name:    "private channel",
		create:  map[string]any{"type": protocol.RoomChannel, "subscribers": []int64{adminID, grantedID, plainID, targetID}},
		promote: "add_moderator", grants: []string{"can_add_new_subscribers", "can_remove_subscribers", "can_send_messages"},
	},
}

// fixture is the room one cell of the matrix runs in.
type fixture struct {
	roomID string
	// messageID is the creator's message in the room.
	messageID string
	kind      roomKind
	cell      int
}

func (fx fixture) grant() string {
	if len(fx.kind.grants) == 0 {
		return "can_send_messages"
	}
	return fx.kind.grants[0]
}

// matrixRow is one event (or room.modify action) of the matrix.
type matrixRow struct {
	event string
	data  func(fx fixture) any
	// want is keyed by roomKind.name.
	want map[string]want
}

// same gives every kind but the 1:1 the same answers.
func same(oneToOne, others want) map[string]want {
	out := map[string]want{}
	for _, k := range matrixKinds {
		out[k.name] = others
	}
	out["1:1"] = oneToOne
	return out
}

func modifyRow(action string, data func(fx fixture) map[string]any, w map[string]want) matrixRow {
	return matrixRow{event: protocol.EventRoomModify + " " + action, want: w, data: func(fx fixture) any {
		var d map[string]any
		if data != nil {
			d = data(fx)
		}
		return modify(fx.roomID, action, d)
	}}
}

func users(ids ...int64) func(fixture) map[string]any {
	return func(fixture) map[string]any { return map[string]any{"users": ids} }
}

func grantTo(id int64) func(fixture) map[string]any {
	return func(fx fixture) map[string]any {
		return map[string]any{"users": []int64{id}, "permissions": []string{fx.grant()}}
	}
}

// matrixRows is every event on this branch. Message events added later get
// a row each here.
var matrixRows = []matrixRow{
	{
		event: protocol.EventMessageSend,
		data:  func(fx fixture) any { return roomData(fx.roomID, "content", "hello") },
		want:  sendRule,
	},
	{
		event: protocol.EventRoomInfo,
		data:  func(fx fixture) any { return roomData(fx.roomID) },
		want:  same(want{deny, ok, na, na, ok}, want{deny, ok, ok, ok, ok}),
	},
	{
		event: protocol.EventRoomMessages,
		data:  func(fx fixture) any { return roomData(fx.roomID) },
		want:  same(want{deny, ok, na, na, ok}, want{deny, ok, ok, ok, ok}),
	},
	{
		event: protocol.EventThreadList,
		data:  func(fx fixture) any { return roomData(fx.roomID) },
		want:  same(want{deny, ok, na, na, ok}, want{deny, ok, ok, ok, ok}),
	},
	{
		event: protocol.EventRoomList,
		data:  func(fixture) any { return nil },
		want:  same(want{ok, ok, na, na, ok}, want{ok, ok, ok, ok, ok}),
	},
	{
		event: protocol.EventRoomCreate,
		data: func(fx fixture) any {
			return map[string]any{"type": protocol.RoomGroup, "name": fmt.Sprint("own-", fx.cell)}
		},
		want: same(want{ok, ok, na, na, ok}, want{ok, ok, ok, ok, ok}),
	},
	{
		event: protocol.EventRoomJoin,
		data:  func(fx fixture) any { return roomData(fx.roomID) },
		want: map[string]want{
			"1:1":                        {bad, ok, na, na, ok},
			"group":                      {bad, ok, ok, ok, ok},
			"locked group with approval": {ok, ok, ok, ok, ok}, // the outsider's request waits for an admin
			"public channel":             {ok, ok, ok, ok, ok},
			"private channel":            {bad, ok, ok, ok, ok},
		},
	},
	{
		event: protocol.EventRoomLeave,
		data:  func(fx fixture) any { return roomData(fx.roomID) },
		want:  same(want{deny, bad, na, na, bad}, want{deny, ok, ok, ok, ok}),
	},
	{
		event: protocol.EventRoomAddMembers,
		data:  func(fx fixture) any { return roomData(fx.roomID, "members", []int64{newcomerID}) },
		want:  same(want{deny, bad, na, na, bad}, want{deny, deny, ok, ok, ok}),
	},
	{
		event: protocol.EventRoomRemoveMembers,
		data:  func(fx fixture) any { return roomData(fx.roomID, "members", []int64{targetID}) },
		want:  same(want{deny, bad, na, na, bad}, want{deny, deny, ok, ok, ok}),
	},
	messageRow(protocol.EventMessageRead, nil),
	messageRow(protocol.EventMessageAcknowledged, nil),
	messageRow(protocol.EventMessageEdits, nil),
	messageRow(protocol.EventMessageReact, map[string]any{"type": "add", "reaction_content": "👍"}),
	{
		event: protocol.EventMessageTyping,
		data:  func(fx fixture) any { return roomData(fx.roomID) },
		want:  sendRule,
	},
	{
		event: protocol.EventMessageModify + " update",
		data: func(fx fixture) any {
			return map[string]any{"action": "update", "message_id": fx.messageID, "extra_fields": map[string]any{"content": "edited"}}
		},
		want: same(want{deny, deny, na, na, ok}, want{deny, deny, deny, deny, ok}),
	},
	{
		event: protocol.EventMessageModify + " delete",
		data:  func(fx fixture) any { return map[string]any{"action": "delete", "message_id": []string{fx.messageID}} },
		want:  same(want{deny, deny, na, na, ok}, want{deny, deny, deny, deny, ok}),
	},
	{
		// Search in the cell's room: readers only, as room.messages.
		event: protocol.EventMessageSearch + " in the room",
		data: func(fx fixture) any {
			return map[string]any{"room_id": fx.roomID, "query": fmt.Sprintf("%04d", fx.cell)}
		},
		want: same(want{deny, ok, na, na, ok}, want{deny, ok, ok, ok, ok}),
	},
	{
		// Search in all the caller's rooms: anyone, finding only their own
		// rooms' messages (checkOutsider sees that the outsider gets none
		// of the cells' secrets).
		event: protocol.EventMessageSearch + " in all rooms",
		data:  func(fixture) any { return map[string]any{"query": "secret message"} },
		want:  same(want{ok, ok, na, na, ok}, want{ok, ok, ok, ok, ok}),
	},
	modifyRow("update", func(fixture) map[string]any {
		return map[string]any{"property": map[string]any{"preferences": map[string]any{"pinned": true}}}
	}, same(want{deny, ok, na, na, ok}, want{deny, deny, deny, ok, ok})),
	modifyRow("delete", nil, same(want{deny, ok, na, na, ok}, want{deny, deny, deny, deny, ok})),
	modifyRow("add_admin", users(targetID), groupsOnly()),
	modifyRow("remove_admin", users(adminID), groupsOnly()),
	modifyRow("add_moderator", users(targetID), channelsOnly()),
	modifyRow("remove_moderator", users(adminID), channelsOnly()),
	modifyRow("add_permission", grantTo(targetID), same(want{deny, bad, na, na, bad}, want{deny, deny, deny, ok, ok})),
	modifyRow("remove_permission", grantTo(grantedID), same(want{deny, bad, na, na, bad}, want{deny, deny, deny, ok, ok})),
	moderationRow(protocol.EventRoomMute),
	moderationRow(protocol.EventRoomUnmute),
	moderationRow(protocol.EventRoomBan),
	moderationRow(protocol.EventRoomUnban),
	{
		event: protocol.EventRoomAudit,
		data:  func(fx fixture) any { return roomData(fx.roomID) },
		want:  same(want{deny, bad, na, na, bad}, want{deny, deny, deny, ok, ok}),
	},
}

// moderationRow is a moderation event on the target member: for the
// room's admins, never in a 1:1 (4003, where the target is no member).
func moderationRow(event string) matrixRow {
	return matrixRow{event: event, data: func(fx fixture) any { return roomData(fx.roomID, "user_id", targetID) },
		want: same(want{deny, bad, na, na, bad}, want{deny, deny, deny, ok, ok})}
}

// messageRow is a member-only event on the creator's message of the cell:
// data plus message_id.
func messageRow(event string, data map[string]any) matrixRow {
	return matrixRow{event: event, want: same(want{deny, ok, na, na, ok}, want{deny, ok, ok, ok, ok}), data: func(fx fixture) any {
		d := maps.Clone(data)
		if d == nil {
			d = map[string]any{}
		}
		d["message_id"] = fx.messageID
		return d
	}}
}

// sendRule is who may send (and signal typing): a 1:1's participants; a
// group's members (only admins when locked); a channel's admins and members
// granted can_send_messages.
var sendRule = map[string]want{
	"1:1":                        {deny, ok, na, na, ok},
	"group":                      {deny, ok, ok, ok, ok},
	"locked group with approval": {deny, deny, deny, ok, ok},
	"public channel":             {deny, deny, ok, ok, ok},
	"private channel":            {deny, deny, ok, ok, ok},
}

// groupsOnly: an admin action of groups; channels answer 4003 to admins.
func groupsOnly() map[string]want {
	w := same(want{deny, bad, na, na, bad}, want{deny, deny, deny, ok, ok})
	w["public channel"] = want{deny, deny, deny, bad, bad}
	w["private channel"] = want{deny, deny, deny, bad, bad}
	return w
}

// channelsOnly: a moderator action of channels; groups answer 4003 to admins.
func channelsOnly() map[string]want {
	w := same(want{deny, bad, na, na, bad}, want{deny, deny, deny, ok, ok})
	w["group"] = want{deny, deny, deny, bad, bad}
	w["locked group with approval"] = want{deny, deny, deny, bad, bad}
	return w
}

// TestAuthorizationMatrix runs every event for every room kind and every
// actor, each cell in a room of its own, and checks the answer. A refused
// request must reach nobody else; and the outsider, watched on a second
// connection that never sends, must never receive a byte of a room it is
// not in: not its name, not its messages, not its members.
func TestAuthorizationMatrix(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		conns := map[int64]*client.Client{}
		for _, id := range []int64{creatorID, adminID, grantedID, plainID, targetID, newcomerID} {
			conns[id] = h.dial(t, id)
		}
		out := h.dialTap(t, outsiderID)
		spy := h.dialTap(t, outsiderID)

		// secrets are, per room the outsider was not let into, what must
		// never reach it.
		secrets := map[string][]string{}
		joined := map[string]bool{}
		cells, skipped := 0, 0
		for _, row := range matrixRows {
			for _, kind := range matrixKinds {
				w, found := row.want[kind.name]
				if !found {
					t.Fatalf("%s has no expectation for %s", row.event, kind.name)
				}
				for actor, code := range w {
					if code == na {
						skipped++
						continue
					}
					cells++
					fx := setupCell(t, h, conns, kind, cells)
					secrets[fx.roomID] = []string{fx.roomID, roomSecret(cells), messageSecret(cells)}
					name := fmt.Sprintf("%s / %s / %s", row.event, kind.name, actorNames[actor])
					event, _, _ := cutEvent(row.event)
					observer := conns[plainID]
					barrier(t, observer)
					before := pendingFrames(observer)

					var got protocol.Frame
					if actor == outsider {
						got = out.request(t, event, row.data(fx))
						out.request(t, protocol.EventSessionHeartbeat, nil) // a barrier: see act
					} else {
						got, _ = conns[actorIDs[actor]].Request(testCtx(t), event, row.data(fx))
						barrier(t, conns[actorIDs[actor]])
					}
					gotCode := ok
					if got.Error != nil {
						gotCode = got.Error.Code
					}
					if gotCode != code {
						t.Errorf("%s: got %d (%s %v), want %d", name, gotCode, got.EventType, errDetail(got), code)
						continue
					}
					if gotCode != ok {
						if actor != outsider {
							next(t, conns[actorIDs[actor]], client.ErrorKey)
						}
						barrier(t, observer)
						if after := pendingFrames(observer); !maps.Equal(before, after) {
							t.Errorf("%s: refused, yet a member received %v (had %v)", name, after, before)
						}
					}
					if actor == outsider && gotCode == ok {
						switch {
						case event == protocol.EventRoomJoin && kind.name == "public channel":
							joined[fx.roomID] = true // let in: the room is the outsider's from now on
						case event == protocol.EventRoomCreate:
							joined[decode[wireRoom](t, got).ID] = true
						}
					}
				}
			}
		}
		t.Logf("authorization matrix: %d events x %d room kinds x %d actors = %d cells run (%d not applicable)",
			len(matrixRows), len(matrixKinds), actorCount, cells, skipped)

		peers := joinedPeers(t, h, joined)
		checkOutsider(t, "the outsider's connection", out.all(), secrets, joined, peers, false)
		checkOutsider(t, "the outsider's silent connection", spy.all(), secrets, joined, peers, true)
	})
}

// joinedPeers is everyone who is, or was when it was made, a member of a
// room the outsider joined or created: the users whose presence it may see.
func joinedPeers(t *testing.T, h *harness, joined map[string]bool) map[int64]bool {
	t.Helper()
	peers := map[int64]bool{}
	if len(joined) == 0 {
		return peers
	}
	// Every room the outsider joins is a public channel of the matrix or
	// one it created: their members at creation are these.
	for _, kind := range matrixKinds {
		if kind.name == "public channel" {
			peers[creatorID] = true
			for _, id := range kind.create["subscribers"].([]int64) {
				peers[id] = true
			}
		}
	}
	var ids []int64
	err := h.db.NewSelect().Table("rtchat_members").Column("user_id").
		Where("room_id IN (?)", bun.In(slices.Collect(maps.Keys(joined)))).Scan(testCtx(t), &ids)
	if err != nil {
		t.Fatalf("members of the outsider's rooms: %v", err)
	}
	for _, id := range ids {
		peers[id] = true
	}
	return peers
}

// setupCell makes a fresh room of kind for one cell: the creator creates
// it, promotes adminID, grants grantedID every grant of the type and posts
// a message. Its name and the message are secrets of the cell.
func setupCell(t *testing.T, h *harness, conns map[int64]*client.Client, kind roomKind, cell int) fixture {
	t.Helper()
	c := conns[creatorID]
	data := maps.Clone(kind.create)
	if kind.name != "1:1" {
		data["name"] = roomSecret(cell)
	} else {
		// One 1:1 per pair: the previous cell's must go first.
		deleteOneToOnes(t, h, c)
	}
	room := createRoom(t, c, data)
	if kind.promote != "" {
		request(t, c, protocol.EventRoomModify, modify(room.ID, kind.promote, map[string]any{"users": []int64{adminID}}))
		request(t, c, protocol.EventRoomModify, modify(room.ID, "add_permission", map[string]any{"users": []int64{grantedID}, "permissions": kind.grants}))
	}
	m := post(t, c, room.ID, messageSecret(cell))
	return fixture{roomID: room.ID, messageID: m.ID, kind: kind, cell: cell}
}

// deleteOneToOnes deletes the creator's 1:1 rooms with the plain member.
func deleteOneToOnes(t *testing.T, h *harness, c *client.Client) {
	t.Helper()
	var ids []string
	err := h.db.NewSelect().Table("rtchat_rooms").Column("id").Where("type = ?", protocol.RoomOneToOne).Scan(testCtx(t), &ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		request(t, c, protocol.EventRoomModify, modify(id, "delete", nil))
	}
}

func roomSecret(cell int) string    { return fmt.Sprintf("secret-room-%04d", cell) }
func messageSecret(cell int) string { return fmt.Sprintf("secret-message-%04d", cell) }

// cutEvent splits "room.modify update" into the event and the action.
func cutEvent(s string) (event, action string, hasAction bool) {
	i := bytes.IndexByte([]byte(s), ' ')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

func errDetail(f protocol.Frame) any {
	if f.Error == nil {
		return nil
	}
	return f.Error.Detail
}

// checkOutsider looks at every frame an outsider's connection received. No
// frame may carry a room's secrets unless the outsider joined that room;
// error details are the fixed texts only. The silent connection sends
// nothing, so it may receive only the rooms the outsider joined.
//
// A presence.dispatch may reach the silent connection only about peers:
// users who were members of a room the outsider joined. Such frames are
// not counted; they come when a node's presence is recorded again (its
// liveness lapsed under load and it was reaped), which a test cannot rule
// out.
func checkOutsider(t *testing.T, name string, frames [][]byte, secrets map[string][]string, joined map[string]bool, peers map[int64]bool, silent bool) {
	t.Helper()
	fixed := []any{protocol.DetailPermissionDenied, protocol.DetailAskAdmin, protocol.DetailNotFound}
	presence := 0
	for i, raw := range frames {
		var f protocol.Frame
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Errorf("%s: frame %d is not JSON: %s", name, i, raw)
			continue
		}
		if f.Error != nil && !slices.Contains(fixed, f.Error.Detail) {
			t.Errorf("%s: error detail %v is not one of the fixed texts", name, f.Error.Detail)
		}
		for roomID, ss := range secrets {
			if joined[roomID] {
				continue
			}
			for j, s := range ss {
				if !bytes.Contains(raw, []byte(s)) {
					continue
				}
				// The outsider sent the room id itself; only a join
				// request's answer may give it back.
				if j == 0 && f.EventType == protocol.DispatchRoomJoinRequest && !silent {
					continue
				}
				t.Errorf("%s: frame %d (%s) carries %q of a room the outsider is not in:\n%s", name, i, f.EventType, s, raw)
			}
		}
		if silent && f.EventType == protocol.DispatchPresence {
			presence++
			var d struct {
				Users []struct {
					UserID int64 `json:"user_id"`
				} `json:"users"`
			}
			_ = json.Unmarshal(f.Data, &d)
			for _, u := range d.Users {
				if !peers[u.UserID] {
					t.Errorf("%s received presence of user %d, who shares no room with the outsider:\n%s", name, u.UserID, raw)
				}
			}
			continue
		}
		if silent && f.EventType != protocol.DispatchNotifications {
			var d struct {
				Room struct {
					ID string `json:"id"`
				} `json:"room"`
			}
			_ = json.Unmarshal(f.Data, &d)
			id := d.Room.ID
			if f.EventType == protocol.DispatchRoomCreate {
				var r wireRoom
				_ = json.Unmarshal(f.Data, &r)
				id = r.ID
			}
			if f.EventType != protocol.DispatchRoomAddMembers && f.EventType != protocol.DispatchRoomCreate || !joined[id] {
				t.Errorf("%s received %s, which is not about a room the outsider joined or created:\n%s", name, f.EventType, raw)
			}
		}
	}
	if silent {
		if got, want := len(frames)-presence, 1+len(joined); got != want {
			t.Errorf("%s received %d frames, want %d (chat.notifications and one per room joined or created)", name, got, want)
		}
	}
}
