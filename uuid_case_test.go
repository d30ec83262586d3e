package rtchat_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/protocol"
)

// TestUpperCaseIDsReachTheirRows: ids are normalised at decode, so a
// room_id, message_id (one or a list) or parent_message_id sent in upper
// case names the same row as in lower case (issue 12, item 12; they passed
// validation and then answered 4004), and the answers carry the stored,
// lower-case id. Only the hyphenated form is an id.
func TestUpperCaseIDsReachTheirRows(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		up := strings.ToUpper
		room := up(w.room.ID)
		m := w.sendAll(t, w.b, "first")

		// message.send to the room in upper case, as a reply to an upper-case
		// parent.
		reply, _ := sendFull(t, w.a1, map[string]any{"room_id": room, "content": "reply",
			"extra_fields": map[string]any{"parent_message_id": up(m.ID)}})
		if reply.Room.ID != w.room.ID || reply.ParentMessage == nil || reply.ParentMessage.ID != m.ID {
			t.Fatalf("reply = room %s, parent %+v; want room %s, parent %s", reply.Room.ID, reply.ParentMessage, w.room.ID, m.ID)
		}
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c)

		// message.react, message.read (a list) and message.acknowledged.
		act(t, w.a1, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": up(m.ID), "reaction_content": "+1"})
		act(t, w.c, protocol.EventMessageRead, map[string]any{"message_id": []string{up(m.ID), up(reply.ID)}})
		act(t, w.a1, protocol.EventMessageAcknowledged, map[string]any{"message_id": up(m.ID)})
		if n := h.count(t, "rtchat_reactions", "message_id = ?", m.ID); n != 1 {
			t.Fatalf("%d reactions on the message, want 1", n)
		}
		if n := h.count(t, "rtchat_read_receipts", "message_id IN (?, ?) AND reader_id = ?", m.ID, reply.ID, 3); n != 2 {
			t.Fatalf("%d read receipts of user 3, want 2", n)
		}
		w.drain(t)

		// message.edits and message.modify (update) by the sender.
		request(t, w.b, protocol.EventMessageEdits, map[string]any{"message_id": up(m.ID)})
		act(t, w.b, protocol.EventMessageModify, map[string]any{"action": "update", "message_id": up(m.ID), "extra_fields": map[string]any{"content": "first, edited"}})
		if n := h.count(t, "rtchat_messages", "id = ? AND content = ? AND is_edited = ?", m.ID, "first, edited", true); n != 1 {
			t.Fatal("the upper-case message.modify did not edit the message")
		}
		w.drain(t)

		// The room events.
		info := decode[wireRoom](t, request(t, w.c, protocol.EventRoomInfo, roomData(room)))
		if info.ID != w.room.ID {
			t.Fatalf("room.info answered room %s, want %s", info.ID, w.room.ID)
		}
		hist := decode[struct {
			Data struct {
				RoomID   string        `json:"room_id"`
				Messages []fullMessage `json:"messages"`
			} `json:"data"`
		}](t, request(t, w.c, protocol.EventRoomMessages, roomData(room)))
		if hist.Data.RoomID != w.room.ID || len(hist.Data.Messages) != 2 {
			t.Fatalf("room.messages answered room %s with %d messages", hist.Data.RoomID, len(hist.Data.Messages))
		}
		act(t, w.c, protocol.EventMessageTyping, roomData(room))
		for _, c := range []string{"a1", "b"} {
			f := next(t, w.conns()[c], protocol.DispatchTyping)
			if got := decode[map[string]any](t, f)["room_id"]; got != w.room.ID {
				t.Fatalf("%s: typing for room %v, want %s", c, got, w.room.ID)
			}
		}
		w.drain(t)
		act(t, w.a1, protocol.EventRoomAddMembers, roomData(room, "members", []int64{9}))
		if n := h.count(t, "rtchat_members", "room_id = ? AND user_id = ?", w.room.ID, 9); n != 1 {
			t.Fatal("room.add_members with an upper-case room_id added nobody")
		}
		settle(t, w.a1, w.a2, w.b, w.c, w.x)

		// The server API too.
		if err := h.chat.PublishToRoom(testCtx(t), room, "app.ping", map[string]any{"n": 1}); err != nil {
			t.Fatalf("PublishToRoom(upper case): %v", err)
		}
		next(t, w.x, "app.ping")

		// Other spellings of a uuid are no id.
		before := dbState(t, h)
		hexOnly := strings.ReplaceAll(w.room.ID, "-", "")
		for name, data := range map[string]any{
			"room_id without hyphens":   roomData(hexOnly),
			"room_id in braces":         roomData("{" + w.room.ID + "}"),
			"room_id as a urn":          roomData("urn:uuid:" + w.room.ID),
			"message_id without hypens": map[string]any{"message_id": strings.ReplaceAll(m.ID, "-", "")},
			"message_id list in braces": map[string]any{"message_id": []string{m.ID, "{" + m.ID + "}"}},
		} {
			event := protocol.EventRoomInfo
			if _, ok := data.(map[string]any)["message_id"]; ok {
				event = protocol.EventMessageRead
			}
			pe := refuse(t, w.c, event, data)
			wantCode(t, pe, protocol.CodeInvalid)
			if d, _ := json.Marshal(pe.Detail); !strings.Contains(string(d), "Must be a valid UUID.") {
				t.Fatalf("%s: detail %s", name, d)
			}
		}
		if after := dbState(t, h); after != before {
			t.Fatalf("refused ids changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})
}
