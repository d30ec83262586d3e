package serializer

import (
	"time"

	"github.com/rtchat/rtchat/model"
)

// MessageInput is what the Message serializer receives: a message with its
// relations loaded (model.Store.LoadMessageRelations).
type MessageInput = *model.Message

// RoomRef is the {id} reference a message makes to its room.
type RoomRef struct {
	ID string `json:"id"`
}

// MessageOut is the wire shape of a Message (PROTOCOL.md §4).
type MessageOut struct {
	ID            string           `json:"id"`
	Room          RoomRef          `json:"room"`
	Sender        User             `json:"sender"`
	Content       string           `json:"content"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
	IsEdited      bool             `json:"is_edited"`
	IsDeleted     bool             `json:"is_deleted"`
	IsForwarded   bool             `json:"is_forwarded"`
	ForwardedFrom *MessageOut      `json:"forwarded_from"`
	ParentMessage *MessageOut      `json:"parent_message"`
	DeliveredTo   []string         `json:"delivered_to"`
	ReadReceipts  []ReadReceiptOut `json:"read_receipts"`
	Reactions     []ReactionOut    `json:"reactions"`
	Attachments   []AttachmentOut  `json:"attachments"`
	Seq           int64            `json:"seq"`
	ClientMsgID   *string          `json:"client_msg_id"`
}

// Message returns the wire shape of m, with its parent and forwarded
// messages one level deep. A message forwarded from another room shows its
// content and attachments only: who read, received or reacted to it there
// is that room's business.
func Message(m *model.Message, us Users) *MessageOut {
	out := message(m, us)
	for _, ref := range []struct {
		src *model.Message
		dst **MessageOut
	}{{m.ForwardedFrom, &out.ForwardedFrom}, {m.ParentMessage, &out.ParentMessage}} {
		if ref.src == nil {
			continue
		}
		nested := message(ref.src, us)
		if ref.src.RoomID != m.RoomID {
			nested.DeliveredTo, nested.ReadReceipts, nested.Reactions = []string{}, []ReadReceiptOut{}, []ReactionOut{}
			nested.ClientMsgID = nil
		}
		*ref.dst = nested
	}
	return out
}

func message(m *model.Message, us Users) *MessageOut {
	out := &MessageOut{
		ID: m.ID, Room: RoomRef{ID: m.RoomID}, Sender: us.Get(m.SenderID), Content: m.Content,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		IsEdited: m.IsEdited, IsDeleted: m.IsDeleted, IsForwarded: m.IsForwarded,
		DeliveredTo:  make([]string, 0, len(m.DeliveredTo)),
		ReadReceipts: make([]ReadReceiptOut, 0, len(m.ReadReceipts)),
		Reactions:    make([]ReactionOut, 0, len(m.Reactions)),
		Attachments:  make([]AttachmentOut, 0, len(m.Attachments)),
		Seq:          m.Seq, ClientMsgID: m.ClientMsgID,
	}
	for _, id := range m.DeliveredTo {
		out.DeliveredTo = append(out.DeliveredTo, us.Get(id).Username)
	}
	for _, r := range m.ReadReceipts {
		out.ReadReceipts = append(out.ReadReceipts, ReadReceipt(r, us))
	}
	for _, r := range m.Reactions {
		out.Reactions = append(out.Reactions, Reaction(r, us))
	}
	for _, a := range m.Attachments {
		out.Attachments = append(out.Attachments, Attachment(a))
	}
	return out
}

// ReadReceiptInput is what the ReadReceipt serializer receives.
type ReadReceiptInput = *model.ReadReceipt

// ReadReceiptOut is the wire shape of a read receipt.
type ReadReceiptOut struct {
	Reader User      `json:"reader"`
	ReadAt time.Time `json:"read_at"`
}

// ReadReceipt returns the wire shape of r.
func ReadReceipt(r *model.ReadReceipt, us Users) ReadReceiptOut {
	return ReadReceiptOut{Reader: us.Get(r.ReaderID), ReadAt: r.ReadAt}
}

// ReactionInput is what the Reaction serializer receives.
type ReactionInput = *model.Reaction

// ReactionOut is the wire shape of a reaction.
type ReactionOut struct {
	ID              string    `json:"id"`
	User            User      `json:"user"`
	ReactionContent string    `json:"reaction_content"`
	CreatedAt       time.Time `json:"created_at"`
}

// Reaction returns the wire shape of r.
func Reaction(r *model.Reaction, us Users) ReactionOut {
	return ReactionOut{ID: r.ID, User: us.Get(r.UserID), ReactionContent: r.ReactionContent, CreatedAt: r.CreatedAt}
}

// AttachmentOut is the wire shape of an attachment.
type AttachmentOut struct {
	ID        string         `json:"id"`
	MediaURL  string         `json:"media_url"`
	MediaType string         `json:"media_type"`
	MimeType  string         `json:"mime_type"`
	FileSize  int64          `json:"file_size"`
	Metadata  map[string]any `json:"metadata"`
	Caption   string         `json:"caption"`
}

// Attachment returns the wire shape of a.
func Attachment(a *model.Attachment) AttachmentOut {
	md := a.Metadata
	if md == nil {
		md = map[string]any{}
	}
	return AttachmentOut{ID: a.ID, MediaURL: a.MediaURL, MediaType: a.MediaType, MimeType: a.MimeType, FileSize: a.FileSize, Metadata: md, Caption: a.Caption}
}

// NotificationInput is what the Notification serializer receives: a
// notification with its message loaded.
type NotificationInput = *model.Notification

// NotificationOut is the wire shape of a notification.
type NotificationOut struct {
	ID               string      `json:"id"`
	NotificationType string      `json:"notification_type"`
	Message          *MessageOut `json:"message"`
}

// Notification returns the wire shape of n.
func Notification(n *model.Notification, us Users) NotificationOut {
	return NotificationOut{ID: n.ID, NotificationType: n.NotificationType, Message: Message(n.Message, us)}
}

// SessionOut is the wire shape of a session.
type SessionOut struct {
	ID          string     `json:"id"`
	UserID      int64      `json:"user_id"`
	ConnectedAt time.Time  `json:"connected_at"`
	LastSeen    time.Time  `json:"last_seen"`
	Disconnect  *time.Time `json:"disconnected_at"`
}

// Session returns the wire shape of s.
func Session(s *model.Session) SessionOut {
	return SessionOut{ID: s.ID, UserID: s.UserID, ConnectedAt: s.ConnectedAt, LastSeen: s.LastSeen, Disconnect: s.DisconnectedAt}
}
