package rtchat_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

func readersOf(m fullMessage) []int64 {
	var out []int64
	for _, r := range m.ReadReceipts {
		out = append(out, r.Reader.ID)
	}
	slices.Sort(out)
	return out
}

func idsOf(ms []fullMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// fire sends an event that may answer the caller nothing.
func fire(t testing.TB, c *client.Client, event string, data any) {
	t.Helper()
	if _, err := c.Send(testCtx(t), event, data); err != nil {
		t.Fatal(err)
	}
}

func TestReadSingle(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "read me")
		for round := range 2 { // reading twice is not an error
			f := request(t, w.b, protocol.EventMessageRead, map[string]any{"message_id": m.ID})
			checkMessageShape(t, decode[map[string]any](t, f), 0)
			for i, f := range receive(t, protocol.DispatchReadReceipt, w.a1, w.a2, w.b, w.c) {
				got := decode[fullMessage](t, f) // one id: one Message, not a list
				if got.ID != m.ID || !slices.Equal(readersOf(got), []int64{2}) || !slices.Equal(got.DeliveredTo, []string{"2"}) ||
					got.ReadReceipts[0].ReadAt.IsZero() {
					t.Fatalf("round %d connection %d got %s", round, i, f.Data)
				}
			}
			w.quiet(t)
		}
		if n := countRows(t, h, "rtchat_read_receipts", ""); n != 1 {
			t.Fatalf("receipts = %d", n)
		}
		if n := countRows(t, h, "rtchat_deliveries", "user_id = ?", 2); n != 1 {
			t.Fatalf("a read counts as delivered: deliveries = %d", n)
		}
		// A second reader.
		request(t, w.c, protocol.EventMessageRead, map[string]any{"message_id": m.ID})
		for _, f := range receive(t, protocol.DispatchReadReceipt, w.a1, w.a2, w.b, w.c) {
			if got := decode[fullMessage](t, f); !slices.Equal(readersOf(got), []int64{2, 3}) {
				t.Fatalf("got %s", f.Data)
			}
		}
		w.quiet(t)
	})
}

func TestReadList(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m1 := w.sendAll(t, w.a1, "one")
		m2 := w.sendAll(t, w.c, "two")
		dm := createRoom(t, w.a1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.b)
		d, _ := sendFull(t, w.a1, map[string]any{"room_id": dm.ID, "content": "direct"})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b)
		own := w.sendAll(t, w.b, "b's own")

		fire(t, w.b, protocol.EventMessageRead, map[string]any{"message_id": []string{d.ID, m2.ID, own.ID, m1.ID}})
		// The group's members get one frame with the group's two messages (in
		// seq order, b's own left out); the 1:1's members one with a list of one.
		for i, c := range []*client.Client{w.a1, w.a2, w.b, w.c} {
			var group, direct []fullMessage
			n := 1
			if c != w.c {
				n = 2
			}
			for range n {
				list := decode[[]fullMessage](t, next(t, c, protocol.DispatchReadReceipt))
				if len(list) > 0 && list[0].Room.ID == dm.ID {
					direct = list
				} else {
					group = list
				}
			}
			if !slices.Equal(idsOf(group), []string{m1.ID, m2.ID}) {
				t.Fatalf("connection %d: group frame %v, want [m1 m2]", i, idsOf(group))
			}
			if c != w.c && !slices.Equal(idsOf(direct), []string{d.ID}) {
				t.Fatalf("connection %d: 1:1 frame %v", i, idsOf(direct))
			}
			for _, m := range append(group, direct...) {
				if !slices.Equal(readersOf(m), []int64{2}) {
					t.Fatalf("readers of %s = %v", m.Content, readersOf(m))
				}
			}
		}
		w.quiet(t)
		if n := countRows(t, h, "rtchat_read_receipts", ""); n != 3 {
			t.Fatalf("receipts = %d, want 3 (own message skipped)", n)
		}
		// A repeated id counts once.
		f := request(t, w.b, protocol.EventMessageRead, map[string]any{"message_id": []string{m1.ID, m1.ID}})
		if list := decode[[]fullMessage](t, f); !slices.Equal(idsOf(list), []string{m1.ID}) {
			t.Fatalf("repeated id = %s", f.Data)
		}
		receive(t, protocol.DispatchReadReceipt, w.a1, w.a2, w.b, w.c)
		// A list of one gives a list.
		f = request(t, w.c, protocol.EventMessageRead, map[string]any{"message_id": []string{m1.ID}})
		if list := decode[[]fullMessage](t, f); len(list) != 1 || !slices.Equal(readersOf(list[0]), []int64{2, 3}) {
			t.Fatalf("list of one = %s", f.Data)
		}
		receive(t, protocol.DispatchReadReceipt, w.a1, w.a2, w.b, w.c)
		w.quiet(t)
	})
}

func TestReadOwnSendsNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "mine")
		before := dbState(t, h)
		fire(t, w.a1, protocol.EventMessageRead, map[string]any{"message_id": m.ID})
		fire(t, w.a2, protocol.EventMessageRead, map[string]any{"message_id": []string{m.ID}})
		fire(t, w.a1, protocol.EventMessageAcknowledged, map[string]any{"message_id": m.ID})
		w.quiet(t)
		if after := dbState(t, h); after != before {
			t.Fatalf("reading own messages changed the database:\n%s\n%s", before, after)
		}
	})
}

func TestAcknowledged(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m1 := w.sendAll(t, w.a1, "from a")
		m2 := w.sendAll(t, w.c, "from c")
		m3 := w.sendAll(t, w.a1, "from a again")
		// One id: the sender's devices get a list of one; nobody else anything.
		for round := range 2 { // acknowledging twice is not an error
			fire(t, w.b, protocol.EventMessageAcknowledged, map[string]any{"message_id": m1.ID})
			for i, f := range receive(t, protocol.DispatchDelivered, w.a1, w.a2) {
				list := decode[[]fullMessage](t, f)
				if len(list) != 1 || list[0].ID != m1.ID || !slices.Equal(list[0].DeliveredTo, []string{"2"}) || len(list[0].ReadReceipts) != 0 {
					t.Fatalf("round %d connection %d got %s", round, i, f.Data)
				}
				checkMessageShape(t, decode[[]any](t, f)[0], 0)
			}
			w.quiet(t)
		}
		// A list over two senders: each sender gets its own messages.
		fire(t, w.b, protocol.EventMessageAcknowledged, map[string]any{"message_id": []string{m3.ID, m2.ID, m1.ID}})
		for i, f := range receive(t, protocol.DispatchDelivered, w.a1, w.a2) {
			if list := decode[[]fullMessage](t, f); !slices.Equal(idsOf(list), []string{m1.ID, m3.ID}) {
				t.Fatalf("a's device %d got %v", i, idsOf(list))
			}
		}
		if list := decode[[]fullMessage](t, next(t, w.c, protocol.DispatchDelivered)); !slices.Equal(idsOf(list), []string{m2.ID}) ||
			!slices.Equal(list[0].DeliveredTo, []string{"2"}) {
			t.Fatalf("c got %v", idsOf(list))
		}
		w.quiet(t)
		// c acknowledges a's message: a's devices see both recipients.
		fire(t, w.c, protocol.EventMessageAcknowledged, map[string]any{"message_id": []string{m1.ID}})
		for _, f := range receive(t, protocol.DispatchDelivered, w.a1, w.a2) {
			if list := decode[[]fullMessage](t, f); len(list) != 1 || !slices.Equal(list[0].DeliveredTo, []string{"2", "3"}) {
				t.Fatalf("got %s", f.Data)
			}
		}
		w.quiet(t)
		if n := countRows(t, h, "rtchat_deliveries", ""); n != 4 {
			t.Fatalf("deliveries = %d, want 4", n)
		}
		if n := countRows(t, h, "rtchat_read_receipts", ""); n != 0 {
			t.Fatalf("an acknowledgement is not a read: receipts = %d", n)
		}
	})
}

type listItem struct {
	ID          string `json:"id"`
	LastSeq     int64  `json:"last_seq"`
	LastReadSeq int64  `json:"last_read_seq"`
	UnreadCount int64  `json:"unread_count"`
}

func pointers(t testing.TB, c *client.Client, roomID string) listItem {
	t.Helper()
	f := request(t, c, protocol.EventRoomList, nil)
	c.Drain(protocol.DispatchRoomList)
	for _, it := range decode[[]listItem](t, f) {
		if it.ID == roomID {
			return it
		}
	}
	t.Fatalf("room %s not listed", roomID)
	return listItem{}
}

