package consumer

import (
	"runtime/debug"
	"time"

	"github.com/rtchat/rtchat/protocol"
)

// A panic in code rtchat calls outside an event handler (the app's hooks,
// the presence manager, the user lookup, the permission handler asked while
// announcing presence) must not end the process, nor leave a half set-up
// connection behind. Event handlers are recovered by dispatch; the connect
// work, each step of the disconnect work, every presence announcement and
// a shared presence manager's change callback are recovered here.

// logPanic logs a recovered panic p of the work named what, with its stack.
func (cs *Consumer) logPanic(what string, p any, args ...any) {
	cs.log.Error("rtchat: "+what+" panicked", append(args, "panic", p, "stack", string(debug.Stack()))...)
}

// connectRecover is deferred by the connect work: a panic closes the
// connection with 1011. Whatever was set up before the panic (the index,
// presence, the session row) is undone by onDisconnect once the read pump
// ends, as for any connection: the connection was accepted, so it runs in
// full.
func (cs *Consumer) connectRecover(c *Conn) {
	if p := recover(); p != nil {
		cs.logPanic("connect", p, "user", c.userID)
		c.kill(protocol.CloseInternalError, "internal error", time.Second)
	}
}

// safely runs one step of a connection's disconnect work, so that a panic
// in it (logged) does not skip the steps after it.
func (cs *Consumer) safely(what string, c *Conn, step func()) {
	defer func() {
		if p := recover(); p != nil {
			cs.logPanic(what, p, "user", c.userID)
		}
	}()
	step()
}
