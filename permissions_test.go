package rtchat_test

import (
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// detailArchived is what readOnlyArchive (example_permissions_test.go)
// answers.
const detailArchived = "This room is archived."

var _ rtchat.PermissionHandler = readOnlyArchive{}

func TestCustomPermissionHandler(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
		archived := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "old", "participants": []int64{2},
			"extra_fields": map[string]any{"property": map[string]any{"preferences": map[string]any{"archived": true}}}})
		live := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "live", "participants": []int64{2}})
		ch := createRoom(t, a, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2}})
		settle(t, a, b, outsider)

		// Nobody sends to the archived room, the creator included ...
		for name, c := range map[string]*client.Client{"the creator": a, "a member": b} {
			wantError(t, refuse(t, c, protocol.EventMessageSend, roomData(archived.ID, "content", "hi")), protocol.CodePermissionDenied, detailArchived)
			quiet(t, name, c)
		}
		if n := h.count(t, "rtchat_messages", ""); n != 0 {
			t.Fatalf("%d messages stored", n)
		}
		// ... but reading it works as before.
		info := decode[map[string]any](t, act(t, b, protocol.EventRoomInfo, roomData(archived.ID)))
		if info["property"].(map[string]any)["preferences"].(map[string]any)["archived"] != true {
			t.Fatalf("room.info = %v", info)
		}
		act(t, b, protocol.EventRoomMessages, roomData(archived.ID))
		// The other rules are the default's.
		post(t, b, live.ID, "still here")
		wantError(t, refuse(t, outsider, protocol.EventMessageSend, roomData(live.ID, "content", "hi")), protocol.CodePermissionDenied, protocol.DetailPermissionDenied)
		wantError(t, refuse(t, outsider, protocol.EventRoomInfo, roomData(archived.ID)), protocol.CodePermissionDenied, protocol.DetailPermissionDenied)
		wantCode(t, refuse(t, b, protocol.EventMessageSend, roomData(ch.ID, "content", "hi")), protocol.CodePermissionDenied)

		// Archiving through room.modify takes effect at once; so does undoing it.
		act(t, a, protocol.EventRoomModify, modify(live.ID, "update", map[string]any{"property": map[string]any{"preferences": map[string]any{"archived": true}}}))
		wantError(t, refuse(t, b, protocol.EventMessageSend, roomData(live.ID, "content", "hi")), protocol.CodePermissionDenied, detailArchived)
		act(t, a, protocol.EventRoomModify, modify(live.ID, "update", map[string]any{"property": map[string]any{"preferences": map[string]any{"archived": false}}}))
		post(t, b, live.ID, "back")
	}, rtchat.WithPermissionHandler(readOnlyArchive{}))
}