func TestRoomListPointers(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		var ms []fullMessage
		for i := range 4 {
			ms = append(ms, w.sendAll(t, w.a1, fmt.Sprint("m", i+1)))
		}
		want := func(c *client.Client, who string, read, unread int64) {
			t.Helper()
			if got := pointers(t, c, w.room.ID); got.LastSeq != 4 && got.LastSeq != 5 || got.LastReadSeq != read || got.UnreadCount != unread ||
				got.UnreadCount != got.LastSeq-got.LastReadSeq {
				t.Fatalf("%s: %+v, want last_read_seq %d unread_count %d", who, got, read, unread)
			}
		}
		want(w.a2, "sender", 4, 0) // own sends count as read
		want(w.b, "b", 0, 4)
		request(t, w.b, protocol.EventMessageRead, map[string]any{"message_id": ms[1].ID})
		want(w.b, "b after reading m2", 2, 2)
		fire(t, w.b, protocol.EventMessageAcknowledged, map[string]any{"message_id": ms[3].ID})
		want(w.b, "b after acknowledging m4", 2, 2) // delivered is not read
		request(t, w.b, protocol.EventMessageRead, map[string]any{"message_id": ms[0].ID})
		want(w.b, "b after reading m1", 2, 2) // never moves back
		request(t, w.b, protocol.EventMessageRead, map[string]any{"message_id": []string{ms[2].ID, ms[3].ID}})
		want(w.b, "b after reading m3, m4", 4, 0)
		want(w.c, "c", 0, 4)
		w.sendAll(t, w.c, "c writes")
		want(w.c, "c after sending", 5, 0)
		want(w.b, "b after c sent", 4, 1)
		want(w.a1, "a after c sent", 4, 1)
		w.drain(t)
	})
}

func TestConcurrentReads(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		sender := h.dial(t, 1)
		readers := make([]*client.Client, 5)
		for i := range readers {
			readers[i] = h.dial(t, int64(i+2))
		}
		room := createRoom(t, sender, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3, 4, 5, 6}})
		for _, c := range readers {
			next(t, c, protocol.DispatchRoomCreate)
		}
		// Several rounds: the interleavings that matter do not come every time.
		for round := range 6 {
			m := decode[fullMessage](t, request(t, sender, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": fmt.Sprint("read me ", round)}))
			for _, c := range append([]*client.Client{sender}, readers...) {
				next(t, c, protocol.DispatchMessage)
			}
			wantRecipients(t, h, m.ID, "NEW_MESSAGE", 2, 3, 4, 5, 6)
			var wg sync.WaitGroup
			for _, c := range readers {
				wg.Go(func() {
					if _, err := c.Request(testCtx(t), protocol.EventMessageRead, map[string]any{"message_id": m.ID}); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				t.FailNow()
			}
			if n := countRows(t, h, "rtchat_read_receipts", "message_id = ?", m.ID); n != 5 {
				t.Fatalf("round %d: receipts = %d, want 5", round, n)
			}
			if n := countRows(t, h, "rtchat_deliveries", "message_id = ?", m.ID); n != 5 {
				t.Fatalf("round %d: deliveries = %d, want 5", round, n)
			}
			// Every member saw five read receipts; one of them shows all readers.
			for i, c := range append([]*client.Client{sender}, readers...) {
				var most int
				for range 5 {
					got := decode[fullMessage](t, next(t, c, protocol.DispatchReadReceipt))
					most = max(most, len(got.ReadReceipts))
				}
				if most != 5 {
					t.Fatalf("round %d member %d: no receipt frame showed all five readers (max %d)", round, i+1, most)
				}
			}
			// Every reader left the notification, so the row is gone.
			if got := recipients(t, h, m.ID, "NEW_MESSAGE"); got != nil {
				t.Fatalf("round %d: the NEW_MESSAGE notification remains with recipients %v after all five read at once", round, got)
			}
		}
		for i, c := range append([]*client.Client{sender}, readers...) {
			quietConn(t, fmt.Sprint("member ", i+1), c)
		}
	})
}

func TestReceiptsBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "in team")
		dm := createRoom(t, w.a1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.b)
		private, _ := sendFull(t, w.a1, map[string]any{"room_id": dm.ID, "content": "private"})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b)
		tooMany := make([]string, 501)
		for i := range tooMany {
			tooMany[i] = fmt.Sprintf("6f1c3a52-0000-4000-8000-%012d", i)
		}
		for _, event := range []string{protocol.EventMessageRead, protocol.EventMessageAcknowledged} {
			runBad(t, w, event, map[string]badCase{
				"missing message_id":      {w.c, map[string]any{}, protocol.CodeInvalid},
				"null message_id":         {w.c, map[string]any{"message_id": nil}, protocol.CodeInvalid},
				"message_id a number":     {w.c, map[string]any{"message_id": 12}, protocol.CodeInvalid},
				"message_id an object":    {w.c, map[string]any{"message_id": map[string]any{"id": m.ID}}, protocol.CodeInvalid},
				"message_id not a uuid":   {w.c, map[string]any{"message_id": "m1"}, protocol.CodeInvalid},
				"empty list":              {w.c, map[string]any{"message_id": []string{}}, protocol.CodeInvalid},
				"list with a number":      {w.c, map[string]any{"message_id": []any{m.ID, 3}}, protocol.CodeInvalid},
				"list with a non-uuid":    {w.c, map[string]any{"message_id": []string{m.ID, "x"}}, protocol.CodeInvalid},
				"unknown id":              {w.c, map[string]any{"message_id": unknownID}, protocol.CodeNotFound},
				"list with an unknown id": {w.c, map[string]any{"message_id": []string{m.ID, unknownID}}, protocol.CodeNotFound},
				"other room's message":    {w.c, map[string]any{"message_id": private.ID}, protocol.CodePermissionDenied},
				"list with other room's":  {w.c, map[string]any{"message_id": []string{m.ID, private.ID}}, protocol.CodePermissionDenied},
				"outsider":                {w.x, map[string]any{"message_id": m.ID}, protocol.CodePermissionDenied},
				"data a list":             {w.c, []string{m.ID}, protocol.CodeInvalid},
				"501 ids":                 {w.c, map[string]any{"message_id": tooMany}, protocol.CodeInvalid},
			})
		}
	})
}

