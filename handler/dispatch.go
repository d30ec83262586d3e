package handler

import (
	"context"

	"github.com/rtchat/rtchat/protocol"
)

// SeqFrame is an encoded message.dispatch frame and the seq of its message.
type SeqFrame struct {
	Seq   int64
	Frame []byte
}

// MessageDispatchFrames returns the message.dispatch frames (without
// request_id) of up to limit visible messages of a room with
// afterSeq < seq < beforeSeq, oldest first, serialized as room.messages
// serializes them. A node uses it to fill a gap in seq-ordered delivery: a
// seq missing from the answer is a deleted message. Fewer than limit frames
// means the range is exhausted.
func MessageDispatchFrames(ctx context.Context, env *Env, roomID string, afterSeq, beforeSeq int64, limit int) ([]SeqFrame, error) {
	msgs, err := env.Store.MessagesBetween(ctx, roomID, afterSeq, beforeSeq, limit)
	if err != nil {
		return nil, err
	}
	if err := env.Store.LoadThreadStates(ctx, msgs); err != nil {
		return nil, err
	}
	list, err := serializeMessages(ctx, env, msgs)
	if err != nil {
		return nil, err
	}
	out := make([]SeqFrame, len(list))
	for i, v := range list {
		frame, err := protocol.EncodeEvent(protocol.DispatchMessage, v, "")
		if err != nil {
			return nil, err
		}
		out[i] = SeqFrame{Seq: msgs[i].Seq, Frame: frame}
	}
	return out, nil
}
