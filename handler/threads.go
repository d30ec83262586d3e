package handler

import (
	"context"
	"errors"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// Threads (issue 14). A message.send with extra_fields.thread_root_id is a
// reply in that root's thread: a message of the room like any other (the
// room's next seq, message.dispatch to the room, room history), whose
// write also counts it on the root, in the same statement, only if the
// root is a visible message of the room and no thread reply itself (see
// model/threads.go). room.messages with thread_root_id pages a thread's
// replies; thread.list lists a room's threads with the caller's unread
// counts; message.read of thread replies moves the caller's read pointer
// in their threads.

// detailNestedThread refuses a thread reply as a root: threads are one
// level.
const detailNestedThread = "This message is a reply in a thread: threads are one level, reply to its root."

// threadsAllowed refuses a thread_root_id (named field) when threads are
// off.
func threadsAllowed(r *Request, rootID, field string) error {
	if rootID != "" && r.Env.Settings.NoThreads {
		return protocol.Invalid(protocol.FieldErrors{field: {"Threads are off."}})
	}
	return nil
}

// threadRoot reads the root rootID of a thread of room roomID: 4004 when no
// visible message of the room has that id (a message of another room
// included, so that nothing of another room shows), 4003 naming field when
// it is itself a thread reply.
func threadRoot(ctx context.Context, r *Request, roomID, rootID, field string) (*model.Message, error) {
	root, err := r.Env.Store.MessageInRoom(ctx, roomID, rootID)
	if errors.Is(err, model.ErrNotFound) {
		return nil, protocol.NotFound()
	}
	if err != nil {
		return nil, err
	}
	if root.ThreadRootID != nil {
		return nil, protocol.Invalid(protocol.FieldErrors{field: {detailNestedThread}})
	}
	return root, nil
}

// threadRootError tells why a thread reply's write found no root to count:
// the error of threadRoot, or nil when the root qualifies (the room changed
// instead, and the send checks again).
func threadRootError(ctx context.Context, r *Request, roomID, rootID, field string) error {
	_, err := threadRoot(ctx, r, roomID, rootID, field)
	return err
}

// threadOf renders the thread of rootID in roomID for the caller, through
// the Thread serializer.
func threadOf(ctx context.Context, r *Request, roomID, rootID string) (any, error) {
	root, err := threadRoot(ctx, r, roomID, rootID, "thread_root_id")
	if err != nil {
		return nil, err
	}
	if err := r.Env.Store.LoadMessageRelations(ctx, []*model.Message{root}); err != nil {
		return nil, err
	}
	threads, err := renderThreads(ctx, r, []*model.Message{root})
	if err != nil {
		return nil, err
	}
	return threads[0], nil
}

// renderThreads renders roots (relations loaded) as threads, with the
// caller's read pointer and unread count in each.
func renderThreads(ctx context.Context, r *Request, roots []*model.Message) ([]any, error) {
	ids := make([]string, len(roots))
	for i, m := range roots {
		ids[i] = m.ID
	}
	unread, err := r.Env.Store.ThreadUnreads(ctx, r.UserID, ids)
	if err != nil {
		return nil, err
	}
	rendered, err := serializeMessages(ctx, r.Env, roots)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(roots))
	for i, m := range roots {
		in := serializer.ThreadInput{Root: rendered[i], Model: m, Unread: unread[m.ID]}
		if out[i], err = r.Env.Serialize(ctx, serializer.NameThread, in, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type threadListData struct {
	RoomID    string `json:"room_id" validate:"required,uuid"`
	BeforeSeq *int64 `json:"before_seq" validate:"omitempty,gte=1"`
	Limit     *int   `json:"limit" validate:"omitempty,gte=1,max=100"`
}

// threadListLimit is thread.list's page when no limit is given.
const threadListLimit = 20

// ThreadList handles thread.list: the room's threads (roots with at least
// one reply, not deleted), latest reply first, each with the caller's
// read pointer and unread count; before_seq pages on by the latest reply's
// seq. Permission: CanAccessRoom, as room.messages. Answer to the caller:
// threadlist.dispatch.
func ThreadList(ctx context.Context, r *Request) error {
	var in threadListData
	if err := r.Decode(&in); err != nil {
		return err
	}
	chk, err := accessRoom(ctx, r, in.RoomID)
	if err != nil {
		return err
	}
	q := model.ThreadsQuery{RoomID: chk.Room.ID, Limit: threadListLimit}
	if in.Limit != nil {
		q.Limit = *in.Limit
	}
	if in.BeforeSeq != nil {
		q.BeforeSeq = *in.BeforeSeq
	}
	roots, more, err := r.Env.Store.Threads(ctx, q)
	if err != nil {
		return err
	}
	threads, err := renderThreads(ctx, r, roots)
	if err != nil {
		return err
	}
	out, err := r.Env.Serialize(ctx, serializer.NameThreadList, serializer.ThreadListInput{RoomID: chk.Room.ID, Threads: threads, HasMore: more}, nil)
	if err != nil {
		return err
	}
	return r.Out.Reply(protocol.DispatchThreadList, out)
}
