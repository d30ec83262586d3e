package rtchat_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/protocol"
)

// far returns the Chat of the node that does not hold user's connections
// (on one node, the only one): what it does from Go reaches them through
// the broker.
func (h *harness) far(user int64) *rtchat.Chat {
	if h.peer == nil || h.node(user) != h {
		return h.chat
	}
	return h.peer.chat
}

// wantAPICode fails unless err carries the wire error code.
func wantAPICode(t testing.TB, err error, code int) *protocol.Error {
	t.Helper()
	pe, ok := protocol.AsError(err)
	if !ok {
		t.Fatalf("err = %v, want a wire error %d", err, code)
	}
	wantCode(t, pe, code)
	return pe
}

// wantNone asserts that c received no frame of eventType (an app's event,
// which quiet does not look for).
func wantNone(t testing.TB, name string, c *client.Client, eventType string) {
	t.Helper()
	barrier(t, c)
	if n := c.Pending(eventType); n != 0 {
		t.Fatalf("%s received %d %s, want none", name, n, eventType)
	}
}

func TestSendMessageFromGoKeepsSeqOrderWithClientSends(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, c := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "mixed", "participants": []int64{2, 3}})
		settle(t, a, b, c)
		chat := h.far(2)

		// User 1 sends from Go while user 3 sends from its socket.
		const n = 8
		var wg sync.WaitGroup
		goErr := make(chan error, 1)
		wg.Go(func() {
			for i := range n {
				if _, err := chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: room.ID, UserID: 1, Content: fmt.Sprint("go ", i)}); err != nil {
					goErr <- err
					return
				}
			}
		})
		for i := range n {
			if _, err := c.SendMessage(testCtx(t), room.ID, fmt.Sprint("socket ", i)); err != nil {
				t.Fatalf("socket send %d: %v", i, err)
			}
		}
		wg.Wait()
		close(goErr)
		if err := <-goErr; err != nil {
			t.Fatalf("SendMessage: %v", err)
		}

		// Every member, the Go sender's own connection included, gets all
		// of them in seq order, each sender's in the order sent.
		for name, cl := range map[string]*client.Client{"the sender's connection": a, "a member": b, "the socket sender": c} {
			counts := map[int64]int{}
			for i := int64(1); i <= 2*n; i++ {
				f := next(t, cl, protocol.DispatchMessage)
				m := decode[wireMessage](t, f)
				if m.Seq != i {
					t.Fatalf("%s: message %d has seq %d: %s", name, i, m.Seq, f.Data)
				}
				prefix := map[int64]string{1: "go ", 3: "socket "}[m.Sender.ID]
				if want := fmt.Sprint(prefix, counts[m.Sender.ID]); m.Content != want {
					t.Fatalf("%s: seq %d is %q from %d, want %q", name, i, m.Content, m.Sender.ID, want)
				}
				counts[m.Sender.ID]++
				if m.Sender.ID == 1 && f.RequestID != "" {
					t.Fatalf("%s: a message sent from Go carries request_id %q", name, f.RequestID)
				}
			}
			quiet(t, name, cl)
		}

		// What SendMessage returns is what the members received.
		sent, err := chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: room.ID, UserID: 1, Content: "last"})
		if err != nil {
			t.Fatal(err)
		}
		got := decode[wireMessage](t, next(t, b, protocol.DispatchMessage))
		if sent.ID != got.ID || sent.Seq != 2*n+1 || got.Seq != sent.Seq || sent.Duplicate {
			t.Fatalf("SendMessage returned %+v, b got %+v", sent, got)
		}
		if m := decode[wireMessage](t, protocol.Frame{Data: sent.JSON}); m.ID != sent.ID || m.Sender.ID != 1 || m.Content != "last" {
			t.Fatalf("SentMessage.JSON = %s", sent.JSON)
		}
		if n := h.count(t, "rtchat_messages", "room_id = ?", room.ID); n != 2*8+1 {
			t.Fatalf("%d messages stored, want %d", n, 2*8+1)
		}
	})
}

