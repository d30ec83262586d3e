package serializer

import (
	"time"

	"github.com/rtchat/rtchat/model"
)

// The frame shapes below wrap the model shapes (Message, Room, User) in the
// data of one dispatch event. A handler renders the nested shapes through
// their own serializers first and passes them in already rendered (the
// fields of type any), so replacing "Message" changes the message inside
// every frame, and replacing a frame serializer changes only its frame.
//
// Each default is an exported func returning an exported struct. An app adds
// a field by wrapping the default and embedding its result:
//
//	serializer.Func(func(ctx context.Context, v any, us serializer.Users) (any, error) {
//		in := v.(serializer.TypingInput)
//		return struct {
//			serializer.TypingOut
//			Device string `json:"device"`
//		}{serializer.Typing(in, us), "web"}, nil
//	})
//
// The struct fields are in the order of their JSON keys' names, which is
// the order the wire has always had.

// PageNumbers are the page and size a room.messages request asked for with
// paginate.
type PageNumbers struct {
	Page int
	Size int
}

// MessagePageInput is what the MessagePage serializer receives: one page of
// room.messages.
type MessagePageInput struct {
	RoomID string
	// Messages are the page's messages, each already rendered by the
	// Message serializer.
	Messages []any
	// Models are the page's messages as stored, in the order of Messages.
	Models  []*model.Message
	HasMore bool
	// Paginate is set when the request asked for page numbers; the answer
	// then has the numbered shape.
	Paginate *PageNumbers
	// Thread is set for a thread's page (room.messages with
	// thread_root_id): the thread, already rendered by the Thread
	// serializer.
	Thread any
}

// MessagePageData is the {room_id, messages} inside both page shapes.
type MessagePageData struct {
	Messages []any  `json:"messages"`
	RoomID   string `json:"room_id"`
}

// KeysetPageOut is the room.messages answer to before_seq, after_seq or
// neither: {data, has_more}.
type KeysetPageOut struct {
	Data    MessagePageData `json:"data"`
	HasMore bool            `json:"has_more"`
	// Thread is the thread of a thread's page, else left out.
	Thread any `json:"thread,omitempty"`
}

// NumberedPageOut is the room.messages answer to paginate: the original's
// page shape.
type NumberedPageOut struct {
	Data           MessagePageData `json:"data"`
	HasNext        bool            `json:"has_next"`
	HasPrevious    bool            `json:"has_previous"`
	NextPageNumber *int            `json:"next_page_number"`
	Page           int             `json:"page"`
	PrevPageNumber *int            `json:"prev_page_number"`
	Size           int             `json:"size"`
}

// MessagePage returns the default room.messages data: a KeysetPageOut, or a
// NumberedPageOut when in.Paginate is set.
func MessagePage(in MessagePageInput, _ Users) any {
	msgs := in.Messages
	if msgs == nil {
		msgs = []any{}
	}
	data := MessagePageData{Messages: msgs, RoomID: in.RoomID}
	p := in.Paginate
	if p == nil {
		return KeysetPageOut{Data: data, HasMore: in.HasMore, Thread: in.Thread}
	}
	out := NumberedPageOut{Data: data, HasNext: in.HasMore, HasPrevious: p.Page > 1, Page: p.Page, Size: p.Size}
	if in.HasMore {
		next := p.Page + 1
		out.NextPageNumber = &next
	}
	if p.Page > 1 {
		prev := p.Page - 1
		out.PrevPageNumber = &prev
	}
	return out
}

// MembersAddedInput is what the MembersAdded serializer receives
// (roomaddmembers.dispatch).
type MembersAddedInput struct {
	// Room is the room detail, already rendered by the Room serializer.
	Room any
	// Added are the new members (none when the caller was already a member).
	Added []int64
	// AddedBy is "self", the username of the member who added them, or
	// "system" (SystemUsername) when the app added them from Go.
	AddedBy string
}

// MembersAddedOut is the default roomaddmembers.dispatch data.
type MembersAddedOut struct {
	AddedBy    string   `json:"added_by"`
	NewMembers []string `json:"new_members"`
	Room       any      `json:"room"`
}

// MembersAdded returns the default roomaddmembers.dispatch data: the new
// members by username.
func MembersAdded(in MembersAddedInput, us Users) MembersAddedOut {
	return MembersAddedOut{AddedBy: in.AddedBy, NewMembers: usernamesOf(in.Added, us), Room: in.Room}
}

// MembersRemovedInput is what the MembersRemoved serializer receives
// (roomremovemembers.dispatch).
type MembersRemovedInput struct {
	// Room is the room detail, already rendered by the Room serializer.
	Room    any
	Removed []int64
	// RemovedBy is "self", the username of the member who removed them, or
	// "system" (SystemUsername) when the app removed them from Go.
	RemovedBy string
}

