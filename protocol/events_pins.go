package protocol

// Pinned messages (issue 14): the events, their push and the limit.
const (
	// EventMessagePin pins a message in its room: {message_id, room_id?}.
	EventMessagePin = "message.pin"
	// EventMessageUnpin takes a message's pin away: {message_id, room_id?}.
	EventMessageUnpin = "message.unpin"
	// DispatchMessagePin tells the room a message was pinned or unpinned
	// (and answers the caller alone when nothing changed).
	DispatchMessagePin = "messagepin.dispatch"
)

// MaxPinsPerRoom is the most messages a room may have pinned at once.
const MaxPinsPerRoom = 50

// DetailTooManyPins answers a message.pin in a room that has
// MaxPinsPerRoom pinned messages already (4003).
const DetailTooManyPins = "A room can have at most 50 pinned messages: unpin one first."
