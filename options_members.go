package rtchat

import "github.com/rtchat/rtchat/handler"

// memberLimits bound the member lists a client can make the server build.
type memberLimits struct {
	perRequest int // users one room.create or room.add_members may name
	roomSize   int // members any room may have
}

var defaultMemberLimits = memberLimits{
	perRequest: handler.DefaultMaxMembersPerRequest,
	roomSize:   handler.DefaultMaxRoomSize,
}

// WithMaxMembersPerRequest caps how many users one request may name: the
// participants (or subscribers) of a room.create, the members of a
// room.add_members. A request naming more is refused with 4003, a field
// error under the list's name ("Ensure this field has no more than n
// elements."), before anything is looked up. It bounds the work, the
// transaction and the answer of one request, so one client cannot stall
// the others; build a bigger room with several room.add_members. Default
// 500; n must be at least 1 and at most 100,000.
func WithMaxMembersPerRequest(n int) Option {
	return func(c *config) { c.members.perRequest = n }
}

// WithMaxRoomSize caps the members of any room, over each room's own cap
// (max_participants, max_subscribers, which a creator may set up to
// 100,000): adding a member beyond it is refused with 4003 and the room's
// "full" text, checked in the transaction that adds them, as the room's
// own cap is. Default 10,000; n must be at least 2 and at most 100,000.
func WithMaxRoomSize(n int) Option {
	return func(c *config) { c.members.roomSize = n }
}

func (c *config) validateMemberLimits() {
	if c.members.perRequest < 1 || c.members.perRequest > handler.MaxRoomSizeCeiling {
		c.fail("WithMaxMembersPerRequest: %d must be between 1 and %d", c.members.perRequest, handler.MaxRoomSizeCeiling)
	}
	if c.members.roomSize < 2 || c.members.roomSize > handler.MaxRoomSizeCeiling {
		c.fail("WithMaxRoomSize: %d must be between 2 and %d", c.members.roomSize, handler.MaxRoomSizeCeiling)
	}
}
