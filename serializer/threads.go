package serializer

import (
	"time"

	"github.com/rtchat/rtchat/model"
)

// Names of the thread shapes (issue 14).
const (
	// NameThread is one thread: its root and the caller's counts
	// (thread.list, room.messages with thread_root_id).
	NameThread = "Thread"
	// NameThreadList is the data of threadlist.dispatch.
	NameThreadList = "ThreadList"
)

// MessageThreadOut is the thread part of a Message: the thread it replies
// in (null for a message of the room's main line, or a root), and for a
// root its reply count and the time of its latest reply (0 and null for a
// message without replies). Embedded in MessageOut, it is left out when
// threads are off (rtchat.WithThreads(false)).
type MessageThreadOut struct {
	ThreadRootID      *string    `json:"thread_root_id"`
	ThreadReplyCount  int64      `json:"thread_reply_count"`
	ThreadLastReplyAt *time.Time `json:"thread_last_reply_at"`
	// Thread is set only on the message.dispatch of a thread reply just
	// stored: its root's count and latest reply once this reply is in.
	// Those frames arrive in seq order, so the last one a client holds
	// has the root's newest count.
	Thread *ThreadStateOut `json:"thread,omitempty"`
}

// ThreadStateOut is a root's count and latest reply, as a reply's
// message.dispatch carries them.
type ThreadStateOut struct {
	RootID      string    `json:"root_id"`
	ReplyCount  int64     `json:"reply_count"`
	LastReplyAt time.Time `json:"last_reply_at"`
}

// messageThread renders the thread part of m.
func messageThread(m *model.Message) *MessageThreadOut {
	out := &MessageThreadOut{ThreadRootID: m.ThreadRootID, ThreadReplyCount: m.ThreadReplyCount, ThreadLastReplyAt: m.ThreadLastReplyAt}
	if t := m.ThreadLastReplyAt; t != nil {
		utc := t.UTC()
		out.ThreadLastReplyAt = &utc
	}
	if st := m.Thread; st != nil {
		out.Thread = &ThreadStateOut{RootID: st.RootID, ReplyCount: st.ReplyCount, LastReplyAt: st.LastReplyAt}
	}
	return out
}

// SetThreads shows (on, the default) or leaves out the thread fields of
// every Message the set's default Message serializer renders.
func (s *Set) SetThreads(on bool) { s.noThreads = !on }

// showsThreads reports whether messages rendered with p carry their thread
// fields.
func showsThreads(p parts) bool {
	sp, ok := p.(setParts)
	return !ok || !sp.set.noThreads
}

// ThreadInput is what the Thread serializer receives.
type ThreadInput struct {
	// Root is the root message, already rendered by the Message
	// serializer.
	Root any
	// Model is the root as stored (its ThreadReplyCount,
	// ThreadLastReplyAt and ThreadLastReplySeq).
	Model *model.Message
	// Unread is the caller's read pointer and unread count in the thread.
	Unread model.ThreadUnread
}

// ThreadOut is the default shape of a thread.
type ThreadOut struct {
	LastReadSeq  int64      `json:"last_read_seq"`
	LastReplyAt  *time.Time `json:"last_reply_at"`
	LastReplySeq int64      `json:"last_reply_seq"`
	ReplyCount   int64      `json:"reply_count"`
	Root         any        `json:"root"`
	UnreadCount  int64      `json:"unread_count"`
}

// Thread returns the default shape of a thread: its root, reply count,
// latest reply (time and seq) and the caller's read pointer and unread
// count.
func Thread(in ThreadInput, _ Users) ThreadOut {
	out := ThreadOut{Root: in.Root, LastReadSeq: in.Unread.LastReadSeq, UnreadCount: in.Unread.UnreadCount}
	if m := in.Model; m != nil {
		out.ReplyCount, out.LastReplySeq = m.ThreadReplyCount, m.ThreadLastReplySeq
		if t := m.ThreadLastReplyAt; t != nil {
			utc := t.UTC()
			out.LastReplyAt = &utc
		}
	}
	return out
}

// ThreadListInput is what the ThreadList serializer receives: one page of
// thread.list.
type ThreadListInput struct {
	RoomID string
	// Threads are the page's threads, each already rendered by the Thread
	// serializer, latest reply first.
	Threads []any
	HasMore bool
}

// ThreadListOut is the default threadlist.dispatch data.
type ThreadListOut struct {
	HasMore bool   `json:"has_more"`
	RoomID  string `json:"room_id"`
	Threads []any  `json:"threads"`
}

// ThreadList returns the default threadlist.dispatch data.
func ThreadList(in ThreadListInput, _ Users) ThreadListOut {
	threads := in.Threads
	if threads == nil {
		threads = []any{}
	}
	return ThreadListOut{HasMore: in.HasMore, RoomID: in.RoomID, Threads: threads}
}
