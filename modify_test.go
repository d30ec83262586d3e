package rtchat_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

type wireModification struct {
	Status     string       `json:"status"`
	Action     string       `json:"action"`
	Message    *fullMessage `json:"message"`
	MessageIDs []string     `json:"message_ids"`
}

type wireEdits struct {
	MessageID string `json:"message_id"`
	Edits     []struct {
		Content  string    `json:"content"`
		EditedAt time.Time `json:"edited_at"`
	} `json:"edits"`
}

func update(id, content string) map[string]any {
	return map[string]any{"action": "update", "message_id": id, "extra_fields": map[string]any{"content": content}}
}

func TestModifyUpdateAndEdits(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "v1")
		plain := w.sendAll(t, w.a1, "never edited")
		for i, content := range []string{"v2", "<b>v3</b><script>x()</script>"} {
			f := request(t, w.a1, protocol.EventMessageModify, update(m.ID, content))
			raw := decode[map[string]any](t, f)
			if got := sortedKeys(raw); !slices.Equal(got, []string{"action", "message", "status"}) {
				t.Fatalf("update payload keys %v", got)
			}
			checkMessageShape(t, raw["message"], 0)
			want := []string{"v2", "<b>v3</b>"}[i]
			for j, f := range receive(t, protocol.DispatchModification, w.a1, w.a2, w.b, w.c) {
				got := decode[wireModification](t, f)
				if got.Status != "successful" || got.Action != "update" || got.Message == nil || got.Message.ID != m.ID ||
					got.Message.Content != want || !got.Message.IsEdited || got.Message.UpdatedAt.Before(got.Message.CreatedAt) {
					t.Fatalf("connection %d got %+v", j, got)
				}
			}
			w.quiet(t)
		}
		// The history: previous versions, oldest first, to the caller only.
		for _, c := range []*client.Client{w.b, w.a2} {
			f := request(t, c, protocol.EventMessageEdits, map[string]any{"message_id": m.ID})
			if f.EventType != protocol.DispatchEdits {
				t.Fatalf("message.edits answered %s", f.EventType)
			}
			raw := decode[map[string]any](t, f)
			if got := sortedKeys(raw); !slices.Equal(got, []string{"edits", "message_id"}) {
				t.Fatalf("edits payload keys %v", got)
			}
			e := decode[wireEdits](t, f)
			if e.MessageID != m.ID || len(e.Edits) != 2 || e.Edits[0].Content != "v1" || e.Edits[1].Content != "v2" ||
				e.Edits[0].EditedAt.IsZero() || e.Edits[1].EditedAt.Before(e.Edits[0].EditedAt) {
				t.Fatalf("edits = %s", f.Data)
			}
			for _, item := range raw["edits"].([]any) {
				if got := sortedKeys(item.(map[string]any)); !slices.Equal(got, []string{"content", "edited_at"}) {
					t.Fatalf("edit keys %v", got)
				}
			}
			c.Drain(protocol.DispatchEdits)
		}
		f := request(t, w.c, protocol.EventMessageEdits, map[string]any{"message_id": plain.ID})
		if e := decode[map[string]any](t, f); e["edits"] == nil || len(e["edits"].([]any)) != 0 {
			t.Fatalf("edits of an unedited message = %s, want []", f.Data)
		}
		w.c.Drain(protocol.DispatchEdits)
		w.quiet(t)
		if n := countRows(t, h, "rtchat_message_edits", ""); n != 2 {
			t.Fatalf("edit rows = %d", n)
		}
		hist := decode[struct {
			Data struct{ Messages []fullMessage } `json:"data"`
		}](t, request(t, w.b, protocol.EventRoomMessages, map[string]any{"room_id": w.room.ID}))
		if got := hist.Data.Messages[1]; got.ID != m.ID || got.Content != "<b>v3</b>" || !got.IsEdited {
			t.Fatalf("history shows %+v", got)
		}
	})
}

func TestModifyDeleteSoft(t *testing.T) { testModifyDelete(t, true) }
func TestModifyDeleteHard(t *testing.T) { testModifyDelete(t, false) }

