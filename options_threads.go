package rtchat

import (
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/protocol"
)

// WithThreads turns threads on (the default) or off. On, a message.send
// with extra_fields.thread_root_id replies in that root's thread, the root
// counts its replies, room.messages with thread_root_id pages a thread,
// thread.list lists a room's threads with the caller's unread counts, and
// every Message shows thread_root_id, thread_reply_count and
// thread_last_reply_at (docs/protocol.md). Off, thread.list is not in the
// event map (4003 "invalid event type"), a thread_root_id is refused with
// 4003 naming the field, and messages leave the thread fields out.
func WithThreads(on bool) Option {
	return func(c *config) { c.noThreads = !on }
}

// threadEvents removes the thread events from events when threads are off,
// before the app's own WithEvent overrides are applied.
func (c *config) threadEvents(events *eventmap.Map) {
	if c.noThreads {
		events.Set(protocol.EventThreadList, nil)
	}
}
