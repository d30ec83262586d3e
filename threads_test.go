package rtchat_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// wireThreadMessage is a Message with its thread fields.
type wireThreadMessage struct {
	ID                string     `json:"id"`
	Seq               int64      `json:"seq"`
	Content           string     `json:"content"`
	CreatedAt         time.Time  `json:"created_at"`
	ThreadRootID      *string    `json:"thread_root_id"`
	ThreadReplyCount  int64      `json:"thread_reply_count"`
	ThreadLastReplyAt *time.Time `json:"thread_last_reply_at"`
	ParentMessage     *struct {
		ID string `json:"id"`
	} `json:"parent_message"`
	Thread *struct {
		RootID      string    `json:"root_id"`
		ReplyCount  int64     `json:"reply_count"`
		LastReplyAt time.Time `json:"last_reply_at"`
	} `json:"thread"`
}

type wireThread struct {
	Root         wireThreadMessage `json:"root"`
	ReplyCount   int64             `json:"reply_count"`
	LastReplyAt  *time.Time        `json:"last_reply_at"`
	LastReplySeq int64             `json:"last_reply_seq"`
	LastReadSeq  int64             `json:"last_read_seq"`
	UnreadCount  int64             `json:"unread_count"`
}

type wireThreadPage struct {
	Data struct {
		RoomID   string              `json:"room_id"`
		Messages []wireThreadMessage `json:"messages"`
	} `json:"data"`
	HasMore bool        `json:"has_more"`
	Thread  *wireThread `json:"thread"`
}

type wireThreadList struct {
	RoomID  string       `json:"room_id"`
	Threads []wireThread `json:"threads"`
	HasMore bool         `json:"has_more"`
}

// reply sends a thread reply as c and returns the caller's copy.
func reply(t testing.TB, c *client.Client, roomID, rootID, content string) wireThreadMessage {
	t.Helper()
	data := map[string]any{"room_id": roomID, "content": content,
		"client_msg_id": uuid.NewString(), "extra_fields": map[string]any{"thread_root_id": rootID}}
	f := request(t, c, protocol.EventMessageSend, data)
	if f.EventType == protocol.DispatchDone {
		// Two nodes: delivered from the database first; the same
		// client_msg_id answers with the stored reply.
		f = request(t, c, protocol.EventMessageSend, data)
	}
	if f.EventType != protocol.DispatchMessage {
		t.Fatalf("thread reply answered %s", f.EventType)
	}
	c.Drain(protocol.DispatchMessage)
	return decode[wireThreadMessage](t, f)
}

func threadPage(t testing.TB, c *client.Client, data map[string]any) wireThreadPage {
	t.Helper()
	return decode[wireThreadPage](t, request(t, c, protocol.EventRoomMessages, data))
}

func threadList(t testing.TB, c *client.Client, roomID string) wireThreadList {
	t.Helper()
	return decode[wireThreadList](t, request(t, c, protocol.EventThreadList, map[string]any{"room_id": roomID}))
}

func seqsOfThread(ms []wireThreadMessage) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

// threadRoom makes a group of users 1 and 2 with a root message by 1.
func threadRoom(t *testing.T, h *harness) (a, b *client.Client, room wireRoom, root wireMessage) {
	a, b = h.dial(t, 1), h.dial(t, 2)
	room = createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
	b.Drain(protocol.DispatchRoomCreate)
	root = send(t, a, room.ID, "root")
	barrier(t, b)
	b.Drain(protocol.DispatchMessage)
	return a, b, room, root
}

