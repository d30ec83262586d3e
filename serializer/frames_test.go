package serializer_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/serializer"
)

// TestFrameDefaultsKeepTheWireBytes pins each frame serializer's default to
// the exact bytes the handlers wrote before the frames went through the set
// (literal maps, whose keys encoding/json sorts).
func TestFrameDefaultsKeepTheWireBytes(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	room := map[string]any{"id": "r1"}
	msg := map[string]any{"id": "m1"}
	user := map[string]any{"id": 7, "username": "ann"}
	us := serializer.Users{7: {ID: 7, Username: "ann"}}
	cases := map[string]struct {
		name string
		in   any
		want any
	}{
		"keyset page": {serializer.NameMessagePage,
			serializer.MessagePageInput{RoomID: "r1", Messages: []any{msg}, HasMore: true},
			map[string]any{"data": map[string]any{"room_id": "r1", "messages": []any{msg}}, "has_more": true}},
		"empty keyset page": {serializer.NameMessagePage,
			serializer.MessagePageInput{RoomID: "r1", Messages: []any{}},
			map[string]any{"data": map[string]any{"room_id": "r1", "messages": []any{}}, "has_more": false}},
		"first numbered page": {serializer.NameMessagePage,
			serializer.MessagePageInput{RoomID: "r1", Messages: []any{msg}, HasMore: true, Paginate: &serializer.PageNumbers{Page: 1, Size: 1}},
			map[string]any{"data": map[string]any{"room_id": "r1", "messages": []any{msg}}, "page": 1, "size": 1,
				"has_next": true, "has_previous": false, "next_page_number": 2, "prev_page_number": nil}},
		"last numbered page": {serializer.NameMessagePage,
			serializer.MessagePageInput{RoomID: "r1", Messages: []any{msg}, Paginate: &serializer.PageNumbers{Page: 3, Size: 1}},
			map[string]any{"data": map[string]any{"room_id": "r1", "messages": []any{msg}}, "page": 3, "size": 1,
				"has_next": false, "has_previous": true, "next_page_number": nil, "prev_page_number": 2}},
		"members added": {serializer.NameMembersAdded,
			serializer.MembersAddedInput{Room: room, Added: []int64{7, 8}, AddedBy: "ann"},
			map[string]any{"room": room, "new_members": []string{"ann", "8"}, "added_by": "ann"}},
		"nobody added": {serializer.NameMembersAdded,
			serializer.MembersAddedInput{Room: room, AddedBy: "self"},
			map[string]any{"room": room, "new_members": []string{}, "added_by": "self"}},
		"members removed": {serializer.NameMembersRemoved,
			serializer.MembersRemovedInput{Room: room, Removed: []int64{7}, RemovedBy: "self"},
			map[string]any{"room": room, "removed_members": []string{"ann"}, "removed_by": "self"}},
		"room exit": {serializer.NameRoomExit,
			serializer.RoomExitInput{Room: room, Message: "You left x"},
			map[string]any{"room": room, "message": "You left x"}},
		"room delete": {serializer.NameRoomDelete,
			serializer.RoomDeleteInput{RoomID: "r1"}, map[string]any{"room_id": "r1"}},
		"join request": {serializer.NameJoinRequest,
			serializer.JoinRequestInput{RoomID: "r1", UserID: 7, User: user, Status: "pending"},
			map[string]any{"room_id": "r1", "user": user, "status": "pending"}},
		"modification delete": {serializer.NameModification,
			serializer.ModificationInput{Action: "delete", MessageIDs: []string{"a", "b"}},
			map[string]any{"status": "successful", "action": "delete", "message_ids": []string{"a", "b"}}},
		"modification update": {serializer.NameModification,
			serializer.ModificationInput{Action: "update", Message: msg},
			map[string]any{"status": "successful", "action": "update", "message": msg}},
		"reaction": {serializer.NameReactionEvent,
			serializer.ReactionEventInput{Status: "failed", Type: "remove", Action: "remove", Message: msg},
			map[string]any{"status": "failed", "type": "remove", "action": "remove", "message": msg}},
		"edit history": {serializer.NameEditHistory,
			serializer.EditHistoryInput{MessageID: "m1", Edits: []*model.MessageEdit{{Content: "old", EditedAt: at}}},
			map[string]any{"message_id": "m1", "edits": []map[string]any{{"content": "old", "edited_at": at}}}},
		"no edits": {serializer.NameEditHistory,
			serializer.EditHistoryInput{MessageID: "m1"},
			map[string]any{"message_id": "m1", "edits": []map[string]any{}}},
		"typing": {serializer.NameTyping,
			serializer.TypingInput{RoomID: "r1", UserID: 7, Typing: true},
			map[string]any{"username": "ann", "user_id": 7, "room_id": "r1", "typing": true}},
		"room list":       {serializer.NameRoomList, serializer.RoomsInput{Items: []any{room}}, []any{room}},
		"empty room list": {serializer.NameRoomList, serializer.RoomsInput{Items: []any{}}, []any{}},
		"one read receipt": {serializer.NameReadReceipts,
			serializer.MessagesInput{Messages: []any{msg}, Single: true}, msg},
		"read receipts": {serializer.NameReadReceipts,
			serializer.MessagesInput{Messages: []any{msg}}, []any{msg}},
		"delivered": {serializer.NameDelivered,
			serializer.MessagesInput{Messages: []any{msg, msg}}, []any{msg, msg}},
		"presence": {serializer.NamePresence,
			serializer.PresenceInput{Users: []serializer.PresenceUser{{UserID: 7, Online: true, LastSeen: &at}, {UserID: 8}}},
			// presence.dispatch was a struct already: its keys in field order.
			json.RawMessage(`{"users":[{"user_id":7,"online":true,"last_seen":"2026-01-02T03:04:05Z"},{"user_id":8,"online":false,"last_seen":null}]}`)},
		"done": {serializer.NameDone,
			serializer.DoneInput{EventType: "message.read"}, map[string]string{"event_type": "message.read"}},
		"notifications": {serializer.NameNotifications,
			serializer.NotificationsInput{"r1": {msg}}, map[string][]any{"r1": {msg}}},
		"no notifications": {serializer.NameNotifications,
			serializer.NotificationsInput{}, map[string][]any{}},
	}
	set := serializer.NewSet()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := set.Serialize(context.Background(), tc.name, tc.in, us)
			if err != nil {
				t.Fatal(err)
			}
			gotB, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			wantB, err := json.Marshal(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if string(gotB) != string(wantB) {
				t.Errorf("%s:\n got %s\nwant %s", tc.name, gotB, wantB)
			}
		})
	}
}

// TestRoomUpdateRendersThroughRoom checks that roomupdate.dispatch is, by
// default, whatever the Room serializer renders.
func TestRoomUpdateRendersThroughRoom(t *testing.T) {
	set := serializer.NewSet()
	if err := set.Replace(serializer.NameRoom, serializer.Func(func(_ context.Context, v any, _ serializer.Users) (any, error) {
		return map[string]any{"custom": v.(serializer.RoomInput).Room.ID}, nil
	})); err != nil {
		t.Fatal(err)
	}
	got, err := set.Serialize(context.Background(), serializer.NameRoomUpdate, serializer.RoomInput{Room: &model.Room{ID: "r1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != `{"custom":"r1"}` {
		t.Errorf("RoomUpdate = %s, want the replaced Room's shape", b)
	}
}
