package main

import (
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/serializer"
)

// Message is the app's message: rtchat's (embedded with `bun:",extend"`, so
// it is the same table, rtchat_messages) and three columns of its own,
// which the app's migration adds. Clients set them in message.send's
// extra_fields and change them with message.modify's update; every message
// shape (message.dispatch, history, a reply's parent) shows them as
// top-level keys.
type Message struct {
	model.Message `bun:",extend"`

	// Priority is one of Priorities; DefaultPriority when the sender
	// gives none.
	Priority string `bun:"priority,notnull" json:"priority" validate:"oneof=low normal high urgent critical"`
	// Metadata is any JSON object of the client's (JSONB on Postgres, JSON
	// text on SQLite); {} when the sender gives none. null is refused
	// (4003), so a row always holds an object, as the original's
	// JSONField(default=dict) does.
	Metadata map[string]any `bun:"metadata,notnull" json:"metadata" validate:"required"`
	// IsPinned marks a pinned message; false when the sender gives none.
	IsPinned bool `bun:"is_pinned,notnull" json:"is_pinned"`
}

// Priorities are the values Message.Priority takes, lowest first (the
// `validate` tag of the field lists the same).
var Priorities = []string{"low", "normal", "high", "urgent", "critical"}

// DefaultPriority is the priority of a message sent without one.
const DefaultPriority = "normal"

// extraFields are the JSON names of the app's fields, as the serializer
// shows them and extra_fields accepts them.
var extraFields = []string{"priority", "metadata", "is_pinned"}

// template returns the defaults of new messages. rtchat copies it for each
// message, but the copy shares the Metadata map with the template: code of
// the app that changes a message's Metadata (in a hook, say) sets a new map
// rather than writing into the one it holds.
func template() *Message {
	return &Message{Priority: DefaultPriority, Metadata: map[string]any{}}
}

// messageOptions swap rtchat's Message for the app's: the model, and the
// Message serializer with the app's fields added to rtchat's shapes.
func messageOptions() []rtchat.Option {
	return []rtchat.Option{
		rtchat.WithModel("Message", template()),
		rtchat.WithSerializer("Message", serializer.MessageWithFields(serializer.Default("Message"), extraFields...)),
	}
}