// TestThreadReply: a reply names its root, is a message of the room (its
// next seq, message.dispatch to every member) and carries the root's new
// count, which the root then shows in history.
func TestThreadReply(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, room, root := threadRoom(t, h)
		r1 := reply(t, b, room.ID, root.ID, "first")
		if r1.ThreadRootID == nil || *r1.ThreadRootID != root.ID || r1.Seq != root.Seq+1 {
			t.Fatalf("reply = %+v, want thread_root_id %s and seq %d", r1, root.ID, root.Seq+1)
		}
		if r1.Thread == nil || r1.Thread.RootID != root.ID || r1.Thread.ReplyCount != 1 || !r1.Thread.LastReplyAt.Equal(r1.CreatedAt) {
			t.Fatalf("reply's thread = %+v, want the root's count 1 at %v", r1.Thread, r1.CreatedAt)
		}
		got := decode[wireThreadMessage](t, next(t, a, protocol.DispatchMessage))
		if got.ID != r1.ID || got.Thread == nil || got.Thread.ReplyCount != 1 {
			t.Fatalf("the other member got %+v, want the reply with the root's count", got)
		}
		r2 := reply(t, a, room.ID, root.ID, "second")
		if r2.Thread == nil || r2.Thread.ReplyCount != 2 {
			t.Fatalf("second reply's thread = %+v, want count 2", r2.Thread)
		}
		// A thread reply may quote a message too.
		quote := decode[wireThreadMessage](t, request(t, b, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "q",
			"extra_fields": map[string]any{"thread_root_id": root.ID, "parent_message_id": r1.ID}}))
		if quote.ParentMessage == nil || quote.ParentMessage.ID != r1.ID || quote.ThreadRootID == nil || quote.Thread.ReplyCount != 3 {
			t.Fatalf("quoting thread reply = %+v", quote)
		}
		b.Drain(protocol.DispatchMessage)
		barrier(t, a)

		page := threadPage(t, a, map[string]any{"room_id": room.ID, "after_seq": 0})
		ms := page.Data.Messages
		if len(ms) != 4 || ms[0].ID != root.ID {
			t.Fatalf("room history = %v, want the root and its three replies", seqsOfThread(ms))
		}
		if ms[0].ThreadRootID != nil || ms[0].ThreadReplyCount != 3 || ms[0].ThreadLastReplyAt == nil || !ms[0].ThreadLastReplyAt.Equal(quote.CreatedAt) {
			t.Fatalf("root in history = %+v, want 3 replies, the last at %v", ms[0], quote.CreatedAt)
		}
		if page.Thread != nil {
			t.Fatalf("a room page has a thread: %+v", page.Thread)
		}
	})
}

// TestThreadConcurrentReplies: replies sent at once from connections on
// both nodes are all counted on the root, each with a count of its own.
func TestThreadConcurrentReplies(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		_, _, room, root := threadRoom(t, h)
		const conns, each = 4, 8
		clients := make([]*client.Client, conns)
		for i := range clients {
			clients[i] = h.dial(t, int64(1+i%2)) // users 1 and 2 in turn: both nodes
		}
		var mu sync.Mutex // guards counts
		var counts []int64
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() {
				for i := range each {
					f, err := c.Request(testCtx(t), protocol.EventMessageSend, map[string]any{"room_id": room.ID,
						"content": fmt.Sprint(i), "extra_fields": map[string]any{"thread_root_id": root.ID}})
					if err != nil {
						t.Errorf("concurrent reply: %v", err)
						return
					}
					if f.EventType != protocol.DispatchMessage {
						continue // delivered from the database first (two nodes)
					}
					m := decode[wireThreadMessage](t, f)
					mu.Lock()
					counts = append(counts, m.Thread.ReplyCount)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(counts)
		if len(slices.Compact(slices.Clone(counts))) != len(counts) {
			t.Errorf("two replies saw the same count: %v", counts)
		}
		page := threadPage(t, clients[0], map[string]any{"room_id": root.Room.ID, "thread_root_id": root.ID, "after_seq": 0, "limit": 200})
		if n := len(page.Data.Messages); n != conns*each {
			t.Fatalf("thread has %d replies, want %d", n, conns*each)
		}
		if page.Thread.ReplyCount != conns*each || page.Thread.Root.ThreadReplyCount != conns*each {
			t.Fatalf("root counts %d (shape %d) replies, want %d", page.Thread.ReplyCount, page.Thread.Root.ThreadReplyCount, conns*each)
		}
		seqs := seqsOfThread(page.Data.Messages)
		for i, s := range seqs {
			if s != root.Seq+1+int64(i) {
				t.Fatalf("reply seqs = %v, want %d.. without gaps", seqs, root.Seq+1)
			}
		}
		if page.Thread.LastReplySeq != seqs[len(seqs)-1] {
			t.Errorf("last_reply_seq = %d, want %d", page.Thread.LastReplySeq, seqs[len(seqs)-1])
		}
	})
}