// TestReceiptsShowLookedUpUsers: with a user lookup, delivered_to lists
// usernames, readers and typers are the looked-up users.
func TestReceiptsShowLookedUpUsers(t *testing.T) {
	lookup := func(_ context.Context, ids []int64) (map[int64]rtchat.User, error) {
		out := map[int64]rtchat.User{}
		for _, id := range ids {
			out[id] = rtchat.User{ID: id, Username: fmt.Sprint("user", id), Email: fmt.Sprint("u", id, "@example.com"), FirstName: "F", LastName: "L"}
		}
		return out, nil
	}
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m := w.sendAll(t, w.a1, "hi")
		if m.Sender.Username != "user1" {
			t.Fatalf("sender = %+v", m.Sender)
		}
		f := request(t, w.b, protocol.EventMessageRead, map[string]any{"message_id": m.ID})
		got := decode[fullMessage](t, f)
		if !slices.Equal(got.DeliveredTo, []string{"user2"}) || len(got.ReadReceipts) != 1 || got.ReadReceipts[0].Reader.Username != "user2" {
			t.Fatalf("read receipt = %s", f.Data)
		}
		reader := decode[map[string]any](t, f)["read_receipts"].([]any)[0].(map[string]any)["reader"].(map[string]any)
		if got := sortedKeys(reader); !slices.Equal(got, []string{"email", "first_name", "id", "last_name", "username"}) {
			t.Fatalf("reader keys %v", got)
		}
		receive(t, protocol.DispatchReadReceipt, w.a1, w.a2, w.b, w.c)
		fire(t, w.c, protocol.EventMessageAcknowledged, map[string]any{"message_id": m.ID})
		for _, f := range receive(t, protocol.DispatchDelivered, w.a1, w.a2) {
			if list := decode[[]fullMessage](t, f); len(list) != 1 || !slices.Equal(list[0].DeliveredTo, []string{"user2", "user3"}) {
				t.Fatalf("delivered = %s", f.Data)
			}
		}
		f = request(t, w.c, protocol.EventMessageTyping, map[string]any{"room_id": w.room.ID})
		if ty := decode[wireTyping](t, f); ty.Username != "user3" || ty.UserID != 3 {
			t.Fatalf("typing = %s", f.Data)
		}
		receive(t, protocol.DispatchTyping, w.a1, w.a2, w.b, w.c)
		w.quiet(t)
	}, rtchat.WithUserLookup(lookup))
}

// A member added to a room starts with its history read: unread_count
// counts what arrives after.
func TestNewcomerStartsWithHistoryRead(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		w.sendAll(t, w.a1, "before")
		w.sendAll(t, w.a1, "before too")
		newcomer := h.dial(t, 8)
		request(t, w.a1, protocol.EventRoomAddMembers, map[string]any{"room_id": w.room.ID, "members": []int64{8}})
		next(t, newcomer, protocol.DispatchRoomAddMembers)
		list := decode[[]map[string]any](t, request(t, newcomer, protocol.EventRoomList, nil))
		if len(list) != 1 || list[0]["unread_count"] != 0.0 || list[0]["last_read_seq"] != 2.0 {
			t.Fatalf("newcomer's room.list = %v", list)
		}
		w.sendAll(t, w.a1, "after")
		next(t, newcomer, protocol.DispatchMessage)
		list = decode[[]map[string]any](t, request(t, newcomer, protocol.EventRoomList, nil))
		if list[0]["unread_count"] != 1.0 {
			t.Fatalf("after one more message: %v", list[0])
		}
	})
}
