package consumer

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"
)

// Conn is one WebSocket connection of a user.
type Conn struct {
	id     string
	userID int64
	req    *http.Request
	sess   *melody.Session
	// connectedAt is when the connect handler started; set before any
	// hook sees the connection.
	connectedAt time.Time
	// wg counts the consumer's goroutines, so Close can wait for them;
	// kill adds the goroutine it starts.
	wg *sync.WaitGroup

	// mu guards rooms, loading, leftWhileLoading and removed: the
	// connection's side of the fan-out index (see hub).
	mu sync.Mutex
	// rooms is the set of rooms whose fan-out holds this connection,
	// allocated with the first room.
	rooms map[string]struct{}
	// loading is set from addConn until the connection's rooms, read on
	// connect, have been added.
	loading bool
	// leftWhileLoading holds the rooms the user left while loading was
	// set; allocated with the first such leave, nil afterwards.
	leftWhileLoading map[string]struct{}
	// removed is set once the connection has left the index.
	removed bool

	// lastSeen is when the connection last sent a frame or a pong, in Unix
	// nanoseconds. It is kept here and written to the session row only now
	// and then (see Consumer.touch).
	lastSeen atomic.Int64
	// flushed is the lastSeen last written to the session row. Only the
	// connection's read goroutine uses it: melody calls the connect, message,
	// pong and disconnect handlers there, and gorilla the ping handler.
	flushed int64

	// limits are the user's rate limiters on this node, shared with the
	// user's other connections here (nil without limits); set on connect,
	// given back on disconnect. refusals records the frames they refused
	// (nil until the first); only the read goroutine uses it.
	limits   *userLimits
	refusals *refusals

	// killed is set once the connection is being closed by the server;
	// writes are dropped from then on.
	killed atomic.Bool
	// closedWith is the close code of the connection, once known: the
	// server's (kill) or the client's close frame's; 0 until then.
	closedWith atomic.Int32
	// accepted is set once the app's OnConnect hook let the connection in:
	// only then has it anything to undo when it ends.
	accepted atomic.Bool
}

// ID returns the connection id, which is also its session row id.
func (c *Conn) ID() string { return c.id }

// UserID returns the authenticated user.
func (c *Conn) UserID() int64 { return c.userID }

// Request returns the HTTP upgrade request.
func (c *Conn) Request() *http.Request { return c.req }

// ConnectedAt returns when the connection was upgraded.
func (c *Conn) ConnectedAt() time.Time { return c.connectedAt }

// LastSeen returns when the connection last sent a frame or answered a
// ping.
func (c *Conn) LastSeen() time.Time { return time.Unix(0, c.lastSeen.Load()).UTC() }

// write queues a frame on melody's bounded buffer; it never blocks. A full
// buffer makes melody call the error handler, which closes the connection
// with 4008. Writing to a nil Conn (the outbox of a node-level
// announcement has none) does nothing.
func (c *Conn) write(frame []byte) {
	if c == nil || c.killed.Load() || c.sess == nil {
		return
	}
	_ = c.sess.Write(frame) // only fails once the session is closed
}

// kill closes the connection with a close code, once. melody's own Close
// goes through the (possibly full) send buffer, so the close frame is
// written with WriteControl, which gorilla allows beside the write pump, and
// the socket is then closed, which ends the read pump.
//
// kill is only called while the connection is being served (it is in the
// index, or in its connect handler), so the WaitGroup is not at zero.
//
// It reports whether this call closes the connection (false: it was closed
// already).
func (c *Conn) kill(code int, reason string, wait time.Duration) bool {
	if c.sess == nil || !c.killed.CompareAndSwap(false, true) {
		return false
	}
	c.closedWith.CompareAndSwap(0, int32(code))
	ws := c.sess.WebsocketConnection()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(wait))
		_ = ws.Close()
	}()
	return true
}