// TestThreadPaging: room.messages with thread_root_id pages the thread's
// replies as room.messages pages the room, and gives the root apart.
func TestThreadPaging(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, room, root := threadRoom(t, h)
		var replies []int64
		for i := range 7 {
			replies = append(replies, reply(t, b, room.ID, root.ID, fmt.Sprint("r", i)).Seq)
			send(t, a, room.ID, fmt.Sprint("main ", i)) // the room goes on beside the thread
		}
		barrier(t, a)
		q := func(extra map[string]any) wireThreadPage {
			data := map[string]any{"room_id": room.ID, "thread_root_id": root.ID}
			for k, v := range extra {
				data[k] = v
			}
			return threadPage(t, a, data)
		}
		newest := q(map[string]any{"limit": 3})
		if got, want := seqsOfThread(newest.Data.Messages), []int64{replies[6], replies[5], replies[4]}; !slices.Equal(got, want) || !newest.HasMore {
			t.Fatalf("newest page = %v (has_more %v), want %v with more", got, newest.HasMore, want)
		}
		if newest.Thread == nil || newest.Thread.Root.ID != root.ID || newest.Thread.ReplyCount != 7 || newest.Thread.LastReplySeq != replies[6] {
			t.Fatalf("page's thread = %+v, want root %s with 7 replies", newest.Thread, root.ID)
		}
		older := q(map[string]any{"limit": 3, "before_seq": replies[4]})
		if got, want := seqsOfThread(older.Data.Messages), []int64{replies[3], replies[2], replies[1]}; !slices.Equal(got, want) || !older.HasMore {
			t.Fatalf("before_seq page = %v (has_more %v), want %v with more", got, older.HasMore, want)
		}
		last := q(map[string]any{"limit": 3, "before_seq": replies[1]})
		if got := seqsOfThread(last.Data.Messages); !slices.Equal(got, []int64{replies[0]}) || last.HasMore {
			t.Fatalf("last page = %v (has_more %v), want the first reply and no more", got, last.HasMore)
		}
		first := q(map[string]any{"after_seq": 0, "limit": 5})
		if got := seqsOfThread(first.Data.Messages); !slices.Equal(got, replies[:5]) || !first.HasMore {
			t.Fatalf("after_seq 0 page = %v (has_more %v), want %v with more", got, first.HasMore, replies[:5])
		}
		rest := q(map[string]any{"after_seq": replies[4]})
		if got := seqsOfThread(rest.Data.Messages); !slices.Equal(got, replies[5:]) || rest.HasMore {
			t.Fatalf("after_seq page = %v (has_more %v), want %v", got, rest.HasMore, replies[5:])
		}
		// The room's own history keeps every message, replies included.
		all := threadPage(t, a, map[string]any{"room_id": room.ID, "after_seq": 0, "limit": 200})
		if len(all.Data.Messages) != 15 {
			t.Fatalf("room history has %d messages, want 15", len(all.Data.Messages))
		}
		pe := requestErr(t, a, protocol.EventRoomMessages, map[string]any{"room_id": room.ID, "thread_root_id": root.ID, "paginate": map[string]any{"page": 1, "size": 10}})
		wantField(t, pe, "paginate")
	})
}

// wantField checks a 4003 naming field.
func wantField(t testing.TB, pe *protocol.Error, field string) {
	t.Helper()
	wantCode(t, pe, protocol.CodeInvalid)
	d, ok := pe.Detail.(map[string]any)
	if !ok || d[field] == nil {
		t.Fatalf("detail = %v, want an error on %s", pe.Detail, field)
	}
}