func TestSendMessageFromGoRefusesWhatAClientWouldBeRefused(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, x := h.dial(t, 1), h.dial(t, 2), h.dial(t, 4)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "closed", "participants": []int64{2}})
		settle(t, a, b, x)
		chat := h.far(2)

		_, err := chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: room.ID, UserID: 4, Content: "let me in"})
		wantError(t, wantAPICode(t, err, protocol.CodePermissionDenied), protocol.CodePermissionDenied, protocol.DetailPermissionDenied)
		if n := h.count(t, "rtchat_messages", ""); n != 0 {
			t.Fatalf("a refused send stored %d messages", n)
		}
		for name, c := range map[string]*client.Client{"a member": a, "another member": b, "the outsider": x} {
			quiet(t, name, c)
		}

		_, err = chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: uuid.NewString(), UserID: 1, Content: "nowhere"})
		wantAPICode(t, err, protocol.CodeNotFound)
		_, err = chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: uuid.NewString(), UserID: rtchat.SystemUserID, Content: "nowhere"})
		wantAPICode(t, err, protocol.CodeNotFound)
		_, err = chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: room.ID, UserID: 1, Content: "  "})
		if pe := wantAPICode(t, err, protocol.CodeInvalid); fmt.Sprint(pe.Detail) != fmt.Sprint(protocol.FieldErrors{"content": {"This field may not be blank."}}) {
			t.Fatalf("detail = %v", pe.Detail)
		}
		_, err = chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: "not-a-room", UserID: 1, Content: "hi"})
		wantAPICode(t, err, protocol.CodeInvalid)
		if n := h.count(t, "rtchat_messages", ""); n != 0 {
			t.Fatalf("refused sends stored %d messages", n)
		}
		quiet(t, "a member", a)
	})
}

func TestSendMessageAsTheSystem(t *testing.T) {
	// The app's lookup fails when asked about the system.
	lookup := func(ctx context.Context, ids []int64) (map[int64]rtchat.User, error) {
		if slices.Contains(ids, rtchat.SystemUserID) {
			return nil, errors.New("the system was looked up as a user")
		}
		return namedUsers(ctx, ids)
	}
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		// A channel whose subscribers may not send: the system still may.
		ch := createRoom(t, a, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2, 3}})
		settle(t, a, b)
		chat := h.far(2)

		sent, err := chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: ch.ID, UserID: rtchat.SystemUserID, Content: "maintenance at noon"})
		if err != nil {
			t.Fatal(err)
		}
		system := map[string]any{"id": float64(0), "username": "system"}
		for name, c := range map[string]*client.Client{"the creator": a, "a subscriber": b} {
			got := only(t, name, c, protocol.DispatchMessage)
			if !mapsEqual(got["sender"], system) || got["id"] != sent.ID || got["content"] != "maintenance at noon" {
				t.Fatalf("%s got %v", name, got)
			}
		}
		if m := decode[map[string]any](t, protocol.Frame{Data: sent.JSON}); !mapsEqual(m["sender"], system) {
			t.Fatalf("SentMessage.JSON sender = %v", m["sender"])
		}

		// A reply as the system quotes a message of the room.
		mine := post(t, a, ch.ID, "question")
		settle(t, a, b)
		reply, err := chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: ch.ID, UserID: rtchat.SystemUserID, Content: "answer", ParentMessageID: mine.ID})
		if err != nil {
			t.Fatal(err)
		}
		got := decode[fullMessage](t, next(t, b, protocol.DispatchMessage))
		if got.ID != reply.ID || got.ParentMessage == nil || got.ParentMessage.ID != mine.ID || got.Sender.ID != 0 || got.Sender.Username != "system" {
			t.Fatalf("system reply = %+v", got)
		}
		settle(t, a, b)

		// Read pointers and receipts work on the system's message.
		request(t, b, protocol.EventMessageRead, map[string]any{"message_id": sent.ID})
		next(t, a, protocol.DispatchReadReceipt)

		// A subscriber who was away is notified of the system's messages.
		c, err := client.Dial(testCtx(t), h.node(3).url, client.WithToken("3"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		notes := decode[map[string][]wireNotification](t, next(t, c, protocol.DispatchNotifications))
		var fromSystem int
		for _, n := range notes[ch.ID] {
			if n.Message.Sender.ID == 0 && n.Message.Sender.Username == "system" {
				fromSystem++
			}
		}
		if fromSystem != 2 {
			t.Fatalf("user 3's notifications = %+v, want the two system messages", notes)
		}
		// room.list shows the system as the last message's sender.
		list := decode[[]struct {
			LastMessage wireMessage `json:"last_message"`
			UnreadCount int         `json:"unread_count"`
		}](t, request(t, c, protocol.EventRoomList, nil))
		if len(list) != 1 || list[0].LastMessage.ID != reply.ID || list[0].LastMessage.Sender != (wireUser{0, "system"}) || list[0].UnreadCount != 3 {
			t.Fatalf("room.list = %+v", list)
		}
	}, rtchat.WithUserLookup(lookup))
}

