package protocol

// Client event names (event_type of a request).
const (
	EventMessageSend         = "message.send"
	EventMessageAcknowledged = "message.acknowledged"
	EventMessageRead         = "message.read"
	EventMessageReact        = "message.react"
	EventMessageEdits        = "message.edits"
	EventMessageTyping       = "message.typing"
	EventMessageModify       = "message.modify"
	EventRoomCreate          = "room.create"
	EventRoomList            = "room.list"
	EventRoomInfo            = "room.info"
	EventRoomMessages        = "room.messages"
	EventRoomJoin            = "room.join"
	EventRoomLeave           = "room.leave"
	EventRoomAddMembers      = "room.add_members"
	EventRoomRemoveMembers   = "room.remove_members"
	EventRoomModify          = "room.modify"
	EventSessionHeartbeat    = "session.heartbeat"
	EventPresenceQuery       = "presence.query"
)

// Server event names (eventType of a frame).
const (
	DispatchNotifications     = "chat.notifications"
	DispatchMessage           = "message.dispatch"
	DispatchDelivered         = "messagedelivered.dispatch"
	DispatchReadReceipt       = "readreceipt.dispatch"
	DispatchReaction          = "reaction.dispatch"
	DispatchEdits             = "messageedits.dispatch"
	DispatchTyping            = "messagetyping.dispatch"
	DispatchModification      = "messagemodification.dispatch"
	DispatchRoomCreate        = "roomcreate.dispatch"
	DispatchRoomList          = "roomlist.dispatch"
	DispatchRoomInfo          = "roominfo.dispatch"
	DispatchRoomMessages      = "roommessages.dispatch"
	DispatchRoomAddMembers    = "roomaddmembers.dispatch"
	DispatchRoomJoinRequest   = "roomjoinrequest.dispatch"
	DispatchRoomExit          = "roomexit.dispatch"
	DispatchRoomRemoveMembers = "roomremovemembers.dispatch"
	DispatchRoomUpdate        = "roomupdate.dispatch"
	DispatchRoomDelete        = "roomdelete.dispatch"
	DispatchHeartbeat         = "heartbeat.dispatch"
	DispatchPresence          = "presence.dispatch"
	// DispatchDone answers a request that carried a request_id and
	// succeeded without any other frame for the requester: {"event_type":
	// "<request name>"}.
	DispatchDone = "done.dispatch"
)

// Room types as they appear on the wire.
const (
	RoomOneToOne = "OneToOneChat"
	RoomGroup    = "GroupChat"
	RoomChannel  = "Channel"
)