// TestThreadUnread: each member's unread count per thread counts the
// others' replies above the member's read pointer in that thread, which
// message.read of thread replies moves.
func TestThreadUnread(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, room, root := threadRoom(t, h)
		other := send(t, a, room.ID, "another root")
		barrier(t, b)
		var rs []wireThreadMessage
		for i := range 3 {
			rs = append(rs, reply(t, b, room.ID, root.ID, fmt.Sprint(i)))
		}
		reply(t, b, room.ID, other.ID, "elsewhere")
		barrier(t, a)
		byRoot := func(l wireThreadList) map[string]wireThread {
			out := map[string]wireThread{}
			for _, th := range l.Threads {
				out[th.Root.ID] = th
			}
			return out
		}
		la := threadList(t, a, room.ID)
		if len(la.Threads) != 2 || la.Threads[0].Root.ID != other.ID || la.HasMore {
			t.Fatalf("a's thread.list = %+v, want both threads, the latest reply first", la)
		}
		if th := byRoot(la)[root.ID]; th.UnreadCount != 3 || th.LastReadSeq != 0 || th.ReplyCount != 3 {
			t.Fatalf("a's thread before reading = %+v, want 3 unread of 3", th)
		}
		if th := byRoot(threadList(t, b, room.ID))[root.ID]; th.UnreadCount != 0 {
			t.Fatalf("b's own replies count as unread: %+v", th)
		}
		request(t, a, protocol.EventMessageRead, map[string]any{"message_id": rs[1].ID})
		a.Drain(protocol.DispatchReadReceipt)
		th := byRoot(threadList(t, a, room.ID))
		if th[root.ID].UnreadCount != 1 || th[root.ID].LastReadSeq != rs[1].Seq {
			t.Fatalf("a's thread after reading the second reply = %+v, want 1 unread, pointer %d", th[root.ID], rs[1].Seq)
		}
		if th[other.ID].UnreadCount != 1 {
			t.Fatalf("reading one thread moved another: %+v", th[other.ID])
		}
		page := threadPage(t, a, map[string]any{"room_id": room.ID, "thread_root_id": root.ID})
		if page.Thread.UnreadCount != 1 || page.Thread.LastReadSeq != rs[1].Seq {
			t.Fatalf("room.messages thread = %+v, want 1 unread", page.Thread)
		}
		// Reading an older reply again moves nothing back.
		request(t, a, protocol.EventMessageRead, map[string]any{"message_id": []string{rs[0].ID, rs[2].ID}})
		request(t, a, protocol.EventMessageRead, map[string]any{"message_id": rs[0].ID})
		if th := byRoot(threadList(t, a, room.ID))[root.ID]; th.UnreadCount != 0 || th.LastReadSeq != rs[2].Seq {
			t.Fatalf("a's thread after reading all = %+v, want none unread, pointer %d", th, rs[2].Seq)
		}
		// a replies: still nothing unread for a; one for b.
		reply(t, a, room.ID, root.ID, "mine")
		barrier(t, b)
		if th := byRoot(threadList(t, a, room.ID))[root.ID]; th.UnreadCount != 0 {
			t.Fatalf("a's own reply is unread for a: %+v", th)
		}
		if th := byRoot(threadList(t, b, room.ID))[root.ID]; th.UnreadCount != 1 {
			t.Fatalf("b's unread after a's reply = %+v, want 1", th)
		}
		// Paging thread.list.
		p1 := decode[wireThreadList](t, request(t, a, protocol.EventThreadList, map[string]any{"room_id": room.ID, "limit": 1}))
		if len(p1.Threads) != 1 || p1.Threads[0].Root.ID != root.ID || !p1.HasMore {
			t.Fatalf("thread.list limit 1 = %+v, want the root's thread and more", p1)
		}
		p2 := decode[wireThreadList](t, request(t, a, protocol.EventThreadList, map[string]any{"room_id": room.ID, "limit": 1,
			"before_seq": p1.Threads[0].LastReplySeq}))
		if len(p2.Threads) != 1 || p2.Threads[0].Root.ID != other.ID || p2.HasMore {
			t.Fatalf("thread.list second page = %+v, want the other thread and no more", p2)
		}
	})
}

