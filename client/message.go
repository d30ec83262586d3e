package client

import (
	"encoding/json"
	"fmt"
)

// Message is one chat message as a Session delivers it: the fields a client
// needs to order and recognise it, and the server's whole serialisation in
// Raw (sender details, attachments, reactions, ... and whatever a custom
// serializer adds).
type Message struct {
	// ID is the message's UUID.
	ID string
	// RoomID is the UUID of the room it was sent to.
	RoomID string
	// Seq is its place in the room: 1, 2, 3, ... per room.
	Seq int64
	// SenderID is the sending user's id.
	SenderID int64
	// Content is the sanitised text.
	Content string
	// ClientMsgID is the id the sender's client gave the send, or "".
	ClientMsgID string
	// Raw is the message object as the server sent it.
	Raw json.RawMessage
}

// wireMessage is the part of the serialised message a Session reads.
type wireMessage struct {
	ID   string `json:"id"`
	Room struct {
		ID string `json:"id"`
	} `json:"room"`
	Sender struct {
		ID int64 `json:"id"`
	} `json:"sender"`
	Content     string  `json:"content"`
	Seq         int64   `json:"seq"`
	ClientMsgID *string `json:"client_msg_id"`
}

// decodeMessage reads one serialised message.
func decodeMessage(raw json.RawMessage) (Message, error) {
	var w wireMessage
	if err := json.Unmarshal(raw, &w); err != nil {
		return Message{}, fmt.Errorf("client: decode message: %w", err)
	}
	if w.Room.ID == "" || w.Seq <= 0 {
		return Message{}, fmt.Errorf("client: message %q without room or seq", w.ID)
	}
	m := Message{ID: w.ID, RoomID: w.Room.ID, Seq: w.Seq, SenderID: w.Sender.ID, Content: w.Content, Raw: raw}
	if w.ClientMsgID != nil {
		m.ClientMsgID = *w.ClientMsgID
	}
	return m, nil
}