func testModifyDelete(t *testing.T, soft bool) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m1 := w.sendAll(t, w.a1, "one")
		r, _ := sendFull(t, w.b, map[string]any{"room_id": w.room.ID, "content": "reply", "extra_fields": map[string]any{"parent_message_id": m1.ID}})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c)
		m2 := w.sendAll(t, w.a1, "two")
		m3 := w.sendAll(t, w.a1, "three")
		// m1 gathers an edit, a reaction, a read and a delivery.
		request(t, w.a1, protocol.EventMessageModify, update(m1.ID, "one!"))
		receive(t, protocol.DispatchModification, w.a1, w.a2, w.b, w.c)
		request(t, w.b, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": m1.ID, "reaction_content": "👍"})
		receive(t, protocol.DispatchReaction, w.a1, w.a2, w.b, w.c)
		request(t, w.b, protocol.EventMessageRead, map[string]any{"message_id": m1.ID})
		receive(t, protocol.DispatchReadReceipt, w.a1, w.a2, w.b, w.c)
		if _, err := w.c.Send(testCtx(t), protocol.EventMessageAcknowledged, map[string]any{"message_id": m1.ID}); err != nil {
			t.Fatal(err)
		}
		receive(t, protocol.DispatchDelivered, w.a1, w.a2)
		w.quiet(t)
		if n := countRows(t, h, "rtchat_notifications", "message_id IN (?, ?)", m1.ID, m3.ID); n == 0 {
			t.Fatal("no notifications to delete: the scenario is wrong")
		}

		f := request(t, w.a1, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": []string{m3.ID, m1.ID}})
		// deleted_by names who deleted (moderation, on by default).
		if raw := decode[map[string]any](t, f); !slices.Equal(sortedKeys(raw), []string{"action", "deleted_by", "message_ids", "status"}) {
			t.Fatalf("delete payload = %s", f.Data)
		}
		for i, f := range receive(t, protocol.DispatchModification, w.a1, w.a2, w.b, w.c) {
			got := decode[wireModification](t, f)
			slices.Sort(got.MessageIDs)
			want := []string{m1.ID, m3.ID}
			slices.Sort(want)
			if got.Status != "successful" || got.Action != "delete" || !slices.Equal(got.MessageIDs, want) {
				t.Fatalf("connection %d got %s", i, f.Data)
			}
		}
		w.quiet(t)

		// History, room.list and lookups no longer know m1 and m3.
		hist := decode[struct {
			Data struct{ Messages []fullMessage } `json:"data"`
		}](t, request(t, w.c, protocol.EventRoomMessages, map[string]any{"room_id": w.room.ID}))
		if len(hist.Data.Messages) != 2 || hist.Data.Messages[0].ID != m2.ID || hist.Data.Messages[1].ID != r.ID {
			t.Fatalf("history = %+v", hist.Data.Messages)
		}
		if hist.Data.Messages[1].ParentMessage != nil {
			t.Fatalf("reply still shows its deleted parent: %+v", hist.Data.Messages[1].ParentMessage)
		}
		page := decode[map[string]any](t, request(t, w.c, protocol.EventRoomMessages, map[string]any{"room_id": w.room.ID, "paginate": map[string]any{"page": 1, "size": 10}}))
		if msgs := page["data"].(map[string]any)["messages"].([]any); len(msgs) != 2 {
			t.Fatalf("paginated history has %d messages", len(msgs))
		}
		after := decode[struct {
			Data struct{ Messages []fullMessage } `json:"data"`
		}](t, request(t, w.c, protocol.EventRoomMessages, map[string]any{"room_id": w.room.ID, "after_seq": 0}))
		if len(after.Data.Messages) != 2 {
			t.Fatalf("after_seq history = %+v", after.Data.Messages)
		}
		lastMessage := func(c *client.Client) map[string]any {
			t.Helper()
			for _, item := range decode[[]map[string]any](t, request(t, c, protocol.EventRoomList, nil)) {
				if item["id"] == w.room.ID {
					lm, _ := item["last_message"].(map[string]any)
					return lm
				}
			}
			t.Fatal("room not listed")
			return nil
		}
		if lm := lastMessage(w.b); lm == nil || lm["id"] != m2.ID {
			t.Fatalf("last_message = %v, want m2", lm)
		}
		for _, c := range w.conns() {
			c.Drain(protocol.DispatchRoomMessages)
			c.Drain(protocol.DispatchRoomList)
		}
		runBad(t, w, protocol.EventMessageReact, map[string]badCase{"react to deleted": {w.b, map[string]any{"type": "add", "message_id": m1.ID, "reaction_content": "x"}, protocol.CodeNotFound}})
		runBad(t, w, protocol.EventMessageRead, map[string]badCase{"read deleted": {w.c, map[string]any{"message_id": m1.ID}, protocol.CodeNotFound}})
		runBad(t, w, protocol.EventMessageAcknowledged, map[string]badCase{"ack deleted": {w.c, map[string]any{"message_id": []string{m3.ID}}, protocol.CodeNotFound}})
		runBad(t, w, protocol.EventMessageEdits, map[string]badCase{"edits of deleted": {w.b, map[string]any{"message_id": m1.ID}, protocol.CodeNotFound}})
		runBad(t, w, protocol.EventMessageModify, map[string]badCase{
			"update deleted": {w.a1, update(m1.ID, "back"), protocol.CodeNotFound},
			"delete again":   {w.a1, map[string]any{"action": "delete", "message_id": m3.ID}, protocol.CodeNotFound},
		})
		runBad(t, w, protocol.EventMessageSend, map[string]badCase{
			"reply to deleted":   {w.b, map[string]any{"room_id": w.room.ID, "content": "x", "extra_fields": map[string]any{"parent_message_id": m1.ID}}, protocol.CodeNotFound},
			"forward of deleted": {w.b, map[string]any{"room_id": w.room.ID, "content": "x", "extra_fields": map[string]any{"forwarded_from_id": m3.ID}}, protocol.CodeNotFound},
		})

		// Their notifications are gone, and not pushed on connect.
		for _, id := range []string{m1.ID, m3.ID} {
			if n := countRows(t, h, "rtchat_notifications", "message_id = ?", id); n != 0 {
				t.Fatalf("%d notifications of a deleted message remain", n)
			}
		}
		if n := countRows(t, h, "rtchat_notification_recipients", "notification_id NOT IN (SELECT id FROM rtchat_notifications)"); n != 0 {
			t.Fatalf("%d orphaned notification recipients", n)
		}
		_, pushed := h.dialNotifications(t, 3)
		for _, list := range pushed {
			for _, n := range list {
				if n.Message.ID == m1.ID || n.Message.ID == m3.ID {
					t.Fatalf("deleted message pushed as %s", n.NotificationType)
				}
			}
		}

		if soft {
			if n := countRows(t, h, "rtchat_messages", "is_deleted = ?", true); n != 2 {
				t.Fatalf("soft delete: %d rows marked deleted, want 2", n)
			}
			if n := countRows(t, h, "rtchat_messages", ""); n != 4 {
				t.Fatalf("soft delete: %d rows, want 4 kept", n)
			}
		} else {
			if n := countRows(t, h, "rtchat_messages", ""); n != 2 {
				t.Fatalf("hard delete: %d rows, want 2", n)
			}
			for _, table := range []string{"rtchat_message_edits", "rtchat_reactions", "rtchat_read_receipts", "rtchat_deliveries", "rtchat_attachments"} {
				if n := countRows(t, h, table, "message_id IN (?, ?)", m1.ID, m3.ID); n != 0 {
					t.Fatalf("hard delete left %d rows in %s", n, table)
				}
			}
			if n := countRows(t, h, "rtchat_messages", "parent_message_id = ?", m1.ID); n != 0 {
				t.Fatal("the reply still points at a deleted row")
			}
		}

		// Deleting the rest empties room.list's last_message.
		request(t, w.a1, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": m2.ID})
		receive(t, protocol.DispatchModification, w.a1, w.a2, w.b, w.c)
		if lm := lastMessage(w.c); lm == nil || lm["id"] != r.ID {
			t.Fatalf("last_message = %v, want the reply", lm)
		}
		request(t, w.b, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": []string{r.ID}})
		receive(t, protocol.DispatchModification, w.a1, w.a2, w.b, w.c)
		if lm := lastMessage(w.a2); lm != nil {
			t.Fatalf("last_message = %v, want null", lm)
		}
		w.quiet(t)
	}, rtchat.WithSoftDelete(soft))
}

func TestModifyBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		mine := w.sendAll(t, w.a1, "mine")
		mine2 := w.sendAll(t, w.a1, "mine too")
		theirs := w.sendAll(t, w.b, "theirs")
		dm := createRoom(t, w.a1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.b)
		elsewhere, _ := sendFull(t, w.a1, map[string]any{"room_id": dm.ID, "content": "in the 1:1"})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b)
		del := func(ids ...string) map[string]any { return map[string]any{"action": "delete", "message_id": ids} }
		runBad(t, w, protocol.EventMessageModify, map[string]badCase{
			"update two ids":            {nil, map[string]any{"action": "update", "message_id": []string{mine.ID, mine2.ID}, "extra_fields": map[string]any{"content": "x"}}, protocol.CodeInvalid},
			"update other field":        {nil, map[string]any{"action": "update", "message_id": mine.ID, "extra_fields": map[string]any{"content": "x", "is_deleted": true}}, protocol.CodeInvalid},
			"update only other field":   {nil, map[string]any{"action": "update", "message_id": mine.ID, "extra_fields": map[string]any{"sender": 2}}, protocol.CodeInvalid},
			"update no extra_fields":    {nil, map[string]any{"action": "update", "message_id": mine.ID}, protocol.CodeInvalid},
			"update extra_fields list":  {nil, map[string]any{"action": "update", "message_id": mine.ID, "extra_fields": []string{"x"}}, protocol.CodeInvalid},
			"update content a number":   {nil, map[string]any{"action": "update", "message_id": mine.ID, "extra_fields": map[string]any{"content": 5}}, protocol.CodeInvalid},
			"update content blank":      {nil, update(mine.ID, "  "), protocol.CodeInvalid},
			"update content only tags":  {nil, update(mine.ID, "<script>x</script>"), protocol.CodeInvalid},
			"update content oversize":   {nil, update(mine.ID, strings.Repeat("a", 10_001)), protocol.CodeInvalid},
			"update someone else's":     {nil, update(theirs.ID, "mine now"), protocol.CodePermissionDenied},
			"update by outsider":        {w.x, update(mine.ID, "x"), protocol.CodePermissionDenied},
			"update unknown":            {nil, update(unknownID, "x"), protocol.CodeNotFound},
			"update id not a uuid":      {nil, update("m-1", "x"), protocol.CodeInvalid},
			"missing action":            {nil, map[string]any{"message_id": mine.ID}, protocol.CodeInvalid},
			"unknown action":            {nil, map[string]any{"action": "archive", "message_id": mine.ID}, protocol.CodeInvalid},
			"action a number":           {nil, map[string]any{"action": 1, "message_id": mine.ID}, protocol.CodeInvalid},
			"delete missing message_id": {nil, map[string]any{"action": "delete"}, protocol.CodeInvalid},
			"delete null message_id":    {nil, map[string]any{"action": "delete", "message_id": nil}, protocol.CodeInvalid},
			"delete empty list":         {nil, del(), protocol.CodeInvalid},
			"delete id a number":        {nil, map[string]any{"action": "delete", "message_id": 7}, protocol.CodeInvalid},
			"delete id an object":       {nil, map[string]any{"action": "delete", "message_id": map[string]any{"id": mine.ID}}, protocol.CodeInvalid},
			"delete list with a number": {nil, map[string]any{"action": "delete", "message_id": []any{mine.ID, 7}}, protocol.CodeInvalid},
			"delete list not uuids":     {nil, del(mine.ID, "nope"), protocol.CodeInvalid},
			"delete two rooms":          {nil, del(mine.ID, elsewhere.ID), protocol.CodeInvalid},
			// A plain member (the creator, an admin, may delete others'
			// messages: moderation).
			"delete with someone's": {w.c, del(mine.ID, theirs.ID), protocol.CodePermissionDenied},
			"delete someone else's": {w.c, del(theirs.ID), protocol.CodePermissionDenied},
			"delete with unknown":   {nil, del(mine.ID, unknownID), protocol.CodeNotFound},
			"delete by outsider":    {w.x, del(mine.ID), protocol.CodePermissionDenied},
			"data a string":         {nil, "delete", protocol.CodeInvalid},
		})
		pe := requestErr(t, w.a1, protocol.EventMessageModify, del(mine.ID, elsewhere.ID))
		if pe.Detail != protocol.DetailSameRoom {
			t.Fatalf("detail = %v, want %q", pe.Detail, protocol.DetailSameRoom)
		}
		w.a1.Drain(client.ErrorKey)
		runBad(t, w, protocol.EventMessageEdits, map[string]badCase{
			"missing message_id": {nil, map[string]any{}, protocol.CodeInvalid},
			"not a uuid":         {nil, map[string]any{"message_id": "e1"}, protocol.CodeInvalid},
			"a number":           {nil, map[string]any{"message_id": 3}, protocol.CodeInvalid},
			"a list":             {nil, map[string]any{"message_id": []string{mine.ID}}, protocol.CodeInvalid},
			"unknown":            {nil, map[string]any{"message_id": unknownID}, protocol.CodeNotFound},
			"outsider":           {w.x, map[string]any{"message_id": mine.ID}, protocol.CodePermissionDenied},
			"other room's":       {w.c, map[string]any{"message_id": elsewhere.ID}, protocol.CodePermissionDenied},
		})
	})
}
