package model

import (
	"time"

	"github.com/uptrace/bun"
)

// Room types as stored; they match the wire names.
const (
	TypeOneToOne = "OneToOneChat"
	TypeGroup    = "GroupChat"
	TypeChannel  = "Channel"
)

// Member roles. The creator of a group is an admin, the creator of a channel
// a moderator; Room.CreatorID says who the creator is.
const (
	RoleMember    = "member"
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
)

// Notification types.
const (
	NotifyNewMessage = "NEW_MESSAGE"
	NotifyReply      = "REPLY"
	NotifyReaction   = "REACTION"
)

// RoomProperty is the free-form JSON property of a room.
type RoomProperty struct {
	Preferences map[string]any `json:"preferences"`
}

// Room is a 1:1 chat, a group or a channel. LastSeq is the seq of the last
// event stored in the room; PairKey is set only for 1:1 chats and is unique,
// so the database itself allows one 1:1 per pair of users.
type Room struct {
	bun.BaseModel `bun:"table:rtchat_rooms,alias:r"`

	ID                   string       `bun:"id,pk,type:varchar(36)"`
	Type                 string       `bun:"type,notnull,type:varchar(16)"`
	Name                 string       `bun:"name,notnull,type:varchar(64)"`
	Description          string       `bun:"description,notnull"`
	Avatar               string       `bun:"avatar,notnull"`
	CreatorID            *int64       `bun:"creator_id"`
	PairKey              *string      `bun:"pair_key,type:varchar(64),unique"`
	MaxParticipants      int          `bun:"max_participants,notnull"`
	MaxSubscribers       int          `bun:"max_subscribers,notnull"`
	IsPublic             bool         `bun:"is_public,notnull"`
	JoinApprovalRequired bool         `bun:"join_approval_required,notnull"`
	GroupLocked          bool         `bun:"group_locked,notnull"`
	Property             RoomProperty `bun:"property,type:text,notnull"`
	LastSeq              int64        `bun:"last_seq,notnull"`
	// ACLVersion counts the changes of the room's settings, members, roles
	// and grants (every RoomTx bumps it): a send stores only while the
	// version its permission check saw is still the room's.
	ACLVersion     int64     `bun:"acl_version,notnull"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
	UpdatedAt      time.Time `bun:"updated_at,notnull"`
	LastActivityAt time.Time `bun:"last_activity_at,notnull"`
}

// Member is a user's membership of a room: participant of a 1:1 or group,
// subscriber of a channel. Grants are per member. LastReadSeq is the reader's
// pointer: the highest seq the member has read (their own sends count).
type Member struct {
	bun.BaseModel `bun:"table:rtchat_members,alias:m"`

	RoomID                string    `bun:"room_id,pk,type:varchar(36)"`
	UserID                int64     `bun:"user_id,pk"`
	Role                  string    `bun:"role,notnull,type:varchar(16)"`
	CanAddNewParticipants bool      `bun:"can_add_new_participants,notnull"`
	CanRemoveParticipants bool      `bun:"can_remove_participants,notnull"`
	CanAddNewSubscribers  bool      `bun:"can_add_new_subscribers,notnull"`
	CanRemoveSubscribers  bool      `bun:"can_remove_subscribers,notnull"`
	CanSendMessages       bool      `bun:"can_send_messages,notnull"`
	LastReadSeq           int64     `bun:"last_read_seq,notnull"`
	LastDeliveredSeq      int64     `bun:"last_delivered_seq,notnull"`
	JoinedAt              time.Time `bun:"joined_at,notnull"`

	// Custom is the app's value for this row (a pointer to its struct)
	// when the app replaced the model (rtchat.WithModel), else nil.
	Custom any `bun:"-"`
}

// IsAdmin reports whether the member administers the room (admin or moderator).
func (m *Member) IsAdmin() bool { return m.Role == RoleAdmin || m.Role == RoleModerator }

// JoinRequest is a pending request to join a group that requires approval.
type JoinRequest struct {
	bun.BaseModel `bun:"table:rtchat_join_requests,alias:jr"`

	RoomID    string    `bun:"room_id,pk,type:varchar(36)"`
	UserID    int64     `bun:"user_id,pk"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// Message is one message of a room. Seq is the room's sequence number,
// assigned in the statement that stores it; ClientMsgID is the sender's
// idempotency key, unique per sender and room.
type Message struct {
	bun.BaseModel `bun:"table:rtchat_messages,alias:msg"`

	ID              string    `bun:"id,pk,type:varchar(36)"`
	RoomID          string    `bun:"room_id,notnull,type:varchar(36)"`
	SenderID        int64     `bun:"sender_id,notnull"`
	Seq             int64     `bun:"seq,notnull"`
	ClientMsgID     *string   `bun:"client_msg_id,type:varchar(64)"`
	Content         string    `bun:"content,notnull"`
	IsEdited        bool      `bun:"is_edited,notnull"`
	IsDeleted       bool      `bun:"is_deleted,notnull"`
	IsForwarded     bool      `bun:"is_forwarded,notnull"`
	ForwardedFromID *string   `bun:"forwarded_from_id,type:varchar(36)"`
	ParentMessageID *string   `bun:"parent_message_id,type:varchar(36)"`
	CreatedAt       time.Time `bun:"created_at,notnull"`
	UpdatedAt       time.Time `bun:"updated_at,notnull"`
	// ThreadRootID is the root of the thread this message replies in (see
	// threads.go); a root counts its replies in ThreadReplyCount and keeps
	// the time and seq of the latest.
	ThreadRootID       *string    `bun:"thread_root_id,type:varchar(36)"`
	ThreadReplyCount   int64      `bun:"thread_reply_count,notnull"`
	ThreadLastReplyAt  *time.Time `bun:"thread_last_reply_at"`
	ThreadLastReplySeq int64      `bun:"thread_last_reply_seq,notnull"`

	// Loaded by Store.LoadMessageRelations, not columns.
	Attachments   []*Attachment  `bun:"-"`
	Reactions     []*Reaction    `bun:"-"`
	ReadReceipts  []*ReadReceipt `bun:"-"`
	DeliveredTo   []int64        `bun:"-"`
	ForwardedFrom *Message       `bun:"-"`
	ParentMessage *Message       `bun:"-"`
	// Thread is set on a thread reply just stored: its root's count and
	// latest reply as the reply left them.
	Thread *ThreadState `bun:"-"`

	// Custom is the app's value for this row (a pointer to its struct)
	// when the app replaced the model (rtchat.WithModel), else nil.
	Custom any `bun:"-"`
}

// MessageEdit is a previous version of an edited message.
type MessageEdit struct {
	bun.BaseModel `bun:"table:rtchat_message_edits,alias:me"`

	ID        string    `bun:"id,pk,type:varchar(36)"`
	MessageID string    `bun:"message_id,notnull,type:varchar(36)"`
	Content   string    `bun:"content,notnull"`
	EditedAt  time.Time `bun:"edited_at,notnull"`
}

// Attachment is a media file of a message.
type Attachment struct {
	bun.BaseModel `bun:"table:rtchat_attachments,alias:att"`

	ID        string         `bun:"id,pk,type:varchar(36)"`
	MessageID string         `bun:"message_id,notnull,type:varchar(36)"`
	MediaURL  string         `bun:"media_url,notnull"`
	MediaType string         `bun:"media_type,notnull,type:varchar(16)"`
	MimeType  string         `bun:"mime_type,notnull,type:varchar(128)"`
	FileSize  int64          `bun:"file_size,notnull"`
	Metadata  map[string]any `bun:"metadata,type:text"`
	Caption   string         `bun:"caption,notnull"`
	// Position is the attachment's index in the message's media list.
	Position  int       `bun:"position,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`

	// Custom is the app's value for this row (a pointer to its struct)
	// when the app replaced the model (rtchat.WithModel), else nil.
	Custom any `bun:"-"`
}

// Reaction is a user's reaction to a message; one per user and message.
type Reaction struct {
	bun.BaseModel `bun:"table:rtchat_reactions,alias:rx"`

	ID              string    `bun:"id,pk,type:varchar(36)"`
	MessageID       string    `bun:"message_id,notnull,type:varchar(36)"`
	UserID          int64     `bun:"user_id,notnull"`
	ReactionContent string    `bun:"reaction_content,notnull,type:varchar(128)"`
	CreatedAt       time.Time `bun:"created_at,notnull"`

	// Custom is the app's value for this row (a pointer to its struct)
	// when the app replaced the model (rtchat.WithModel), else nil.
	Custom any `bun:"-"`
}

// ReadReceipt records that a reader read a message; one per message and reader.
type ReadReceipt struct {
	bun.BaseModel `bun:"table:rtchat_read_receipts,alias:rr"`

	ID        string    `bun:"id,pk,type:varchar(36)"`
	MessageID string    `bun:"message_id,notnull,type:varchar(36)"`
	ReaderID  int64     `bun:"reader_id,notnull"`
	ReadAt    time.Time `bun:"read_at,notnull"`

	// Custom is the app's value for this row (a pointer to its struct)
	// when the app replaced the model (rtchat.WithModel), else nil.
	Custom any `bun:"-"`
}

// Delivery marks a message as delivered to a user.
type Delivery struct {
	bun.BaseModel `bun:"table:rtchat_deliveries,alias:dl"`

	MessageID   string    `bun:"message_id,pk,type:varchar(36)"`
	UserID      int64     `bun:"user_id,pk"`
	DeliveredAt time.Time `bun:"delivered_at,notnull"`
}

// Notification tells its recipients about a message or a reaction. The row is
// deleted once no recipients remain.
type Notification struct {
	bun.BaseModel `bun:"table:rtchat_notifications,alias:n"`

	ID               string `bun:"id,pk,type:varchar(36)"`
	RoomID           string `bun:"room_id,notnull,type:varchar(36)"`
	MessageID        string `bun:"message_id,notnull,type:varchar(36)"`
	NotificationType string `bun:"notification_type,notnull,type:varchar(16)"`
	// ActorID is who caused it: the sender, or the user who reacted.
	ActorID   int64     `bun:"actor_id,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`

	Message *Message `bun:"-"`

	// Custom is the app's value for this row (a pointer to its struct)
	// when the app replaced the model (rtchat.WithModel), else nil.
	Custom any `bun:"-"`
}

// NotificationRecipient is one recipient of a notification who has not yet
// acknowledged or read its message.
type NotificationRecipient struct {
	bun.BaseModel `bun:"table:rtchat_notification_recipients,alias:nr"`

	NotificationID string `bun:"notification_id,pk,type:varchar(36)"`
	UserID         int64  `bun:"user_id,pk"`
}

// Session is one WebSocket connection of a user on a node.
type Session struct {
	bun.BaseModel `bun:"table:rtchat_sessions,alias:s"`

	ID             string     `bun:"id,pk,type:varchar(36)"`
	UserID         int64      `bun:"user_id,notnull"`
	NodeID         string     `bun:"node_id,notnull,type:varchar(64)"`
	ConnectedAt    time.Time  `bun:"connected_at,notnull"`
	LastSeen       time.Time  `bun:"last_seen,notnull"`
	DisconnectedAt *time.Time `bun:"disconnected_at"`

	// Custom is the app's value for this row (a pointer to its struct)
	// when the app replaced the model (rtchat.WithModel), else nil.
	Custom any `bun:"-"`
}
