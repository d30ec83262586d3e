package consumer

import (
	"context"
	"slices"

	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/protocol"
)

// outbox answers one request: replies go straight to the connection, room
// and user events and membership changes go through the broker. For events
// the server starts itself (presence) conn is nil and requestID empty.
type outbox struct {
	cs        *Consumer
	conn      *Conn
	requestID string
	// answered is set once a frame meant for the requester (a reply, or
	// its copy of an event it takes part in) has been sent.
	answered bool
}

var _ handler.Outbox = (*outbox)(nil)

func (o *outbox) Reply(eventType string, data any) error {
	frame, err := protocol.EncodeEvent(eventType, data, o.requestID)
	if err != nil {
		return err
	}
	o.conn.write(frame)
	o.answered = true
	return nil
}

func (o *outbox) ReplyFrame(frame []byte) error {
	o.conn.write(frame)
	o.answered = true
	return nil
}

func (o *outbox) Room(ctx context.Context, roomID, eventType string, data any) error {
	return o.RoomSeq(ctx, roomID, 0, eventType, data)
}

// RoomSeq publishes a room event; with a seq, every node delivers it in the
// room's seq order (see order.go).
func (o *outbox) RoomSeq(ctx context.Context, roomID string, seq int64, eventType string, data any) error {
	frame, err := protocol.EncodeEvent(eventType, data, "")
	if err != nil {
		return err
	}
	m := broker.Message{Kind: broker.KindRoom, Room: roomID, Frame: frame, Seq: seq}
	if o.requestID != "" {
		m.EchoConn, m.EchoFrame = o.conn.id, protocol.WithRequestID(frame, o.requestID)
	}
	o.answered = true // handlers publish to rooms the requester is in
	return o.cs.publish(ctx, m)
}

func (o *outbox) User(ctx context.Context, eventType string, data any, userIDs ...int64) error {
	frame, err := protocol.EncodeEvent(eventType, data, "")
	if err != nil {
		return err
	}
	m := broker.Message{Kind: broker.KindUser, Users: userIDs, Frame: frame}
	if o.requestID != "" {
		// The requester may be among the users (room.leave's roomexit): its
		// copy answers the request, as a room event's does.
		m.EchoConn, m.EchoFrame = o.conn.id, protocol.WithRequestID(frame, o.requestID)
	}
	if o.conn != nil && slices.Contains(userIDs, o.conn.userID) {
		o.answered = true
	}
	return o.cs.publish(ctx, m)
}

// finish answers a request that succeeded without any frame for the
// requester (an acknowledgement of others' messages, a throttled typing
// signal) with done.dispatch, so a client waiting on its request_id is
// never left hanging. Requests without a request_id get nothing, as in the
// original protocol.
func (o *outbox) finish(ctx context.Context, event string) {
	if o.requestID == "" || o.answered {
		return
	}
	data, err := handler.DoneData(ctx, o.cs.cfg.Env, event)
	if err != nil {
		o.cs.log.Error("rtchat: serialize done", "err", err, "event", event)
		return
	}
	if frame, err := protocol.EncodeEvent(protocol.DispatchDone, data, o.requestID); err == nil {
		o.conn.write(frame)
	}
}

func (o *outbox) Join(ctx context.Context, roomID string, lastSeq int64, userIDs ...int64) error {
	return o.cs.publish(ctx, broker.Message{Kind: broker.KindJoin, Room: roomID, Users: userIDs, Seq: lastSeq})
}

func (o *outbox) Leave(ctx context.Context, roomID string, userIDs ...int64) error {
	return o.cs.publish(ctx, broker.Message{Kind: broker.KindLeave, Room: roomID, Users: userIDs})
}