// errorBytes is the error object of a refused request, as sent.
func errorBytes(t testing.TB, c *client.Client, event string, data any) string {
	t.Helper()
	pe := requestErr(t, c, event, data)
	b, err := json.Marshal(pe)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestThreadPrivacy: a thread root of a room the caller is not in, or of
// another room, gets the same answer as an id nobody has: nothing about
// the thread or its room shows.
func TestThreadPrivacy(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, room, root := threadRoom(t, h)
		reply(t, b, room.ID, root.ID, "secret")
		c := h.dial(t, 3)
		own := createRoom(t, c, map[string]any{"type": protocol.RoomGroup, "name": "c's", "participants": []int64{1}})
		a.Drain(protocol.DispatchRoomCreate)
		unknown := uuid.NewString()
		sendTo := func(roomID, rootID string) map[string]any {
			return map[string]any{"room_id": roomID, "content": "x", "extra_fields": map[string]any{"thread_root_id": rootID}}
		}
		notFound := errorBytes(t, c, protocol.EventMessageSend, sendTo(own.ID, unknown))
		if got := errorBytes(t, c, protocol.EventMessageSend, sendTo(own.ID, root.ID)); got != notFound {
			t.Errorf("reply in own room to another room's root = %s, want %s", got, notFound)
		}
		// a is in both rooms: a root of the other room is still unknown here.
		if got := errorBytes(t, a, protocol.EventMessageSend, sendTo(own.ID, root.ID)); got != notFound {
			t.Errorf("member of both: reply to the other room's root = %s, want %s", got, notFound)
		}
		thread := func(roomID, rootID string) map[string]any {
			return map[string]any{"room_id": roomID, "thread_root_id": rootID}
		}
		noThread := errorBytes(t, c, protocol.EventRoomMessages, thread(own.ID, unknown))
		if got := errorBytes(t, c, protocol.EventRoomMessages, thread(own.ID, root.ID)); got != noThread {
			t.Errorf("thread of another room's root = %s, want %s", got, noThread)
		}
		// Not a member: as room.messages answers a non-member.
		nonMember := errorBytes(t, c, protocol.EventRoomMessages, map[string]any{"room_id": room.ID})
		if got := errorBytes(t, c, protocol.EventRoomMessages, thread(room.ID, root.ID)); got != nonMember {
			t.Errorf("non-member asking for a thread = %s, want %s", got, nonMember)
		}
		if got := errorBytes(t, c, protocol.EventRoomMessages, thread(room.ID, unknown)); got != nonMember {
			t.Errorf("non-member asking for an unknown thread = %s, want %s", got, nonMember)
		}
		if got := errorBytes(t, c, protocol.EventThreadList, map[string]any{"room_id": room.ID}); got != nonMember {
			t.Errorf("non-member thread.list = %s, want %s", got, nonMember)
		}
		nonMemberSend := errorBytes(t, c, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "x"})
		if got := errorBytes(t, c, protocol.EventMessageSend, sendTo(room.ID, root.ID)); got != nonMemberSend {
			t.Errorf("non-member thread reply = %s, want %s", got, nonMemberSend)
		}
		page := threadPage(t, a, thread(room.ID, root.ID))
		if page.Thread.ReplyCount != 1 {
			t.Fatalf("the refused replies were counted: %+v", page.Thread)
		}
	})
}

// TestThreadNested: threads are one level: a thread reply is no root, and
// the refused reply stores nothing (the room's next message takes the next
// seq).
func TestThreadNested(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, room, root := threadRoom(t, h)
		r1 := reply(t, b, room.ID, root.ID, "first")
		barrier(t, a)
		a.Drain(protocol.DispatchMessage)
		pe := requestErr(t, a, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "nested",
			"extra_fields": map[string]any{"thread_root_id": r1.ID}})
		wantField(t, pe, "extra_fields.thread_root_id")
		pe = requestErr(t, a, protocol.EventRoomMessages, map[string]any{"room_id": room.ID, "thread_root_id": r1.ID})
		wantField(t, pe, "thread_root_id")
		pe = requestErr(t, a, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "x",
			"extra_fields": map[string]any{"thread_root_id": "not-a-uuid"}})
		wantField(t, pe, "extra_fields.thread_root_id")
		if m := send(t, a, room.ID, "after"); m.Seq != r1.Seq+1 {
			t.Fatalf("next message took seq %d, want %d: a refused reply used a seq", m.Seq, r1.Seq+1)
		}
		if page := threadPage(t, a, map[string]any{"room_id": room.ID, "thread_root_id": root.ID}); page.Thread.ReplyCount != 1 {
			t.Fatalf("root counts %d replies, want 1", page.Thread.ReplyCount)
		}
	})
}

