// Package serializer turns rtchat's models into their wire shapes
// (docs/protocol.md §4), validates incoming payloads with validator/v10 and
// sanitises message content with bluemonday.
//
// Every data payload a client receives, except error frames
// (protocol.Error), comes from a Serializer in a Set, under a name; an app
// replaces one by name through rtchat.WithSerializer, and the replacement
// shows wherever its shape appears, nested ones included (a replaced "User"
// renders every sender, reader, member and creator).
//
// The model shapes, nested inside frames, and what each serializer receives:
//
//	User          int64 (the user id); users holds the looked-up users
//	Message       *model.Message with its relations loaded (message.dispatch)
//	Room          RoomInput (the room and its members; roomcreate.dispatch,
//	              roominfo.dispatch, and inside the membership frames)
//	RoomListItem  model.RoomListEntry
//	Reaction      *model.Reaction
//	ReadReceipt   *model.ReadReceipt
//	Attachment    *model.Attachment
//	Notification  *model.Notification with its message loaded
//	Session       *model.Session
//	Pin           PinInput (a pin and its message; room.info's pins)
//
// The frame shapes, one per dispatch event's data (frames.go). Their nested
// messages, rooms and users arrive already rendered by the serializers
// above; each default is the exported func of the same name:
//
//	MessagePage     MessagePageInput     room.messages (keyset or numbered page)
//	MembersAdded    MembersAddedInput    roomaddmembers.dispatch
//	MembersRemoved  MembersRemovedInput  roomremovemembers.dispatch
//	RoomExit        RoomExitInput        roomexit.dispatch
//	RoomDelete      RoomDeleteInput      roomdelete.dispatch
//	RoomUpdate      RoomInput            roomupdate.dispatch (default: "Room")
//	RoomList        RoomsInput           roomlist.dispatch
//	JoinRequest     JoinRequestInput     roomjoinrequest.dispatch
//	Modification    ModificationInput    messagemodification.dispatch
//	ReactionEvent   ReactionEventInput   reaction.dispatch
//	EditHistory     EditHistoryInput     messageedits.dispatch
//	Typing          TypingInput          messagetyping.dispatch
//	ReadReceipts    MessagesInput        readreceipt.dispatch
//	Delivered       MessagesInput        messagedelivered.dispatch
//	Presence        PresenceInput        presence.dispatch
//	Done            DoneInput            done.dispatch
//	Notifications   NotificationsInput   chat.notifications
//	MessagePin      MessagePinInput      messagepin.dispatch
//	SearchResults   SearchInput          messagesearch.dispatch (search.go)
//	RoomMute        RoomMuteInput        roommute.dispatch (moderation.go)
//	RoomAudit       RoomAuditInput       roomaudit.dispatch (moderation.go)
//	Thread          ThreadInput          a thread (thread.list, room.messages with thread_root_id)
//	ThreadList      ThreadListInput      threadlist.dispatch
//
// To add a field to a frame, wrap its default and embed the result (see
// the Example on Typing). The session.heartbeat answer, whose status is not
// inside data, is not a serializer.
package serializer
