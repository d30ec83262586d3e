package rtchat_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

type wireNotification struct {
	ID               string      `json:"id"`
	NotificationType string      `json:"notification_type"`
	Message          fullMessage `json:"message"`
}

// dialNotifications connects user and returns the connection and the
// chat.notifications it got first, checking the Notification shape.
func (h *harness) dialNotifications(t testing.TB, user int64) (*client.Client, map[string][]wireNotification) {
	t.Helper()
	ctx := testCtx(t)
	c, err := client.Dial(ctx, h.url, client.WithToken(strconv.FormatInt(user, 10)))
	if err != nil {
		t.Fatalf("dial user %d: %v", user, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	f := next(t, c, protocol.DispatchNotifications)
	raw := decode[map[string][]map[string]any](t, f)
	for _, list := range raw {
		for _, n := range list {
			if got := sortedKeys(n); !slices.Equal(got, []string{"id", "message", "notification_type"}) {
				t.Fatalf("notification keys %v", got)
			}
			checkMessageShape(t, n["message"], 0)
		}
	}
	return c, decode[map[string][]wireNotification](t, f)
}

// notified describes a pushed list as "TYPE:content" items.
func notified(list []wireNotification) []string {
	out := make([]string, len(list))
	for i, n := range list {
		out[i] = n.NotificationType + ":" + n.Message.Content
	}
	return out
}

// recipients returns the users waiting for the notification of type typ
// about messageID, or nil when nobody is. REACTION notifications are rows
// per recipient; message notifications (NEW_MESSAGE, REPLY) follow from the
// members' delivered pointers.
func recipients(t testing.TB, h *harness, messageID, typ string) []int64 {
	t.Helper()
	if typ != "REACTION" {
		return pointerRecipients(t, h, messageID, typ)
	}
	var ids []string
	if err := h.db.NewSelect().Table("rtchat_notifications").Column("id").
		Where("message_id = ? AND notification_type = ?", messageID, typ).Scan(testCtx(t), &ids); err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		return nil
	}
	if len(ids) > 1 {
		t.Fatalf("%d %s notifications of one message", len(ids), typ)
	}
	users := []int64{}
	if err := h.db.NewSelect().Table("rtchat_notification_recipients").Column("user_id").
		Where("notification_id = ?", ids[0]).Order("user_id").Scan(testCtx(t), &users); err != nil {
		t.Fatal(err)
	}
	return users
}

// pointerRecipients returns the members for whom messageID is pending as a
// message notification of type typ: above their delivered pointer, sent by
// someone else, not deleted.
func pointerRecipients(t testing.TB, h *harness, messageID, typ string) []int64 {
	t.Helper()
	isReply := "IS NULL"
	if typ == "REPLY" {
		isReply = "IS NOT NULL"
	}
	var users []int64
	if err := h.db.NewSelect().TableExpr("rtchat_members AS m").Column("m.user_id").
		Join("JOIN rtchat_messages AS msg ON msg.room_id = m.room_id").
		Where("msg.id = ? AND msg.seq > m.last_delivered_seq AND msg.sender_id <> m.user_id", messageID).
		Where("msg.is_deleted = ? AND msg.parent_message_id "+isReply, false).
		Order("m.user_id").Scan(testCtx(t), &users); err != nil {
		t.Fatal(err)
	}
	if len(users) == 0 {
		return nil
	}
	return users
}

func wantRecipients(t testing.TB, h *harness, messageID, typ string, want ...int64) {
	t.Helper()
	got := recipients(t, h, messageID, typ)
	if want == nil {
		if got != nil {
			t.Fatalf("%s notification still exists with recipients %v, want the row deleted", typ, got)
		}
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s recipients = %v, want %v", typ, got, want)
	}
}

func TestNotificationLifecycle(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "hello")
		wantRecipients(t, h, m.ID, "NEW_MESSAGE", 2, 3)
		r, _ := sendFull(t, w.b, map[string]any{"room_id": w.room.ID, "content": "re", "extra_fields": map[string]any{"parent_message_id": m.ID}})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c)
		wantRecipients(t, h, r.ID, "REPLY", 1, 3)
		wantRecipients(t, h, r.ID, "NEW_MESSAGE")
		request(t, w.c, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": m.ID, "reaction_content": "🎉"})
		receive(t, protocol.DispatchReaction, w.a1, w.a2, w.b, w.c)
		wantRecipients(t, h, m.ID, "REACTION", 1, 2)
		// A message in a second room, to see the grouping by room.
		dm := createRoom(t, w.a1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.b)
		d, _ := sendFull(t, w.a1, map[string]any{"room_id": dm.ID, "content": "direct"})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b)
		w.quiet(t)

		// Pending ones are pushed on connect, grouped by room, oldest first.
		for user, want := range map[int64]map[string][]string{
			1: {w.room.ID: {"REPLY:re", "REACTION:hello"}},
			2: {w.room.ID: {"NEW_MESSAGE:hello", "REACTION:hello"}, dm.ID: {"NEW_MESSAGE:direct"}},
			3: {w.room.ID: {"NEW_MESSAGE:hello", "REPLY:re"}},
			9: {},
		} {
			c, got := h.dialNotifications(t, user)
			if len(got) != len(want) {
				t.Fatalf("user %d got rooms %v, want %v", user, got, want)
			}
			for room, list := range want {
				// The order is TestNotificationsPushedOldestFirst's concern.
				g := notified(got[room])
				slices.Sort(g)
				slices.Sort(list)
				if !slices.Equal(g, list) {
					t.Fatalf("user %d room %s: got %v, want %v", user, room, g, list)
				}
			}
			if user == 2 {
				n := got[w.room.ID][0]
				if n.ID == "" || n.Message.ID != m.ID || n.Message.Room.ID != w.room.ID {
					t.Fatalf("notification = %+v", n)
				}
			}
			_ = c.Close()
		}

		// An acknowledgement takes the user off; the last one deletes the row.
		if _, err := w.b.Send(testCtx(t), protocol.EventMessageAcknowledged, map[string]any{"message_id": []string{m.ID, d.ID}}); err != nil {
			t.Fatal(err)
		}
		receive(t, protocol.DispatchDelivered, w.a1, w.a2)
		w.quiet(t)
		wantRecipients(t, h, m.ID, "NEW_MESSAGE", 3)
		wantRecipients(t, h, m.ID, "REACTION", 1)
		wantRecipients(t, h, d.ID, "NEW_MESSAGE")
		// So does a read.
		request(t, w.c, protocol.EventMessageRead, map[string]any{"message_id": []string{m.ID, r.ID}})
		receive(t, protocol.DispatchReadReceipt, w.a1, w.a2, w.b, w.c)
		wantRecipients(t, h, m.ID, "NEW_MESSAGE")
		wantRecipients(t, h, r.ID, "REPLY", 1)
		request(t, w.a2, protocol.EventMessageRead, map[string]any{"message_id": r.ID})
		receive(t, protocol.DispatchReadReceipt, w.a1, w.a2, w.b, w.c)
		wantRecipients(t, h, r.ID, "REPLY")
		w.quiet(t)

		for _, user := range []int64{2, 3} {
			c, got := h.dialNotifications(t, user)
			if len(got) != 0 {
				t.Fatalf("user %d still gets %v", user, got)
			}
			_ = c.Close()
		}
		if n := countRows(t, h, "rtchat_notification_recipients", "notification_id NOT IN (SELECT id FROM rtchat_notifications)"); n != 0 {
			t.Fatalf("%d orphaned recipients", n)
		}
		if n := countRows(t, h, "rtchat_notifications", "id NOT IN (SELECT notification_id FROM rtchat_notification_recipients)"); n != 0 {
			t.Fatalf("%d notifications without recipients remain", n)
		}
	})
}

