// Package serializer turns rtchat's models into their wire shapes
// (docs/protocol.md §4), validates incoming payloads with validator/v10 and
// sanitises message content with bluemonday.
//
// Every shape has a default Serializer; an app replaces one by name through
// rtchat.WithSerializer, and the replacement shows wherever its shape
// appears, nested ones included (a replaced "User" renders every sender,
// reader, member and creator). Each serializer receives:
//
//	User          int64 (the user id); users holds the looked-up users
//	Message       *model.Message with its relations loaded
//	Room          RoomInput (the room and its members)
//	RoomListItem  model.RoomListEntry
//	Reaction      *model.Reaction
//	ReadReceipt   *model.ReadReceipt
//	Attachment    *model.Attachment
//	Notification  *model.Notification with its message loaded
//	Session       *model.Session
package serializer
