package client

import (
	"encoding/json"
	"fmt"

	"github.com/rtchat/rtchat/protocol"
)

// pageLimit is the largest room.messages page the server gives.
const pageLimit = 200

// serve delivers the messages of one connection: first what was stored while
// the session had none (catchUp), then the live message.dispatch frames. It
// returns when the connection has ended (its close error) or when the
// session is closed.
//
// Ordering needs no buffer beyond the connection's inbox: a live frame
// waits in the inbox while catchUp runs, so every frame is seen after the
// catch-up and is either at or below the room's delivered seq (a
// duplicate, dropped) or above it. A live frame more than one above it
// means a gap, filled from the database before the frame is delivered.
func (s *Session) serve(c *Client) error {
	if err := s.catchUp(c); err != nil {
		return s.connErr(c, err)
	}
	s.first = false
	s.attempt = 0
	s.setConn(c)
	for {
		f, ok, wake := c.inbox.tryPop(protocol.DispatchMessage)
		if ok {
			if err := s.live(c, f); err != nil {
				return s.connErr(c, err)
			}
			continue
		}
		// Nothing else is read from the inbox: Request gets its answers
		// directly, so the copies would only pile up.
		c.inbox.dropExcept(protocol.DispatchMessage)
		select {
		case <-wake:
		case <-c.Closed():
			// The read loop queues every frame before it ends: deliver
			// what came before the drop.
			for {
				f, ok, _ := c.inbox.tryPop(protocol.DispatchMessage)
				if !ok {
					break
				}
				if err := s.live(c, f); err != nil {
					break // a gap: the next catch-up fills it
				}
			}
			return c.CloseError()
		case <-s.ctx.Done():
			return s.ctx.Err()
		}
	}
}

// connErr is what serve returns when a step failed: the close error once
// the connection has ended (a Request fails then), else the step's error,
// after closing the connection so the session starts afresh.
func (s *Session) connErr(c *Client, err error) error {
	if s.ctx.Err() != nil {
		return s.ctx.Err()
	}
	select {
	case <-c.Closed():
		return c.CloseError()
	default:
		return err
	}
}

// catchUp lists the rooms and fetches, for each, the messages after the
// highest seq delivered.
func (s *Session) catchUp(c *Client) error {
	f, err := c.Request(s.ctx, protocol.EventRoomList, nil)
	if err != nil {
		return err
	}
	var rooms []struct {
		ID      string `json:"id"`
		LastSeq int64  `json:"last_seq"`
	}
	if err := json.Unmarshal(f.Data, &rooms); err != nil {
		return fmt.Errorf("client: decode room.list: %w", err)
	}
	for _, r := range rooms {
		d, known := s.delivered[r.ID]
		if !known {
			switch from, ok := s.cfg.from[r.ID]; {
			case ok:
				d = from
			case s.first:
				d = r.LastSeq // the session starts now
			}
			s.delivered[r.ID] = d
		}
		if r.LastSeq <= d {
			continue
		}
		if err := s.fetch(c, r.ID); err != nil {
			if _, ok := protocol.AsError(err); ok {
				continue // left or deleted since the list: nothing to deliver
			}
			return err
		}
	}
	return nil
}

// fetch delivers the messages of room stored after the highest seq
// delivered, oldest first, page by page.
func (s *Session) fetch(c *Client, room string) error {
	for {
		f, err := c.Request(s.ctx, protocol.EventRoomMessages, map[string]any{
			"room_id": room, "after_seq": s.delivered[room], "limit": pageLimit,
		})
		if err != nil {
			return err
		}
		var page struct {
			Data struct {
				Messages []json.RawMessage `json:"messages"`
			} `json:"data"`
			HasMore bool `json:"has_more"`
		}
		if err := json.Unmarshal(f.Data, &page); err != nil {
			return fmt.Errorf("client: decode room.messages: %w", err)
		}
		// The page's copy in the inbox is not needed: do not keep a
		// long catch-up twice in memory.
		c.inbox.dropExcept(protocol.DispatchMessage)
		for _, raw := range page.Data.Messages {
			m, err := decodeMessage(raw)
			if err != nil {
				return err
			}
			if err := s.deliver(m); err != nil {
				return err
			}
		}
		if !page.HasMore || len(page.Data.Messages) == 0 {
			return nil
		}
	}
}

// live delivers one pushed message.dispatch frame.
func (s *Session) live(c *Client, f protocol.Frame) error {
	m, err := decodeMessage(f.Data)
	if err != nil {
		return nil // not a message this session can order; skip it
	}
	d, known := s.delivered[m.RoomID]
	if !known {
		// A room joined while connected: its live messages start here.
		s.delivered[m.RoomID] = m.Seq - 1
	} else if m.Seq > d+1 {
		if err := s.fetch(c, m.RoomID); err != nil {
			if _, ok := protocol.AsError(err); !ok {
				return err
			}
		}
	}
	return s.deliver(m)
}

// deliver queues m for the application unless a message of its room with
// that seq or a later one has been delivered already.
func (s *Session) deliver(m Message) error {
	if m.Seq <= s.delivered[m.RoomID] {
		return nil
	}
	s.delivered[m.RoomID] = m.Seq
	s.enqueue(m)
	return nil
}