// TestNotificationsPushedOldestFirst: pending notifications come oldest
// first, a reaction's dated when the reaction was added.
func TestNotificationsPushedOldestFirst(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "hello")
		sendFull(t, w.b, map[string]any{"room_id": w.room.ID, "content": "re", "extra_fields": map[string]any{"parent_message_id": m.ID}})
		request(t, w.c, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": m.ID, "reaction_content": "🎉"})
		sendFull(t, w.b, map[string]any{"room_id": w.room.ID, "content": "later"})
		_, got := h.dialNotifications(t, 1)
		if g, want := notified(got[w.room.ID]), []string{"REPLY:re", "REACTION:hello", "NEW_MESSAGE:later"}; !slices.Equal(g, want) {
			t.Fatalf("user 1 got %v, want %v (oldest first)", g, want)
		}
		w.drain(t)
	})
}

// TestReactionNotificationToSenderClears: a reaction notifies the message's
// sender too; the sender must be able to clear it the way every other
// recipient does (read or acknowledge the message), or it is pushed on every
// connect for ever.
func TestReactionNotificationToSenderClears(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "react to me")
		request(t, w.b, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": m.ID, "reaction_content": "👍"})
		receive(t, protocol.DispatchReaction, w.a1, w.a2, w.b, w.c)
		wantRecipients(t, h, m.ID, "REACTION", 1, 3)
		for _, event := range []string{protocol.EventMessageRead, protocol.EventMessageAcknowledged} {
			if _, err := w.a1.Send(testCtx(t), event, map[string]any{"message_id": m.ID}); err != nil {
				t.Fatal(err)
			}
		}
		w.quiet(t) // own messages: no receipts, no deliveries
		if got := recipients(t, h, m.ID, "REACTION"); slices.Contains(got, 1) {
			t.Fatalf("REACTION recipients = %v: the sender read and acknowledged the message and is still a recipient", got)
		}
	})
}

