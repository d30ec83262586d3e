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

// MessageOut is the wire shape of a Message (docs/protocol.md §4). The nested
// users, receipts, reactions, attachments and messages are whatever their
// serializers produce.
type MessageOut struct {
	ID            string    `json:"id"`
	Room          RoomRef   `json:"room"`
	Sender        any       `json:"sender"`
	Content       string    `json:"content"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	IsEdited      bool      `json:"is_edited"`
	IsDeleted     bool      `json:"is_deleted"`
	IsForwarded   bool      `json:"is_forwarded"`
	ForwardedFrom any       `json:"forwarded_from"`
	ParentMessage any       `json:"parent_message"`
	DeliveredTo   []string  `json:"delivered_to"`
	ReadReceipts  []any     `json:"read_receipts"`
	Reactions     []any     `json:"reactions"`
	Attachments   []any     `json:"attachments"`
	Seq           int64     `json:"seq"`
	ClientMsgID   *string   `json:"client_msg_id"`
	// The thread fields (threads.go); nil, and so left out, when threads
	// are off.
	*MessageThreadOut
}

// Message returns the default wire shape of m, with its parent and
// forwarded messages one level deep. A message forwarded from another room
// shows its content and attachments only: who read, received or reacted to
// it there is that room's business.
func Message(m *model.Message, us Users) *MessageOut {
	out, _ := buildMessage(m, defaultParts{us}) // the default parts never fail
	return out
}

func buildMessage(m *model.Message, p parts) (*MessageOut, error) {
	out, err := messageBody(m, p)
	if err != nil {
		return nil, err
	}
	for _, ref := range []struct {
		src *model.Message
		dst *any
	}{{m.ForwardedFrom, &out.ForwardedFrom}, {m.ParentMessage, &out.ParentMessage}} {
		if ref.src == nil {
			continue
		}
		src := *ref.src // one level deep: the copy refers to nothing
		src.ForwardedFrom, src.ParentMessage = nil, nil
		if src.RoomID != m.RoomID {
			src.DeliveredTo, src.ReadReceipts, src.Reactions, src.ClientMsgID = nil, nil, nil, nil
		}
		if *ref.dst, err = p.message(&src); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// messageBody renders m without the messages it refers to.
func messageBody(m *model.Message, p parts) (*MessageOut, error) {
	sender, err := p.user(m.SenderID)
	if err != nil {
		return nil, err
	}
	out := &MessageOut{
		ID: m.ID, Room: RoomRef{ID: m.RoomID}, Sender: sender, Content: m.Content,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		IsEdited: m.IsEdited, IsDeleted: m.IsDeleted, IsForwarded: m.IsForwarded,
		DeliveredTo:  make([]string, 0, len(m.DeliveredTo)),
		ReadReceipts: make([]any, 0, len(m.ReadReceipts)),
		Reactions:    make([]any, 0, len(m.Reactions)),
		Attachments:  make([]any, 0, len(m.Attachments)),
		Seq:          m.Seq, ClientMsgID: m.ClientMsgID,
	}
	if showsThreads(p) {
		out.MessageThreadOut = messageThread(m)
	}
	us := usersOf(p)
	for _, id := range m.DeliveredTo {
		out.DeliveredTo = append(out.DeliveredTo, us.Get(id).Username)
	}
	for _, r := range m.ReadReceipts {
		v, err := p.readReceipt(r)
		if err != nil {
			return nil, err
		}
		out.ReadReceipts = append(out.ReadReceipts, v)
	}
	for _, r := range m.Reactions {
		v, err := p.reaction(r)
		if err != nil {
			return nil, err
		}
		out.Reactions = append(out.Reactions, v)
	}
	for _, a := range m.Attachments {
		v, err := p.attachment(a)
		if err != nil {
			return nil, err
		}
		out.Attachments = append(out.Attachments, v)
	}
	return out, nil
}

// usersOf returns the looked-up users behind p (delivered_to shows
// usernames, not User shapes).
func usersOf(p parts) Users {
	switch p := p.(type) {
	case defaultParts:
		return p.us
	case setParts:
		return p.us
	}
	return nil
}

// ReadReceiptInput is what the ReadReceipt serializer receives.
type ReadReceiptInput = *model.ReadReceipt

// ReadReceiptOut is the wire shape of a read receipt.
type ReadReceiptOut struct {
	Reader any       `json:"reader"`
	ReadAt time.Time `json:"read_at"`
}

// ReadReceipt returns the default wire shape of r.
func ReadReceipt(r *model.ReadReceipt, us Users) ReadReceiptOut {
	out, _ := buildReadReceipt(r, defaultParts{us})
	return out
}

func buildReadReceipt(r *model.ReadReceipt, p parts) (ReadReceiptOut, error) {
	reader, err := p.user(r.ReaderID)
	return ReadReceiptOut{Reader: reader, ReadAt: r.ReadAt}, err
}

// ReactionInput is what the Reaction serializer receives.
type ReactionInput = *model.Reaction

// ReactionOut is the wire shape of a reaction.
type ReactionOut struct {
	ID              string    `json:"id"`
	User            any       `json:"user"`
	ReactionContent string    `json:"reaction_content"`
	CreatedAt       time.Time `json:"created_at"`
}

// Reaction returns the default wire shape of r.
func Reaction(r *model.Reaction, us Users) ReactionOut {
	out, _ := buildReaction(r, defaultParts{us})
	return out
}

func buildReaction(r *model.Reaction, p parts) (ReactionOut, error) {
	user, err := p.user(r.UserID)
	return ReactionOut{ID: r.ID, User: user, ReactionContent: r.ReactionContent, CreatedAt: r.CreatedAt}, err
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
	ID               string `json:"id"`
	NotificationType string `json:"notification_type"`
	Message          any    `json:"message"`
}

// Notification returns the default wire shape of n.
func Notification(n *model.Notification, us Users) NotificationOut {
	out, _ := buildNotification(n, defaultParts{us})
	return out
}

func buildNotification(n *model.Notification, p parts) (NotificationOut, error) {
	msg, err := p.message(n.Message)
	return NotificationOut{ID: n.ID, NotificationType: n.NotificationType, Message: msg}, err
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