// mapsEqual compares two JSON objects decoded as any.
func mapsEqual(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestSendMessageFromGoIsIdempotentByClientMsgID(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "idem", "participants": []int64{2}})
		settle(t, a, b)
		chat := h.far(2)
		p := rtchat.MessageParams{RoomID: room.ID, UserID: 1, Content: "once", ClientMsgID: "job-42"}

		first, err := chat.SendMessage(testCtx(t), p)
		if err != nil {
			t.Fatal(err)
		}
		next(t, b, protocol.DispatchMessage)
		p.Content = "twice" // the stored message wins
		again, err := chat.SendMessage(testCtx(t), p)
		if err != nil {
			t.Fatal(err)
		}
		if first.Duplicate || !again.Duplicate || again.ID != first.ID || again.Seq != first.Seq {
			t.Fatalf("first %+v, again %+v", first, again)
		}
		if m := decode[wireMessage](t, protocol.Frame{Data: again.JSON}); m.Content != "once" || m.ClientMsgID == nil || *m.ClientMsgID != "job-42" {
			t.Fatalf("the repeat returned %s", again.JSON)
		}
		quiet(t, "a member", b)
		next(t, a, protocol.DispatchMessage)
		quiet(t, "the sender's connection", a)

		// The system is a sender of its own: the same id is new for it,
		// once.
		sys := rtchat.MessageParams{RoomID: room.ID, UserID: rtchat.SystemUserID, Content: "system once", ClientMsgID: "job-42"}
		s1, err := chat.SendMessage(testCtx(t), sys)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := chat.SendMessage(testCtx(t), sys)
		if err != nil {
			t.Fatal(err)
		}
		if s1.Duplicate || !s2.Duplicate || s1.ID != s2.ID || s1.ID == first.ID {
			t.Fatalf("system sends %+v then %+v", s1, s2)
		}
		next(t, b, protocol.DispatchMessage)
		quiet(t, "a member", b)
		if n := h.count(t, "rtchat_messages", "room_id = ?", room.ID); n != 2 {
			t.Fatalf("%d messages stored, want 2", n)
		}
	})
}

func TestSendMessageFromGoRunsTheEventMapsHandler(t *testing.T) {
	events := eventmap.Default()
	builtin, _ := events.Lookup(protocol.EventMessageSend)
	events.Set(protocol.EventMessageSend, func(ctx context.Context, r *handler.Request) error {
		var in struct{ Content string }
		if err := r.Decode(&in); err == nil && in.Content == "spam" {
			return protocol.NewError(protocol.CodeInvalid, "no spam")
		}
		return builtin(ctx, r)
	})
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "moderated", "participants": []int64{2}})
		settle(t, a, b)
		chat := h.far(2)
		_, err := chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: room.ID, UserID: rtchat.SystemUserID, Content: "spam"})
		wantError(t, wantAPICode(t, err, protocol.CodeInvalid), protocol.CodeInvalid, "no spam")
		quiet(t, "a member", b)
		if _, err := chat.SendMessage(testCtx(t), rtchat.MessageParams{RoomID: room.ID, UserID: 1, Content: "ham"}); err != nil {
			t.Fatal(err)
		}
		if m := decode[wireMessage](t, next(t, b, protocol.DispatchMessage)); m.Content != "ham" {
			t.Fatalf("got %+v", m)
		}
	}, rtchat.WithEventMap(events))
}

