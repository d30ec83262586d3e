package handler

import (
	"context"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// paginate is the original's page numbers. Page is bounded so that
// (page-1)*size cannot overflow into a negative offset (which read as no
// offset: the newest page); a million pages of 200 is far past any history
// an OFFSET can walk anyway.
type paginate struct {
	Page int `json:"page" validate:"gte=1,max=1000000"`
	Size int `json:"size" validate:"gte=1,max=200"`
}

type historyData struct {
	RoomID    string    `json:"room_id" validate:"required,uuid"`
	Paginate  *paginate `json:"paginate"`
	BeforeSeq *int64    `json:"before_seq" validate:"omitempty,gte=1"`
	AfterSeq  *int64    `json:"after_seq" validate:"omitempty,gte=0"`
	Limit     *int      `json:"limit" validate:"omitempty,gte=1,max=200"`
	// ThreadRootID asks for that thread's replies (threads.go).
	ThreadRootID string `json:"thread_root_id" validate:"omitempty,uuid"`
}

// RoomMessages handles room.messages, to a member only. With paginate it
// answers the original's page shape (newest first); otherwise the keyset
// shape {data, has_more}: before_seq newest first, after_seq oldest first,
// neither the newest messages. Deleted messages never appear.
func RoomMessages(ctx context.Context, r *Request) error {
	var in historyData
	if err := r.Decode(&in); err != nil {
		return err
	}
	if in.BeforeSeq != nil && in.AfterSeq != nil {
		return protocol.Invalid(protocol.FieldErrors{"before_seq": {"Give before_seq or after_seq, not both."}})
	}
	if in.Paginate != nil && (in.BeforeSeq != nil || in.AfterSeq != nil || in.Limit != nil) {
		return protocol.Invalid(protocol.FieldErrors{"paginate": {"Give paginate or before_seq/after_seq/limit, not both."}})
	}
	if err := threadsAllowed(r, in.ThreadRootID, "thread_root_id"); err != nil {
		return err
	}
	if in.ThreadRootID != "" && in.Paginate != nil {
		return protocol.Invalid(protocol.FieldErrors{"paginate": {"A thread is read with before_seq/after_seq/limit."}})
	}
	chk, err := accessRoom(ctx, r, in.RoomID)
	if err != nil {
		return err
	}
	q := model.HistoryQuery{RoomID: chk.Room.ID, ThreadRootID: in.ThreadRootID, Limit: r.Env.Settings.HistoryLimit}
	var thread any
	if in.ThreadRootID != "" {
		if thread, err = threadOf(ctx, r, chk.Room.ID, in.ThreadRootID); err != nil {
			return err
		}
	}
	if in.Paginate != nil {
		// The original's page numbers: the one place history is read with an
		// OFFSET, still walking the (room_id, seq) index.
		q.Limit, q.Offset = in.Paginate.Size, (in.Paginate.Page-1)*in.Paginate.Size
	} else {
		if in.Limit != nil {
			q.Limit = *in.Limit
		}
		if in.BeforeSeq != nil {
			q.BeforeSeq = *in.BeforeSeq
		}
		if in.AfterSeq != nil {
			q.AfterSeq, q.After = *in.AfterSeq, true
		}
	}
	msgs, more, err := r.Env.Store.History(ctx, q)
	if err != nil {
		return err
	}
	list, err := serializeMessages(ctx, r.Env, msgs)
	if err != nil {
		return err
	}
	page := serializer.MessagePageInput{RoomID: chk.Room.ID, Messages: list, Models: msgs, HasMore: more, Thread: thread}
	if in.Paginate != nil {
		page.Paginate = &serializer.PageNumbers{Page: in.Paginate.Page, Size: in.Paginate.Size}
	}
	out, err := r.Env.Serialize(ctx, serializer.NameMessagePage, page, nil)
	if err != nil {
		return err
	}
	return r.Out.Reply(protocol.DispatchRoomMessages, out)
}

// serializeMessages serializes messages with one user lookup for all.
func serializeMessages(ctx context.Context, env *Env, msgs []*model.Message) ([]any, error) {
	var ids []int64
	for _, m := range msgs {
		ids = append(ids, m.UserIDs()...)
	}
	us, err := serializer.Resolve(ctx, env.Users, ids)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(msgs))
	for _, m := range msgs {
		v, err := env.Serializers.Serialize(ctx, serializer.NameMessage, m, us)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
