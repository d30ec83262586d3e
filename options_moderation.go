package rtchat

import (
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/protocol"
)

// moderationEvents are the events WithModeration(false) takes out of the
// event map.
var moderationEvents = []string{
	protocol.EventRoomMute, protocol.EventRoomUnmute, protocol.EventRoomBan, protocol.EventRoomUnban, protocol.EventRoomAudit,
}

// WithModeration turns moderation on or off. Default on: room.mute,
// room.unmute, room.ban, room.unban and room.audit are events, every write
// of a muted member is refused with 4002 and every addition of a banned
// user too (checked by the writing statement or transaction, on every
// node), the room's admins may delete others' messages (CanDeleteOthers),
// and a delete's messagemodification.dispatch says who deleted
// (deleted_by). Off, those events answer 4003 "invalid event type",
// deleted_by is omitted, only senders delete (CanModifyMessage), and no
// write reads the mute or ban tables, so they cost what they did before
// moderation. The tables exist either way (Migrate creates them).
func WithModeration(on bool) Option { return func(c *config) { c.moderationOff = !on } }

// moderation reports whether moderation is on.
func (c *config) moderation() bool { return !c.moderationOff }

// dropModeration takes the moderation events out of events when moderation
// is off; an app's own event of the same name (WithEvent) is added after.
func (c *config) dropModeration(events *eventmap.Map) {
	if c.moderation() {
		return
	}
	for _, e := range moderationEvents {
		events.Set(e, nil)
	}
}