// TestThreadDeletedRoot: a deleted root takes no replies and has no
// thread; deleting a reply takes it off its root's count.
func TestThreadDeletedRoot(t *testing.T) {
	for _, soft := range []bool{false, true} {
		t.Run(fmt.Sprint("soft=", soft), func(t *testing.T) {
			eachDB(t, func(t *testing.T, h *harness) {
				a, b, room, root := threadRoom(t, h)
				r1 := reply(t, b, room.ID, root.ID, "one")
				r2 := reply(t, b, room.ID, root.ID, "two")
				barrier(t, a)
				request(t, b, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": r2.ID})
				th := threadPage(t, a, map[string]any{"room_id": room.ID, "thread_root_id": root.ID})
				if th.Thread.ReplyCount != 1 || th.Thread.LastReplySeq != r1.Seq || !th.Thread.LastReplyAt.Equal(r1.CreatedAt) ||
					len(th.Data.Messages) != 1 {
					t.Fatalf("after deleting a reply: %+v, want 1 reply, the latest %d", th.Thread, r1.Seq)
				}
				request(t, a, protocol.EventMessageModify, map[string]any{"action": "delete", "message_id": root.ID})
				pe := requestErr(t, b, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "late",
					"extra_fields": map[string]any{"thread_root_id": root.ID}})
				wantCode(t, pe, protocol.CodeNotFound)
				pe = requestErr(t, b, protocol.EventRoomMessages, map[string]any{"room_id": room.ID, "thread_root_id": root.ID})
				wantCode(t, pe, protocol.CodeNotFound)
				if l := threadList(t, a, room.ID); len(l.Threads) != 0 {
					t.Fatalf("thread.list after the root's deletion = %+v", l)
				}
				if m := send(t, b, room.ID, "after"); m.Seq != r2.Seq+1 {
					t.Fatalf("next message took seq %d, want %d", m.Seq, r2.Seq+1)
				}
			}, rtchat.WithSoftDelete(soft))
		})
	}
}

// TestWithThreadsOff: WithThreads(false) refuses thread_root_id, has no
// thread.list, and leaves the thread fields out of messages.
func TestWithThreadsOff(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, _, room, root := threadRoom(t, h)
		pe := requestErr(t, a, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "x",
			"extra_fields": map[string]any{"thread_root_id": root.ID}})
		wantField(t, pe, "extra_fields.thread_root_id")
		pe = requestErr(t, a, protocol.EventRoomMessages, map[string]any{"room_id": room.ID, "thread_root_id": root.ID})
		wantField(t, pe, "thread_root_id")
		pe = requestErr(t, a, protocol.EventThreadList, map[string]any{"room_id": room.ID})
		wantCode(t, pe, protocol.CodeInvalid)
		if pe.Detail != protocol.DetailInvalidEventType {
			t.Fatalf("thread.list with threads off: %v, want %q", pe.Detail, protocol.DetailInvalidEventType)
		}
		page := decode[struct {
			Data struct {
				Messages []map[string]any `json:"messages"`
			} `json:"data"`
		}](t, request(t, a, protocol.EventRoomMessages, map[string]any{"room_id": room.ID}))
		for _, k := range []string{"thread_root_id", "thread_reply_count", "thread_last_reply_at"} {
			if _, ok := page.Data.Messages[0][k]; ok {
				t.Errorf("message shows %s with threads off: %v", k, page.Data.Messages[0])
			}
		}
	}, rtchat.WithThreads(false))
}