// MembersRemovedOut is the default roomremovemembers.dispatch data.
type MembersRemovedOut struct {
	RemovedBy      string   `json:"removed_by"`
	RemovedMembers []string `json:"removed_members"`
	Room           any      `json:"room"`
}

// MembersRemoved returns the default roomremovemembers.dispatch data: the
// removed members by username.
func MembersRemoved(in MembersRemovedInput, us Users) MembersRemovedOut {
	return MembersRemovedOut{RemovedBy: in.RemovedBy, RemovedMembers: usernamesOf(in.Removed, us), Room: in.Room}
}

// usernamesOf returns the usernames of ids, in order (never nil).
func usernamesOf(ids []int64, us Users) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = us.Get(id).Username
	}
	return out
}

// RoomExitInput is what the RoomExit serializer receives (roomexit.dispatch,
// to the users who left or were removed).
type RoomExitInput struct {
	// Room is the room detail, already rendered by the Room serializer.
	Room    any
	Message string
}

// RoomExitOut is the default roomexit.dispatch data.
type RoomExitOut struct {
	Message string `json:"message"`
	Room    any    `json:"room"`
}

// RoomExit returns the default roomexit.dispatch data.
func RoomExit(in RoomExitInput, _ Users) RoomExitOut {
	return RoomExitOut{Message: in.Message, Room: in.Room}
}

// RoomDeleteInput is what the RoomDelete serializer receives
// (roomdelete.dispatch).
type RoomDeleteInput struct {
	RoomID string
}

// RoomDeleteOut is the default roomdelete.dispatch data.
type RoomDeleteOut struct {
	RoomID string `json:"room_id"`
}

// RoomDelete returns the default roomdelete.dispatch data.
func RoomDelete(in RoomDeleteInput, _ Users) RoomDeleteOut { return RoomDeleteOut(in) }

// JoinRequestInput is what the JoinRequest serializer receives
// (roomjoinrequest.dispatch, to the requester and the room's admins).
type JoinRequestInput struct {
	RoomID string
	UserID int64
	// User is the requester, already rendered by the User serializer.
	User   any
	Status string
}

// JoinRequestOut is the default roomjoinrequest.dispatch data.
type JoinRequestOut struct {
	RoomID string `json:"room_id"`
	Status string `json:"status"`
	User   any    `json:"user"`
}

// JoinRequest returns the default roomjoinrequest.dispatch data.
func JoinRequest(in JoinRequestInput, _ Users) JoinRequestOut {
	return JoinRequestOut{RoomID: in.RoomID, Status: in.Status, User: in.User}
}

// ModificationInput is what the Modification serializer receives
// (messagemodification.dispatch).
type ModificationInput struct {
	// Action is "update" or "delete".
	Action string
	// MessageIDs are the deleted messages (delete).
	MessageIDs []string
	// Message is the updated message, already rendered by the Message
	// serializer (update); Model is the same message as stored.
	Message any
	Model   *model.Message
	// DeletedBy is who deleted the messages (delete, with moderation on),
	// already rendered by the User serializer; nil otherwise.
	DeletedBy any
}

// ModificationOut is the default messagemodification.dispatch data: message
// for an update, message_ids (and, with moderation on, deleted_by) for a
// delete.
type ModificationOut struct {
	Action     string   `json:"action"`
	Message    any      `json:"message,omitempty"`
	MessageIDs []string `json:"message_ids,omitempty"`
	DeletedBy  any      `json:"deleted_by,omitempty"`
	Status     string   `json:"status"`
}

// Modification returns the default messagemodification.dispatch data.
func Modification(in ModificationInput, _ Users) ModificationOut {
	return ModificationOut{Action: in.Action, Message: in.Message, MessageIDs: in.MessageIDs, DeletedBy: in.DeletedBy, Status: "successful"}
}

// ReactionEventInput is what the ReactionEvent serializer receives
// (reaction.dispatch).
type ReactionEventInput struct {
	// Status is "successful", or "failed" for a remove with nothing to
	// remove.
	Status string
	// Type is what the client asked: "add" or "remove".
	Type string
	// Action is what happened: "add", "update" (a different reaction
	// replaced the user's) or "remove".
	Action string
	// Message is the message with its reactions, already rendered by the
	// Message serializer; Model is the same message as stored.
	Message any
	Model   *model.Message
}

// ReactionEventOut is the default reaction.dispatch data.
type ReactionEventOut struct {
	Action  string `json:"action"`
	Message any    `json:"message"`
	Status  string `json:"status"`
	Type    string `json:"type"`
}

