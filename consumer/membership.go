package consumer

import (
	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/protocol"
)

// Membership changes (broker.KindJoin and KindLeave) reach the nodes in the
// order Redis received them, which need not be the order they committed in:
// a node publishing slowly, or publishing its backlog after it lost Redis,
// can deliver a join after the leave that followed it. Applied as they
// come, such a join would put a connection back into a room its user has
// left, and it would hear the room again.
//
// So a node does not take a join at its word: for the users of the join who
// have connections here, it reads from the database which of them are
// members of the room now, adds the connections of those who are and takes
// out those of the others. A leave takes its users' connections out at
// once (hearing a room one is not in is the harm to avoid; the leaver's
// last frames must not wait for a read) and then reads the same: a user
// who is a member again (the leave came after a later join) has its
// connections closed with 4008, so its client lists its rooms afresh. Each
// change is published after it committed, so the last one to arrive is
// read after the last one committed, and every node ends with the
// database's answer. The read and
// its application hold the room's stripe of Consumer.memberLocks, so two changes of
// one room on this node apply in the order of their reads. Users without a
// connection here cost nothing.
//
// If the read fails, the connections concerned leave the room and are
// closed with 4008: their clients reconnect and read their rooms afresh.

// membership applies a join or leave to this node's connections.
func (cs *Consumer) membership(m broker.Message) {
	var local []int64
	for _, u := range m.Users {
		found := false
		cs.hub.eachOfUser(u, func(*Conn) { found = true })
		if found {
			local = append(local, u)
		}
	}
	if len(local) == 0 {
		return
	}
	mu := cs.memberLocks.Get(m.Room)
	mu.Lock()
	defer mu.Unlock()
	if m.Kind == broker.KindLeave {
		cs.hub.leave(m.Room, local)
	}
	ctx, cancel := cs.eventCtx()
	defer cancel()
	ms, err := cs.cfg.Env.Store.Memberships(ctx, m.Room, local)
	if err != nil {
		if cs.base.Err() == nil {
			cs.log.Error("rtchat: read the members of a membership change; their connections reconnect", "err", err, "room", m.Room, "users", len(local))
		}
		if cs.metrics != nil {
			cs.databaseError(OpMembership, err)
		}
		cs.hub.leave(m.Room, local)
		for _, c := range cs.hub.connsOf(local) {
			cs.resyncClose(c, "membership unknown: reconnect and catch up by seq")
		}
		return
	}
	member := make(map[int64]bool, len(ms))
	for _, mb := range ms {
		member[mb.UserID] = true
	}
	var in, out []int64
	for _, u := range local {
		if member[u] {
			in = append(in, u)
		} else {
			out = append(out, u)
		}
	}
	switch {
	case m.Kind == broker.KindLeave:
		for _, c := range cs.hub.connsOf(in) {
			cs.resyncClose(c, "membership changed: reconnect and catch up by seq")
		}
	case len(out) > 0:
		cs.hub.leave(m.Room, out)
		fallthrough
	default:
		if len(in) > 0 {
			cs.join(m.Room, in, m.Seq)
		}
	}
}

// resyncClose closes c with 4008 because its rooms changed in a way this
// node could not apply, counting it.
func (cs *Consumer) resyncClose(c *Conn, reason string) {
	if c.kill(protocol.CodeResync, reason, cs.cfg.WriteTimeout) && cs.metrics != nil {
		cs.metrics.Resync(ResyncMembership)
	}
}