func TestCreateRoomFromGo(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, c, x := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 4)
		chat := h.far(2)
		created, err := chat.CreateRoom(testCtx(t), 1, rtchat.RoomParams{
			Type: protocol.RoomGroup, Name: "from go", Participants: []int64{2, 3},
			ExtraFields: map[string]any{"group_locked": false, "max_participants": 10},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := decode[wireRoom](t, protocol.Frame{Data: created.JSON}); got.ID != created.ID || got.Name != "from go" {
			t.Fatalf("CreatedRoom = %+v", created)
		}
		for name, cl := range map[string]*client.Client{"the creator": a, "a participant": b, "another participant": c} {
			got := only(t, name, cl, protocol.DispatchRoomCreate)
			if got["id"] != created.ID {
				t.Fatalf("%s got %v", name, got)
			}
			wantIDs(t, "participants", userIDsOf(got["participants"]), 1, 2, 3)
			wantIDs(t, "admins", userIDsOf(got["admins"]), 1)
		}
		quiet(t, "an outsider", x)
		wantIDs(t, "member rows", h.members(t, created.ID), 1, 2, 3)

		// The members' connections are in the room's fan-out.
		post(t, b, created.ID, "hello")
		for name, cl := range map[string]*client.Client{"the creator": a, "another participant": c} {
			if m := decode[wireMessage](t, next(t, cl, protocol.DispatchMessage)); m.Content != "hello" {
				t.Fatalf("%s got %+v", name, m)
			}
		}
		quiet(t, "an outsider", x)

		// room.create's rules hold.
		if _, err := chat.CreateRoom(testCtx(t), 1, rtchat.RoomParams{Type: protocol.RoomOneToOne, Participants: []int64{4}}); err != nil {
			t.Fatal(err)
		}
		_, err = chat.CreateRoom(testCtx(t), 4, rtchat.RoomParams{Type: protocol.RoomOneToOne, Participants: []int64{1}})
		wantAPICode(t, err, protocol.CodeConflict)
		_, err = chat.CreateRoom(testCtx(t), 1, rtchat.RoomParams{Type: "Forum", Name: "x"})
		wantAPICode(t, err, protocol.CodeInvalid)
		_, err = chat.CreateRoom(testCtx(t), rtchat.SystemUserID, rtchat.RoomParams{Type: protocol.RoomGroup, Name: "nobody's"})
		wantAPICode(t, err, protocol.CodeInvalid)
		if n := h.count(t, "rtchat_rooms", ""); n != 2 {
			t.Fatalf("%d rooms, want 2", n)
		}
	})
}

