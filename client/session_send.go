package client

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/rtchat/rtchat/protocol"
)

// SendMessage sends content to roomID and returns the message as the server
// stored it. The send carries a fresh client_msg_id; when the connection
// drops before the answer, it is sent again with the same client_msg_id once
// the session has reconnected, and the server, which stores a
// client_msg_id once, answers the retry with the stored message. So a
// message is stored once however often the connection drops.
//
// A done.dispatch answer (the message reached this connection from the
// database first; see Client.SendMessage) is followed by the same send
// again, which returns the stored message.
//
// SendMessage returns the server's *protocol.Error (unwrapped) when the
// server refuses the send, ctx's error when ctx ends first (the message may
// or may not be stored then), and an error wrapping the session's end
// (ErrSessionClosed after Close) when the session ends first. The message
// is also delivered on Messages, as every message of the room.
func (s *Session) SendMessage(ctx context.Context, roomID, content string) (Message, error) {
	data := map[string]any{"room_id": roomID, "content": content, "client_msg_id": uuid.NewString()}
	var stale *Client
	for {
		c, err := s.connection(ctx, stale)
		if err != nil {
			return Message{}, err
		}
		f, err := c.Request(ctx, protocol.EventMessageSend, data)
		if err == nil && f.EventType == protocol.DispatchDone {
			// Stored, and delivered from the database before its answer
			// came (see Client.SendMessage): ask again for it.
			stale = nil
			continue
		}
		if err == nil {
			return decodeMessage(f.Data)
		}
		if _, ok := protocol.AsError(err); ok || ctx.Err() != nil {
			return Message{}, err
		}
		// The connection failed (a Request fails no other way): wait
		// for it to be gone, then retry on the next one.
		stale = c
		select {
		case <-c.Closed():
		case <-ctx.Done():
			return Message{}, fmt.Errorf("client: message.send: %w", ctx.Err())
		case <-s.done:
			return Message{}, s.endErr()
		}
	}
}
