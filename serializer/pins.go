package serializer

import (
	"time"

	"github.com/rtchat/rtchat/model"
)

// Names of the pinned-message shapes (issue 14).
const (
	// NamePin is one pin of room.info's pins list.
	NamePin = "Pin"
	// NameMessagePin is the data of messagepin.dispatch.
	NameMessagePin = "MessagePin"
)

// PinInput is what the Pin serializer receives: one pin of a room, as
// room.info lists it.
type PinInput struct {
	Pin *model.Pin
	// Message is the pinned message, already rendered by the Message
	// serializer.
	Message any
}

// UserIDs returns the users a pin refers to besides its message's.
func (in PinInput) UserIDs() []int64 { return []int64{in.Pin.PinnedBy} }

// PinOut is the default shape of a pin: {message, pinned_by, pinned_at}.
type PinOut struct {
	Message  any       `json:"message"`
	PinnedAt time.Time `json:"pinned_at"`
	PinnedBy any       `json:"pinned_by"`
}

// Pin returns the default shape of a pin, the user who pinned it rendered
// as the default User.
func Pin(in PinInput, us Users) PinOut {
	out, _ := buildPin(in, defaultParts{us})
	return out
}

func buildPin(in PinInput, p parts) (PinOut, error) {
	by, err := p.user(in.Pin.PinnedBy)
	if err != nil {
		return PinOut{}, err
	}
	return PinOut{Message: in.Message, PinnedAt: in.Pin.PinnedAt, PinnedBy: by}, nil
}

// MessagePinInput is what the MessagePin serializer receives
// (messagepin.dispatch): a message.pin or message.unpin, to the room, or
// to the caller alone when it changed nothing.
type MessagePinInput struct {
	RoomID string
	// Message is the message, already rendered by the Message serializer;
	// Model is the same message as stored.
	Message any
	Model   *model.Message
	// Pinned says whether the message is pinned now.
	Pinned bool
	// Changed is false when the request changed nothing (the message was
	// pinned already, or was not pinned).
	Changed bool
	// Pin is the message's pin: the one made or kept (pinned), the one
	// taken away (unpinned); nil when there was none.
	Pin *model.Pin
	// PinnedBy is Pin's author, already rendered by the User serializer;
	// nil when Pin is nil.
	PinnedBy any
	// UnpinnedBy is who took the pin away, already rendered by the User
	// serializer; nil for message.pin.
	UnpinnedBy any
}

// MessagePinOut is the default messagepin.dispatch data.
type MessagePinOut struct {
	Changed    bool       `json:"changed"`
	Message    any        `json:"message"`
	Pinned     bool       `json:"pinned"`
	PinnedAt   *time.Time `json:"pinned_at"`
	PinnedBy   any        `json:"pinned_by"`
	RoomID     string     `json:"room_id"`
	UnpinnedBy any        `json:"unpinned_by"`
}

// MessagePin returns the default messagepin.dispatch data.
func MessagePin(in MessagePinInput, _ Users) MessagePinOut {
	out := MessagePinOut{Changed: in.Changed, Message: in.Message, Pinned: in.Pinned, PinnedBy: in.PinnedBy,
		RoomID: in.RoomID, UnpinnedBy: in.UnpinnedBy}
	if in.Pin != nil {
		at := in.Pin.PinnedAt
		out.PinnedAt = &at
	}
	return out
}