func TestAddAndRemoveMembersFromGo(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, c, d, x := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 4), h.dial(t, 5)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2}})
		settle(t, a, b, c, d, x)
		chat := h.far(2)

		// The admin adds user 3.
		res, err := chat.AddMembers(testCtx(t), 1, room.ID, []int64{3})
		if err != nil {
			t.Fatal(err)
		}
		if got := decode[map[string]any](t, protocol.Frame{Data: res.JSON}); got["added_by"] != "user1" || joinStrings(strs(got["new_members"])) != "user3" {
			t.Fatalf("AddMembers returned %s", res.JSON)
		}
		for name, cl := range map[string]*client.Client{"the admin": a, "a member": b, "the newcomer": c} {
			got := only(t, name, cl, protocol.DispatchRoomAddMembers)
			if got["added_by"] != "user1" || joinStrings(strs(got["new_members"])) != "user3" {
				t.Fatalf("%s got %v", name, got)
			}
		}

		// A member who is not an admin may not; the system may.
		_, err = chat.AddMembers(testCtx(t), 2, room.ID, []int64{4})
		wantAPICode(t, err, protocol.CodePermissionDenied)
		quiet(t, "user 4", d)
		if _, err := chat.AddMembers(testCtx(t), rtchat.SystemUserID, room.ID, []int64{4}); err != nil {
			t.Fatal(err)
		}
		for name, cl := range map[string]*client.Client{"the admin": a, "a member": b, "user 3": c, "the newcomer": d} {
			got := only(t, name, cl, protocol.DispatchRoomAddMembers)
			if got["added_by"] != "system" || joinStrings(strs(got["new_members"])) != "user4" {
				t.Fatalf("%s got %v", name, got)
			}
		}
		quiet(t, "an outsider", x)
		wantIDs(t, "member rows", h.members(t, room.ID), 1, 2, 3, 4)

		// Removal: a member may not remove another; the admin may.
		_, err = chat.RemoveMembers(testCtx(t), 2, room.ID, []int64{3})
		wantAPICode(t, err, protocol.CodePermissionDenied)
		if _, err := chat.RemoveMembers(testCtx(t), 1, room.ID, []int64{3}); err != nil {
			t.Fatal(err)
		}
		if exit := only(t, "the removed member", c, protocol.DispatchRoomExit); exit["message"] != "You have been removed by user1" {
			t.Fatalf("roomexit = %v", exit)
		}
		for name, cl := range map[string]*client.Client{"the admin": a, "a member": b, "user 4": d} {
			got := only(t, name, cl, protocol.DispatchRoomRemoveMembers)
			if got["removed_by"] != "user1" || joinStrings(strs(got["removed_members"])) != "user3" {
				t.Fatalf("%s got %v", name, got)
			}
		}

		// The system removes even the creator.
		res, err = chat.RemoveMembers(testCtx(t), rtchat.SystemUserID, room.ID, []int64{1})
		if err != nil {
			t.Fatal(err)
		}
		if got := decode[map[string]any](t, protocol.Frame{Data: res.JSON}); got["removed_by"] != "system" || res.RoomDeleted {
			t.Fatalf("RemoveMembers returned %+v", res)
		}
		if exit := only(t, "the creator", a, protocol.DispatchRoomExit); exit["message"] != "You have been removed by system" {
			t.Fatalf("roomexit = %v", exit)
		}
		for name, cl := range map[string]*client.Client{"a member": b, "user 4": d} {
			got := only(t, name, cl, protocol.DispatchRoomRemoveMembers)
			if got["removed_by"] != "system" || joinStrings(strs(got["removed_members"])) != "user1" {
				t.Fatalf("%s got %v", name, got)
			}
		}
		wantIDs(t, "member rows", h.members(t, room.ID), 2, 4)
		post(t, b, room.ID, "still here")
		next(t, d, protocol.DispatchMessage)
		quiet(t, "the removed creator", a)
		quiet(t, "the removed member", c)

		// Removing the last members deletes the room.
		res, err = chat.RemoveMembers(testCtx(t), rtchat.SystemUserID, room.ID, []int64{2, 4})
		if err != nil || !res.RoomDeleted {
			t.Fatalf("RemoveMembers = %+v, %v; want the room deleted", res, err)
		}
		if n := h.count(t, "rtchat_rooms", "id = ?", room.ID); n != 0 {
			t.Fatal("the room is still there")
		}
		_, err = chat.AddMembers(testCtx(t), rtchat.SystemUserID, room.ID, []int64{2})
		wantAPICode(t, err, protocol.CodeNotFound)
	}, rtchat.WithUserLookup(namedUsers))
}

func TestPublishToRoomFromGo(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a1, b, x, a2 := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 1)
		room := createRoom(t, a1, map[string]any{"type": protocol.RoomGroup, "name": "alerts", "participants": []int64{2}})
		settle(t, a1, a2, b, x)
		chat := h.far(2)

		if err := chat.PublishToRoom(testCtx(t), room.ID, "app.alert", map[string]any{"level": "high"}); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]*client.Client{"a member": a1, "the member's other connection": a2, "another member": b} {
			f := next(t, c, "app.alert")
			if got := decode[map[string]any](t, f); got["level"] != "high" || f.RequestID != "" {
				t.Fatalf("%s got %s", name, f.Data)
			}
			wantNone(t, name, c, "app.alert")
		}
		wantNone(t, "an outsider", x, "app.alert")

		if err := chat.PublishToRoom(testCtx(t), uuid.NewString(), "app.alert", nil); !errors.Is(err, rtchat.ErrRoomNotFound) {
			t.Fatalf("a room that does not exist: %v", err)
		}
		if err := chat.PublishToRoom(testCtx(t), "not-a-room", "app.alert", nil); !errors.Is(err, rtchat.ErrRoomNotFound) {
			t.Fatalf("a room id that is no uuid: %v", err)
		}
	})
}

func TestPublishToUsersFromGo(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a1, b, x, a2 := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 1)
		chat := h.far(2)
		if err := chat.PublishToUsers(testCtx(t), "app.ping", map[string]any{"n": 1}, 1, 2); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]*client.Client{"user 1": a1, "user 1's other connection": a2, "user 2": b} {
			if got := decode[map[string]any](t, next(t, c, "app.ping")); got["n"] != float64(1) {
				t.Fatalf("%s got %v", name, got)
			}
			wantNone(t, name, c, "app.ping")
		}
		wantNone(t, "user 3", x, "app.ping")
	})
}