func TestNotificationsOff(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		dial := func(user int64) *client.Client {
			c, err := client.Dial(testCtx(t), h.url, client.WithToken(fmt.Sprint(user)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			barrier(t, c)
			if n := c.Pending(protocol.DispatchNotifications); n != 0 {
				t.Fatalf("user %d got chat.notifications with notifications off", user)
			}
			return c
		}
		w := &world{h: h, a1: dial(1), a2: dial(1), b: dial(2), c: dial(3), x: dial(9)}
		w.room = createRoom(t, w.a1, map[string]any{"type": protocol.RoomGroup, "name": "quiet", "participants": []int64{2, 3}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.b, w.c)
		m := w.sendAll(t, w.a1, "no bell")
		sendFull(t, w.b, map[string]any{"room_id": w.room.ID, "content": "re", "extra_fields": map[string]any{"parent_message_id": m.ID}})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c)
		request(t, w.c, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": m.ID, "reaction_content": "x"})
		receive(t, protocol.DispatchReaction, w.a1, w.a2, w.b, w.c)
		request(t, w.b, protocol.EventMessageRead, map[string]any{"message_id": m.ID})
		receive(t, protocol.DispatchReadReceipt, w.a1, w.a2, w.b, w.c)
		w.quiet(t)
		for _, table := range []string{"rtchat_notifications", "rtchat_notification_recipients"} {
			if n := countRows(t, h, table, ""); n != 0 {
				t.Fatalf("%s has %d rows with notifications off", table, n)
			}
		}
		dial(2)
	}, rtchat.WithNotifications(false))
}

// A user's reaction to a message is one notification, whatever its history:
// a replacement supersedes it and a removal takes it away.
func TestReactionNotificationFollowsTheReaction(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "react to me")
		reactionRows := func() int {
			return countRows(t, h, "rtchat_notifications", "message_id = ? AND notification_type = ?", m.ID, "REACTION")
		}
		for i, emoji := range []string{"👍", "🎉", "❤️"} {
			request(t, w.b, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": m.ID, "reaction_content": emoji})
			receive(t, protocol.DispatchReaction, w.a1, w.a2, w.b, w.c)
			if n := reactionRows(); n != 1 {
				t.Fatalf("after reaction %d: %d REACTION notifications, want 1", i+1, n)
			}
		}
		wantRecipients(t, h, m.ID, "REACTION", 1, 3)
		request(t, w.b, protocol.EventMessageReact, map[string]any{"type": "remove", "message_id": m.ID})
		receive(t, protocol.DispatchReaction, w.a1, w.a2, w.b, w.c)
		if n := reactionRows(); n != 0 {
			t.Fatalf("after removal: %d REACTION notifications, want 0", n)
		}
		w.quiet(t)
	})
}
