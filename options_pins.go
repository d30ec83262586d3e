package rtchat

import (
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/protocol"
)

// WithPins turns pinned messages on or off. On (the default), message.pin
// and message.unpin pin and unpin a message in its room (at most 50 pins
// per room; PermissionHandler.CanPin says who may), messagepin.dispatch
// tells the room, and room.info lists the room's pins. Off, the two events
// are not in the event map (4003 "invalid event type", unless the app
// gives its own with WithEvent, which applies after this option) and
// room.info has no "pins".
func WithPins(on bool) Option { return func(c *config) { c.pinsOff = !on } }

// dropPinEvents removes the built-in pin events from the event map when
// pins are off; the app's own WithEvent handlers are set afterwards.
func (c *config) dropPinEvents(events *eventmap.Map) {
	if c.pinsOff {
		events.Set(protocol.EventMessagePin, nil)
		events.Set(protocol.EventMessageUnpin, nil)
	}
}
