package rtchat_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// modRoom is a group for the moderation tests: user 1 creates it (its
// admin), user 2 is made an admin, users 3 and 4 are plain members. On two
// nodes, users 1 and 3 are on node 0, users 2 and 4 on node 1.
type modRoom struct {
	id                 string
	owner, admin, m, o *client.Client
}

func newModRoom(t *testing.T, h *harness) modRoom {
	t.Helper()
	r := modRoom{owner: h.dial(t, 1), admin: h.dial(t, 2), m: h.dial(t, 3), o: h.dial(t, 4)}
	g := createRoom(t, r.owner, map[string]any{"type": protocol.RoomGroup, "name": "mods", "participants": []int64{2, 3, 4}})
	r.id = g.ID
	act(t, r.owner, protocol.EventRoomModify, modify(g.ID, "add_admin", map[string]any{"users": []int64{2}}))
	settle(t, r.all()...)
	return r
}

func (r modRoom) all() []*client.Client { return []*client.Client{r.owner, r.admin, r.m, r.o} }

func modData(roomID string, userID int64, kv ...any) map[string]any {
	return roomData(roomID, append([]any{"user_id", userID}, kv...)...)
}

// TestModerationMuteRefusesEveryWrite: a muted member may read but every
// write event is refused with 4002 and changes nothing, also when the mute
// was taken on the other node (on two nodes the admin, user 2, is on node
// 1 and user 3 on node 0); an unmute lets them write again.
func TestModerationMuteRefusesEveryWrite(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		r := newModRoom(t, h)
		own := post(t, r.m, r.id, "mine")
		other := post(t, r.owner, r.id, "theirs")
		act(t, r.m, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": other.ID, "reaction_content": "+1"})
		settle(t, r.all()...)

		// The admin (node 1) mutes user 3 (node 0); the room is told.
		f := act(t, r.admin, protocol.EventRoomMute, modData(r.id, 3))
		if f.EventType != protocol.DispatchRoomMute {
			t.Fatalf("room.mute answered %s", f.EventType)
		}
		for _, c := range []*client.Client{r.owner, r.m, r.o} {
			got := decode[map[string]any](t, next(t, c, protocol.DispatchRoomMute))
			user, _ := got["user"].(map[string]any)
			by, _ := got["muted_by"].(map[string]any)
			if got["room_id"] != r.id || got["muted"] != true || got["until"] != nil || user["id"] != float64(3) || by["id"] != float64(2) {
				t.Fatalf("roommute.dispatch = %v", got)
			}
		}
		settle(t, r.all()...)
		msgs := h.count(t, "rtchat_messages", "room_id = ?", r.id)

		writes := []struct {
			name  string
			event string
			data  map[string]any
		}{
			{"message.send", protocol.EventMessageSend, map[string]any{"room_id": r.id, "content": "hi"}},
			{"message.send with client_msg_id", protocol.EventMessageSend, map[string]any{"room_id": r.id, "content": "hi", "client_msg_id": "k1"}},
			{"message.send reply", protocol.EventMessageSend, map[string]any{"room_id": r.id, "content": "re", "extra_fields": map[string]any{"parent_message_id": other.ID}}},
			{"message.react add", protocol.EventMessageReact, map[string]any{"type": "add", "message_id": own.ID, "reaction_content": "x"}},
			{"message.react replace", protocol.EventMessageReact, map[string]any{"type": "add", "message_id": other.ID, "reaction_content": "y"}},
			{"message.react remove", protocol.EventMessageReact, map[string]any{"type": "remove", "message_id": other.ID}},
			{"message.typing", protocol.EventMessageTyping, map[string]any{"room_id": r.id}},
			{"message.modify update own", protocol.EventMessageModify, update(own.ID, "edited")},
			{"message.modify delete own", protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": own.ID}},
		}
		for _, w := range writes {
			t.Run(w.name, func(t *testing.T) {
				wantError(t, refuse(t, r.m, w.event, w.data), protocol.CodePermissionDenied, protocol.DetailMuted)
			})
		}
		for _, c := range []*client.Client{r.owner, r.admin, r.o} {
			quiet(t, "another member", c)
		}
		if n := h.count(t, "rtchat_messages", "room_id = ?", r.id); n != msgs {
			t.Fatalf("%d messages after the refused sends, want %d", n, msgs)
		}
		if n := h.count(t, "rtchat_messages", "id = ? AND content = ? AND is_deleted = ?", own.ID, "mine", false); n != 1 {
			t.Fatal("the muted member's own message changed")
		}
		if n := h.count(t, "rtchat_reactions", "message_id = ? AND user_id = 3 AND reaction_content = '+1'", other.ID); n != 1 {
			t.Fatal("the muted member's reaction changed")
		}

		// Reading is what a muted member may do: history, read receipts.
		request(t, r.m, protocol.EventRoomMessages, map[string]any{"room_id": r.id})
		act(t, r.m, protocol.EventMessageRead, map[string]any{"message_id": other.ID})
		settle(t, r.all()...)

		// Unmuted (by the owner, on user 3's node), user 3 writes again.
		act(t, r.owner, protocol.EventRoomUnmute, modData(r.id, 3))
		got := decode[map[string]any](t, next(t, r.m, protocol.DispatchRoomMute))
		if got["muted"] != false || got["until"] != nil {
			t.Fatalf("unmute roommute.dispatch = %v", got)
		}
		settle(t, r.all()...)
		post(t, r.m, r.id, "back")
		act(t, r.m, protocol.EventMessageModify, update(own.ID, "edited"))
		act(t, r.m, protocol.EventMessageTyping, map[string]any{"room_id": r.id})
	})
}

