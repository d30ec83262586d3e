package consumer

import (
	"errors"
	"net"
	"time"

	"github.com/gorilla/websocket"
)

// A connection is live while it talks: every frame it sends and every pong
// it answers to melody's pings (sent every half threshold) counts. The read
// deadline is moved to threshold after each, so a connection silent for
// longer than the threshold fails its next read and is closed by melody's
// read pump. melody itself only moves the deadline on pongs.
//
// last_seen follows the same activity in memory (Conn.lastSeen) and reaches
// the session row at most every half threshold, on session.heartbeat (its
// handler writes it) and on disconnect, so frames cost no database write.

// watch installs the connection's ping handler, before melody starts reading
// (the connect handler runs first): a client's ping counts as activity and
// is answered as gorilla's default handler would.
func (cs *Consumer) watch(c *Conn) {
	ws := c.sess.WebsocketConnection()
	ws.SetPingHandler(func(data string) error {
		cs.touch(c)
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(cs.cfg.WriteTimeout))
		var ne net.Error
		if err == nil || errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &ne) {
			return nil // the read pump learns of a broken connection itself
		}
		return err
	})
}

// touch records activity now: in memory, in the session row when the last
// write is older than half the threshold, and in the read deadline. It runs
// on the read goroutine. The deadline is moved last, so a slow database
// write is not counted against the client.
func (cs *Consumer) touch(c *Conn) {
	now := time.Now()
	c.lastSeen.Store(now.UnixNano())
	if now.UnixNano()-c.flushed >= int64(cs.cfg.Inactivity/2) {
		cs.flush(c)
	}
	cs.extend(c)
}

// extend moves the read deadline to one threshold from now.
func (cs *Consumer) extend(c *Conn) {
	_ = c.sess.WebsocketConnection().SetReadDeadline(time.Now().Add(cs.cfg.Inactivity))
}

// flush writes the connection's last_seen to its session row. A failure is
// logged and not retried before the next interval.
func (cs *Consumer) flush(c *Conn) {
	c.flushed = c.lastSeen.Load()
	if cs.base.Err() != nil {
		return // closing: the disconnect handler writes last_seen
	}
	ctx, cancel := cs.eventCtx()
	defer cancel()
	if err := cs.cfg.Env.Store.TouchSession(ctx, c.id, c.LastSeen().Truncate(time.Microsecond)); err != nil {
		cs.log.Warn("rtchat: refresh session last_seen", "err", err, "user", c.userID)
	}
}