// ReactionEvent returns the default reaction.dispatch data.
func ReactionEvent(in ReactionEventInput, _ Users) ReactionEventOut {
	return ReactionEventOut{Action: in.Action, Message: in.Message, Status: in.Status, Type: in.Type}
}

// EditHistoryInput is what the EditHistory serializer receives
// (messageedits.dispatch): the previous versions of a message, oldest first.
type EditHistoryInput struct {
	MessageID string
	Edits     []*model.MessageEdit
}

// EditOut is one previous version of a message.
type EditOut struct {
	Content  string    `json:"content"`
	EditedAt time.Time `json:"edited_at"`
}

// EditHistoryOut is the default messageedits.dispatch data.
type EditHistoryOut struct {
	Edits     []EditOut `json:"edits"`
	MessageID string    `json:"message_id"`
}

// EditHistory returns the default messageedits.dispatch data.
func EditHistory(in EditHistoryInput, _ Users) EditHistoryOut {
	out := EditHistoryOut{Edits: make([]EditOut, len(in.Edits)), MessageID: in.MessageID}
	for i, e := range in.Edits {
		out.Edits[i] = EditOut{Content: e.Content, EditedAt: e.EditedAt}
	}
	return out
}

// TypingInput is what the Typing serializer receives
// (messagetyping.dispatch).
type TypingInput struct {
	RoomID string
	UserID int64
	Typing bool
}

// TypingOut is the default messagetyping.dispatch data.
type TypingOut struct {
	RoomID   string `json:"room_id"`
	Typing   bool   `json:"typing"`
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
}

// Typing returns the default messagetyping.dispatch data, the user by
// username.
func Typing(in TypingInput, us Users) TypingOut {
	return TypingOut{RoomID: in.RoomID, Typing: in.Typing, UserID: in.UserID, Username: us.Get(in.UserID).Username}
}

// PresenceUser is one user's entry in presence.dispatch. LastSeen is when
// the user was last seen: now for an online user, the last frame or pong of
// their last connection for an offline one, and null when rtchat has no
// record of them (never connected, or their sessions are older than the
// retention).
type PresenceUser struct {
	UserID   int64      `json:"user_id"`
	Online   bool       `json:"online"`
	LastSeen *time.Time `json:"last_seen"`
}

// PresenceInput is what the Presence serializer receives
// (presence.dispatch, answering presence.query or pushed on a change).
type PresenceInput struct {
	Users []PresenceUser `json:"users"`
}

// Presence returns the default presence.dispatch data: in itself.
func Presence(in PresenceInput, _ Users) PresenceInput { return in }

// DoneInput is what the Done serializer receives (done.dispatch, the answer
// to a request that succeeded without a frame for the requester).
type DoneInput struct {
	EventType string
}

// DoneOut is the default done.dispatch data.
type DoneOut struct {
	EventType string `json:"event_type"`
}

// Done returns the default done.dispatch data.
func Done(in DoneInput, _ Users) DoneOut { return DoneOut(in) }

// NotificationsInput is what the Notifications serializer receives
// (chat.notifications on connect): the pending notifications by room id,
// each already rendered by the Notification serializer.
type NotificationsInput map[string][]any

// Notifications returns the default chat.notifications data: in itself ({}
// when there are none).
func Notifications(in NotificationsInput, _ Users) NotificationsInput {
	if in == nil {
		return NotificationsInput{}
	}
	return in
}

// RoomsInput is what the RoomList serializer receives (roomlist.dispatch):
// the caller's rooms, each already rendered by the RoomListItem serializer,
// and the same rooms as listed.
type RoomsInput struct {
	Items   []any
	Entries []model.RoomListEntry
}

// RoomList returns the default roomlist.dispatch data: the items as a list
// ([] when there are none).
func RoomList(in RoomsInput, _ Users) []any {
	if in.Items == nil {
		return []any{}
	}
	return in.Items
}

// MessagesInput is what the ReadReceipts and Delivered serializers receive:
// messages already rendered by the Message serializer, and the same
// messages as stored.
type MessagesInput struct {
	Messages []any
	Models   []*model.Message
	// Single is set when the client sent one message id (not a list): the
	// default readreceipt.dispatch is then that one Message.
	Single bool
}

// ReadReceipts returns the default readreceipt.dispatch data for one room:
// one Message for a single id, else the list.
func ReadReceipts(in MessagesInput, _ Users) any {
	if in.Single && len(in.Messages) == 1 {
		return in.Messages[0]
	}
	return messagesOrEmpty(in.Messages)
}

// Delivered returns the default messagedelivered.dispatch data for one
// sender: the list of their messages.
func Delivered(in MessagesInput, _ Users) []any { return messagesOrEmpty(in.Messages) }

func messagesOrEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}