// TestModerationMuteExpires: a mute with until ends by itself.
func TestModerationMuteExpires(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		r := newModRoom(t, h)
		until := time.Now().Add(1500 * time.Millisecond).UTC()
		f := act(t, r.owner, protocol.EventRoomMute, modData(r.id, 3, "until", until.Format(time.RFC3339Nano)))
		got := decode[map[string]any](t, f)
		if s, _ := got["until"].(string); s == "" {
			t.Fatalf("roommute.dispatch until = %v, want the time", got["until"])
		} else if at, err := time.Parse(time.RFC3339Nano, s); err != nil || !at.Equal(until.Truncate(time.Microsecond)) {
			t.Fatalf("until = %s, want %s", s, until)
		}
		settle(t, r.all()...)
		wantError(t, refuse(t, r.m, protocol.EventMessageSend, map[string]any{"room_id": r.id, "content": "early"}), protocol.CodePermissionDenied, protocol.DetailMuted)
		for deadline := time.Now().Add(10 * time.Second); ; {
			_, err := r.m.SendMessage(testCtx(t), r.id, "later")
			if err == nil {
				break
			}
			if pe, ok := protocol.AsError(err); !ok || pe.Code != protocol.CodePermissionDenied || time.Now().After(deadline) {
				t.Fatalf("send after the mute's end: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// TestModerationBan: a banned member is removed with the frames of
// room.remove_members and cannot join a public channel or be added again
// until unbanned; a ban with until ends by itself.
func TestModerationBan(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		owner, banned, other := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
		ch := createRoom(t, owner, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2, 3},
			"extra_fields": map[string]any{"is_public": true}})
		settle(t, owner, banned, other)

		act(t, owner, protocol.EventRoomBan, modData(ch.ID, 2, "reason", "spam"))
		exit := only(t, "the banned user", banned, protocol.DispatchRoomExit)
		if exit["message"] != "You have been banned by 1" {
			t.Fatalf("roomexit.dispatch message = %v", exit["message"])
		}
		removed := only(t, "another member", other, protocol.DispatchRoomRemoveMembers)
		if joinStrings(strs(removed["removed_members"])) != "2" || removed["removed_by"] != "1" {
			t.Fatalf("roomremovemembers.dispatch = %v", removed)
		}
		settle(t, owner)
		wantIDs(t, "members", h.members(t, ch.ID), 1, 3)

		wantError(t, refuse(t, banned, protocol.EventRoomJoin, roomData(ch.ID)), protocol.CodePermissionDenied, protocol.DetailBanned)
		wantError(t, refuse(t, owner, protocol.EventRoomAddMembers, roomData(ch.ID, "members", []int64{2})), protocol.CodePermissionDenied, protocol.DetailUserBanned)
		wantError(t, refuse(t, banned, protocol.EventMessageSend, map[string]any{"room_id": ch.ID, "content": "let me in"}), protocol.CodePermissionDenied, "")
		wantIDs(t, "members", h.members(t, ch.ID), 1, 3)
		quiet(t, "another member", other)

		act(t, owner, protocol.EventRoomUnban, modData(ch.ID, 2))
		act(t, banned, protocol.EventRoomJoin, roomData(ch.ID))
		wantIDs(t, "members after the unban", h.members(t, ch.ID), 1, 2, 3)
		settle(t, owner, banned, other)

		// A timed ban of a member who is not in the room (user 4): it holds, then ends.
		until := time.Now().Add(1500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
		act(t, owner, protocol.EventRoomBan, modData(ch.ID, 4, "until", until))
		late := h.dial(t, 4)
		wantError(t, refuse(t, late, protocol.EventRoomJoin, roomData(ch.ID)), protocol.CodePermissionDenied, protocol.DetailBanned)
		for deadline := time.Now().Add(10 * time.Second); ; {
			_, err := late.Request(testCtx(t), protocol.EventRoomJoin, roomData(ch.ID))
			if err == nil {
				break
			}
			if pe, ok := protocol.AsError(err); !ok || pe.Code != protocol.CodePermissionDenied || time.Now().After(deadline) {
				t.Fatalf("join after the ban's end: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		wantIDs(t, "members after the ban ended", h.members(t, ch.ID), 1, 2, 3, 4)
	})
}

// TestModerationDeleteOthers: admins delete others' messages in groups and
// channels, and the dispatch says who did; plain members cannot, and
// nobody edits another's message.
func TestModerationDeleteOthers(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		r := newModRoom(t, h)
		m := post(t, r.m, r.id, "off topic")
		settle(t, r.all()...)
		wantCode(t, refuse(t, r.o, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": m.ID}), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, r.o, protocol.EventMessageModify, update(m.ID, "mine now")), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, r.admin, protocol.EventMessageModify, update(m.ID, "edited by an admin")), protocol.CodePermissionDenied)
		if n := h.count(t, "rtchat_messages", "id = ? AND content = ?", m.ID, "off topic"); n != 1 {
			t.Fatal("the message changed after the refusals")
		}

		act(t, r.admin, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": m.ID})
		for _, c := range r.all() {
			got := decode[map[string]any](t, next(t, c, protocol.DispatchModification))
			by, _ := got["deleted_by"].(map[string]any)
			if got["action"] != "delete" || by["id"] != float64(2) || len(strs(got["message_ids"])) != 1 || strs(got["message_ids"])[0] != m.ID {
				t.Fatalf("messagemodification.dispatch = %v", got)
			}
		}
		if n := h.count(t, "rtchat_messages", "id = ?", m.ID); n != 0 {
			t.Fatal("the message is still stored")
		}
		settle(t, r.all()...)

		// Nobody but the creator deletes the creator's messages.
		cm0 := post(t, r.owner, r.id, "from the creator")
		settle(t, r.all()...)
		wantCode(t, refuse(t, r.admin, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": cm0.ID}), protocol.CodePermissionDenied)

		// A sender deleting their own message is named too.
		own := post(t, r.o, r.id, "oops")
		settle(t, r.all()...)
		act(t, r.o, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": own.ID})
		got := decode[map[string]any](t, next(t, r.owner, protocol.DispatchModification))
		if by, _ := got["deleted_by"].(map[string]any); by["id"] != float64(4) {
			t.Fatalf("deleted_by = %v, want user 4", got["deleted_by"])
		}

		// The audit trail has the admin's deletion, not the sender's own.
		entries := audit(t, r.owner, r.id, nil)
		if len(entries) != 1 || entries[0]["action"] != "delete_message" || entries[0]["message_id"] != m.ID ||
			entries[0]["actor"].(map[string]any)["id"] != float64(2) || entries[0]["target"].(map[string]any)["id"] != float64(3) {
			t.Fatalf("audit = %v", entries)
		}

		// In a channel, its moderator deletes a subscriber's message.
		ch := createRoom(t, r.owner, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{3}})
		act(t, r.owner, protocol.EventRoomModify, modify(ch.ID, "add_permission", map[string]any{"users": []int64{3}, "permissions": []string{"can_send_messages"}}))
		settle(t, r.all()...)
		cm := post(t, r.m, ch.ID, "subscriber says")
		act(t, r.owner, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": cm.ID})
		if n := h.count(t, "rtchat_messages", "id = ?", cm.ID); n != 0 {
			t.Fatal("the channel message is still stored")
		}

		// In a 1:1 nobody deletes the other's message.
		dm := createRoom(t, r.owner, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{3}})
		settle(t, r.all()...)
		pm := post(t, r.m, dm.ID, "private")
		wantCode(t, refuse(t, r.owner, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": pm.ID}), protocol.CodePermissionDenied)
	})
}

// audit reads a page of a room's audit trail as c.
func audit(t *testing.T, c *client.Client, roomID string, data map[string]any) []map[string]any {
	t.Helper()
	if data == nil {
		data = map[string]any{}
	}
	data["room_id"] = roomID
	f := request(t, c, protocol.EventRoomAudit, data)
	if f.EventType != protocol.DispatchRoomAudit {
		t.Fatalf("room.audit answered %s", f.EventType)
	}
	c.Drain(protocol.DispatchRoomAudit)
	page := decode[struct {
		RoomID  string           `json:"room_id"`
		Entries []map[string]any `json:"entries"`
		HasMore bool             `json:"has_more"`
	}](t, f)
	if page.RoomID != roomID {
		t.Fatalf("audit room_id = %s", page.RoomID)
	}
	return page.Entries
}

// TestModerationAudit: the trail lists mute, unmute, ban and unban
// newest first, pages by before_id, and is for the room's admins only;
// an outsider is answered as room.info answers them.
func TestModerationAudit(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		r := newModRoom(t, h)
		until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		act(t, r.owner, protocol.EventRoomMute, modData(r.id, 3, "until", until.Format(time.RFC3339)))
		act(t, r.owner, protocol.EventRoomUnmute, modData(r.id, 3))
		act(t, r.admin, protocol.EventRoomBan, modData(r.id, 4, "reason", "<b>rude</b><script>x()</script>"))
		act(t, r.owner, protocol.EventRoomUnban, modData(r.id, 4))
		settle(t, r.all()...)

		entries := audit(t, r.owner, r.id, nil)
		var actions []string
		for _, e := range entries {
			actions = append(actions, e["action"].(string))
		}
		if joinStrings(actions) != "unban,ban,unmute,mute" {
			t.Fatalf("actions = %v", actions)
		}
		ban, mute := entries[1], entries[3]
		if ban["actor"].(map[string]any)["id"] != float64(2) || ban["target"].(map[string]any)["id"] != float64(4) || ban["reason"] != "<b>rude</b>" {
			t.Fatalf("ban entry = %v", ban)
		}
		if at, _ := time.Parse(time.RFC3339Nano, mute["until"].(string)); !at.Equal(until) {
			t.Fatalf("mute entry until = %v, want %s", mute["until"], until)
		}
		for i := 1; i < len(entries); i++ {
			if entries[i]["id"].(float64) >= entries[i-1]["id"].(float64) {
				t.Fatalf("entries not newest first: %v", entries)
			}
		}
		// The admin reads it too, a page at a time.
		f := request(t, r.admin, protocol.EventRoomAudit, map[string]any{"room_id": r.id, "limit": 3})
		page := decode[map[string]any](t, f)
		if len(page["entries"].([]any)) != 3 || page["has_more"] != true {
			t.Fatalf("first page = %v", page)
		}
		rest := audit(t, r.admin, r.id, map[string]any{"before_id": entries[2]["id"], "limit": 3})
		if len(rest) != 1 || rest[0]["action"] != "mute" {
			t.Fatalf("second page = %v", rest)
		}

		// A plain member is refused; an outsider gets room.info's answer,
		// and a room that does not exist its answer too.
		wantCode(t, refuse(t, r.m, protocol.EventRoomAudit, roomData(r.id)), protocol.CodePermissionDenied)
		outsider := h.dial(t, 9)
		info := refuse(t, outsider, protocol.EventRoomInfo, roomData(r.id))
		wantError(t, refuse(t, outsider, protocol.EventRoomAudit, roomData(r.id)), info.Code, "")
		missing := uuid.NewString()
		info = refuse(t, outsider, protocol.EventRoomInfo, roomData(missing))
		wantCode(t, refuse(t, outsider, protocol.EventRoomAudit, roomData(missing)), info.Code)
	})
}

// TestModerationRules: who may moderate whom, and bad input answered 4003
// with nothing changed.
func TestModerationRules(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		r := newModRoom(t, h)
		past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		cases := []struct {
			name   string
			c      *client.Client
			event  string
			data   map[string]any
			code   int
			detail string
		}{
			{"a plain member mutes", r.m, protocol.EventRoomMute, modData(r.id, 4), protocol.CodePermissionDenied, ""},
			{"a plain member bans", r.m, protocol.EventRoomBan, modData(r.id, 4), protocol.CodePermissionDenied, ""},
			{"an admin mutes the creator", r.admin, protocol.EventRoomMute, modData(r.id, 1), protocol.CodePermissionDenied, handler.DetailCreatorNotModerated},
			{"an admin bans the creator", r.admin, protocol.EventRoomBan, modData(r.id, 1), protocol.CodePermissionDenied, handler.DetailCreatorNotModerated},
			{"mute oneself", r.admin, protocol.EventRoomMute, modData(r.id, 2), protocol.CodeInvalid, ""},
			{"until in the past", r.owner, protocol.EventRoomMute, modData(r.id, 3, "until", past), protocol.CodeInvalid, ""},
			{"until not a time", r.owner, protocol.EventRoomMute, modData(r.id, 3, "until", "tomorrow"), protocol.CodeInvalid, ""},
			{"until on unmute", r.owner, protocol.EventRoomUnmute, modData(r.id, 3, "until", past), protocol.CodeInvalid, ""},
			{"a reason on mute", r.owner, protocol.EventRoomMute, modData(r.id, 3, "reason", "x"), protocol.CodeInvalid, ""},
			{"no user_id", r.owner, protocol.EventRoomMute, roomData(r.id), protocol.CodeInvalid, ""},
			{"user_id 0", r.owner, protocol.EventRoomBan, modData(r.id, 0), protocol.CodeInvalid, ""},
			{"a bad room_id", r.owner, protocol.EventRoomMute, modData("nope", 3), protocol.CodeInvalid, ""},
			{"mute a non-member", r.owner, protocol.EventRoomMute, modData(r.id, 50), protocol.CodeInvalid, ""},
			{"a room that does not exist", r.owner, protocol.EventRoomMute, modData(uuid.NewString(), 3), protocol.CodeNotFound, ""},
			{"an audit limit too big", r.owner, protocol.EventRoomAudit, roomData(r.id, "limit", 1000), protocol.CodeInvalid, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, refuse(t, tc.c, tc.event, tc.data), tc.code, tc.detail)
			})
		}
		for _, table := range []string{"rtchat_mutes", "rtchat_bans", "rtchat_moderation_log"} {
			if n := h.count(t, table, ""); n != 0 {
				t.Fatalf("%d rows in %s after the refusals", n, table)
			}
		}
		wantIDs(t, "members", h.members(t, r.id), 1, 2, 3, 4)

		// Admins are moderated by the creator only.
		act(t, r.owner, protocol.EventRoomModify, modify(r.id, "add_admin", map[string]any{"users": []int64{4}}))
		wantError(t, refuse(t, r.admin, protocol.EventRoomMute, modData(r.id, 4)), protocol.CodePermissionDenied, handler.DetailAdminModeratedByCreator)
		act(t, r.owner, protocol.EventRoomMute, modData(r.id, 4))
		act(t, r.admin, protocol.EventRoomMute, modData(r.id, 3))

		// Nobody moderates in a 1:1.
		dm := createRoom(t, r.owner, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{3}})
		wantError(t, refuse(t, r.owner, protocol.EventRoomMute, modData(dm.ID, 3)), protocol.CodeInvalid, handler.DetailNoModerationOneToOne)
		wantError(t, refuse(t, r.owner, protocol.EventRoomAudit, roomData(dm.ID)), protocol.CodeInvalid, handler.DetailNoModerationOneToOne)
	})
}

// TestModerationOff: WithModeration(false) takes the events out, only
// senders delete, and the delete dispatch carries no deleted_by.
func TestModerationOff(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		r := newModRoom(t, h)
		for _, ev := range []string{protocol.EventRoomMute, protocol.EventRoomUnmute, protocol.EventRoomBan, protocol.EventRoomUnban, protocol.EventRoomAudit} {
			wantError(t, refuse(t, r.owner, ev, modData(r.id, 3)), protocol.CodeInvalid, protocol.DetailInvalidEventType)
		}
		m := post(t, r.m, r.id, "hello")
		settle(t, r.all()...)
		wantCode(t, refuse(t, r.owner, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": m.ID}), protocol.CodePermissionDenied)
		act(t, r.m, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": m.ID})
		got := decode[map[string]any](t, next(t, r.owner, protocol.DispatchModification))
		if _, ok := got["deleted_by"]; ok {
			t.Fatalf("deleted_by with moderation off: %v", got)
		}
	}, rtchat.WithModeration(false))
}

// noBans lets admins mute but nobody ban, and lets any member read the
// audit trail.
type noBans struct{ rtchat.DefaultPermissions }

func (p noBans) CanModerate(ctx context.Context, c rtchat.PermissionCheck, userID int64, target *model.Member) error {
	if c.Action == protocol.EventRoomBan {
		return &rtchat.Error{Code: protocol.CodePermissionDenied, Detail: "No bans here."}
	}
	return p.DefaultPermissions.CanModerate(ctx, c, userID, target)
}

func (noBans) CanReadAudit(_ context.Context, c rtchat.PermissionCheck) error {
	if c.Member == nil {
		return &rtchat.Error{Code: protocol.CodePermissionDenied, Detail: "Members only."}
	}
	return nil
}

// TestModerationCustomRules: the moderation rules are the app's
// PermissionHandler methods.
func TestModerationCustomRules(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		r := newModRoom(t, h)
		wantError(t, refuse(t, r.owner, protocol.EventRoomBan, modData(r.id, 3)), protocol.CodePermissionDenied, "No bans here.")
		act(t, r.owner, protocol.EventRoomMute, modData(r.id, 3))
		if entries := audit(t, r.m, r.id, nil); len(entries) != 1 || entries[0]["action"] != "mute" {
			t.Fatalf("audit read by a member = %v", entries)
		}
	}, rtchat.WithPermissionHandler(noBans{}))
}

// TestModerationBanRefusesJoinRequests: a banned user's join request in a
// group that requires approval is refused too; deleting the room takes
// its mutes, bans and audit trail with it.
func TestModerationBanRefusesJoinRequests(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		owner, asker, muted := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
		g := createRoom(t, owner, map[string]any{"type": protocol.RoomGroup, "name": "club", "participants": []int64{3},
			"extra_fields": map[string]any{"join_approval_required": true}})
		settle(t, owner, asker, muted)
		act(t, owner, protocol.EventRoomBan, modData(g.ID, 2, "reason", "known troll"))
		wantError(t, refuse(t, asker, protocol.EventRoomJoin, roomData(g.ID)), protocol.CodePermissionDenied, protocol.DetailBanned)
		if n := h.count(t, "rtchat_join_requests", "room_id = ?", g.ID); n != 0 {
			t.Fatalf("%d join requests recorded for a banned user", n)
		}
		act(t, owner, protocol.EventRoomMute, modData(g.ID, 3))
		settle(t, owner, asker, muted)
		act(t, owner, protocol.EventRoomModify, modify(g.ID, "delete", nil))
		for _, table := range []string{"rtchat_mutes", "rtchat_bans", "rtchat_moderation_log"} {
			if n := h.count(t, table, "room_id = ?", g.ID); n != 0 {
				t.Fatalf("%d rows of the deleted room in %s", n, table)
			}
		}
	})
}

// TestModerationSerializersReplaced: roommute.dispatch, roomaudit.dispatch
// and deleted_by go through the serializer set, so an app reshapes them.
func TestModerationSerializersReplaced(t *testing.T) {
	muteSer := serializer.Func(func(_ context.Context, v any, us serializer.Users) (any, error) {
		in, ok := v.(serializer.RoomMuteInput)
		if !ok {
			return nil, fmt.Errorf("mute: got %T", v)
		}
		return struct {
			serializer.RoomMuteOut
			Note string `json:"note"`
		}{serializer.RoomMute(in, us), "quiet please"}, nil
	})
	auditSer := serializer.Func(func(_ context.Context, v any, us serializer.Users) (any, error) {
		in, ok := v.(serializer.RoomAuditInput)
		if !ok {
			return nil, fmt.Errorf("audit: got %T", v)
		}
		return map[string]any{"room_id": in.RoomID, "entries": []any{}, "has_more": false, "count": len(in.Entries)}, nil
	})
	userSer := serializer.Func(func(_ context.Context, v any, us serializer.Users) (any, error) {
		id, _ := v.(int64)
		return map[string]any{"id": id, "handle": fmt.Sprint("@u", id)}, nil
	})
	eachDB(t, func(t *testing.T, h *harness) {
		r := newModRoom(t, h)
		got := decode[map[string]any](t, act(t, r.owner, protocol.EventRoomMute, modData(r.id, 3)))
		if got["note"] != "quiet please" || got["user"].(map[string]any)["handle"] != "@u3" {
			t.Fatalf("roommute.dispatch = %v", got)
		}
		page := decode[map[string]any](t, request(t, r.owner, protocol.EventRoomAudit, roomData(r.id)))
		if page["count"] != float64(1) {
			t.Fatalf("roomaudit.dispatch = %v", page)
		}
		m := post(t, r.o, r.id, "bye")
		del := decode[map[string]any](t, act(t, r.owner, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": m.ID}))
		if by, _ := del["deleted_by"].(map[string]any); by["handle"] != "@u1" {
			t.Fatalf("deleted_by = %v", del["deleted_by"])
		}
	}, rtchat.WithSerializer(serializer.NameRoomMute, muteSer), rtchat.WithSerializer(serializer.NameRoomAudit, auditSer),
		rtchat.WithSerializer(serializer.NameUser, userSer))
}

// TestModerationMutedAdminCannotPin: pins are writes too. The creator
// mutes an admin, who may pin otherwise: message.pin and message.unpin are
// refused with 4002 "muted" and no pin changes, on either node.
func TestModerationMutedAdminCannotPin(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		r := newModRoom(t, h)
		pinned := post(t, r.owner, r.id, "pinned")
		loose := post(t, r.owner, r.id, "loose")
		act(t, r.admin, protocol.EventMessagePin, map[string]any{"message_id": pinned.ID})
		act(t, r.owner, protocol.EventRoomMute, modData(r.id, 2))
		settle(t, r.all()...)

		wantError(t, refuse(t, r.admin, protocol.EventMessagePin, map[string]any{"message_id": loose.ID}), protocol.CodePermissionDenied, protocol.DetailMuted)
		wantError(t, refuse(t, r.admin, protocol.EventMessageUnpin, map[string]any{"message_id": pinned.ID}), protocol.CodePermissionDenied, protocol.DetailMuted)
		if n := h.count(t, "rtchat_pins", "room_id = ?", r.id); n != 1 {
			t.Fatalf("%d pins after the muted admin's refused pin and unpin, want 1", n)
		}
		act(t, r.owner, protocol.EventRoomUnmute, modData(r.id, 2))
		settle(t, r.all()...)
		act(t, r.admin, protocol.EventMessagePin, map[string]any{"message_id": loose.ID})
		if n := h.count(t, "rtchat_pins", "room_id = ?", r.id); n != 2 {
			t.Fatalf("%d pins after the unmuted admin pinned, want 2", n)
		}
	})
}

// TestModerationMutedThreadReplyNotCounted: a muted member's thread reply
// is refused and its root's reply count does not move (on Postgres the
// count and the send are one statement; the mute must stop both).
func TestModerationMutedThreadReplyNotCounted(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		r := newModRoom(t, h)
		root := post(t, r.owner, r.id, "root")
		act(t, r.admin, protocol.EventRoomMute, modData(r.id, 3))
		settle(t, r.all()...)
		wantError(t, refuse(t, r.m, protocol.EventMessageSend, map[string]any{"room_id": r.id, "content": "re",
			"extra_fields": map[string]any{"thread_root_id": root.ID}}), protocol.CodePermissionDenied, protocol.DetailMuted)
		if n := h.count(t, "rtchat_messages", "id = ? AND thread_reply_count = 0", root.ID); n != 1 {
			t.Fatal("the root's reply count moved for a refused thread reply")
		}
		if n := h.count(t, "rtchat_messages", "room_id = ?", r.id); n != 1 {
			t.Fatalf("%d messages in the room, want the root alone", n)
		}
	})
}
