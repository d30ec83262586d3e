package rtchat_test

import (
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

func TestModifyUpdate(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		creator, admin, plain, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 9)
		plain2 := h.dial(t, 3)
		g := createRoom(t, creator, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2, 3}})
		act(t, creator, protocol.EventRoomModify, modify(g.ID, "add_admin", map[string]any{"users": []int64{2}}))
		members := map[string]*client.Client{"the creator": creator, "the admin": admin, "a member": plain, "the member's other connection": plain2}
		settle(t, creator, admin, plain, plain2, outsider)

		f := act(t, admin, protocol.EventRoomModify, modify(g.ID, "update", map[string]any{
			"name": "renamed", "description": "about", "avatar": "https://cdn.example/a.png", "group_locked": true,
			"property": map[string]any{"preferences": map[string]any{"theme": "dark"}},
		}))
		if f.EventType != protocol.DispatchRoomUpdate {
			t.Fatalf("room.modify update answered %s", f.EventType)
		}
		for name, c := range members {
			room := only(t, name, c, protocol.DispatchRoomUpdate)
			prefs := room["property"].(map[string]any)["preferences"].(map[string]any)
			if room["name"] != "renamed" || room["description"] != "about" || room["group_locked"] != true || prefs["theme"] != "dark" || room["id"] != g.ID {
				t.Fatalf("%s got %v", name, room)
			}
			wantIDs(t, "participants", userIDsOf(room["participants"]), 1, 2, 3)
		}
		quiet(t, "an outsider", outsider)

		// The group is locked: only admins send.
		wantCode(t, refuse(t, plain, protocol.EventMessageSend, roomData(g.ID, "content", "hi")), protocol.CodePermissionDenied)
		post(t, admin, g.ID, "admins only")
		settle(t, creator, admin, plain, plain2)

		for name, tc := range map[string]struct {
			c    *client.Client
			data map[string]any
			code int
			want string
		}{
			"by a plain member":            {plain, map[string]any{"name": "x"}, protocol.CodePermissionDenied, protocol.DetailPermissionDenied},
			"by an outsider":               {outsider, map[string]any{"name": "x"}, protocol.CodePermissionDenied, protocol.DetailPermissionDenied},
			"cap below the members":        {creator, map[string]any{"max_participants": 2}, protocol.CodeInvalid, protocol.DetailGroupFull},
			"a channel setting on a group": {creator, map[string]any{"is_public": true}, protocol.CodeInvalid, ""},
			"nothing":                      {creator, map[string]any{}, protocol.CodeInvalid, ""},
			"blank name":                   {creator, map[string]any{"name": "  "}, protocol.CodeInvalid, ""},
			"name too long":                {creator, map[string]any{"name": string(make([]byte, 65))}, protocol.CodeInvalid, ""},
			"preferences not an object":    {creator, map[string]any{"property": map[string]any{"preferences": "dark"}}, protocol.CodeInvalid, ""},
			"cap of the wrong type":        {creator, map[string]any{"max_participants": "many"}, protocol.CodeInvalid, ""},
		} {
			t.Run(name, func(t *testing.T) {
				wantError(t, refuse(t, tc.c, protocol.EventRoomModify, modify(g.ID, "update", tc.data)), tc.code, tc.want)
				for n, c := range members {
					quiet(t, n, c)
				}
				quiet(t, "an outsider", outsider)
			})
		}
		if n := h.count(t, "rtchat_rooms", "id = ? AND name = ? AND max_participants = ?", g.ID, "renamed", 100); n != 1 {
			t.Fatal("a refused update changed the room")
		}
		wantCode(t, refuse(t, creator, protocol.EventRoomModify, modify(g.ID, "explode", nil)), protocol.CodeInvalid)

		// A 1:1 has only property; either participant may set it.
		dm := createRoom(t, creator, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{3}})
		settle(t, creator, plain, plain2)
		act(t, plain, protocol.EventRoomModify, modify(dm.ID, "update", map[string]any{"property": map[string]any{"preferences": map[string]any{"muted": true}}}))
		for name, c := range map[string]*client.Client{"the initiator": creator, "the participant": plain, "the participant's other connection": plain2} {
			only(t, name, c, protocol.DispatchRoomUpdate)
		}
		quiet(t, "the admin of the group", admin)
		wantCode(t, refuse(t, plain, protocol.EventRoomModify, modify(dm.ID, "update", map[string]any{"name": "x"})), protocol.CodeInvalid)
	})
}

func TestModifyDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		creator, admin, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 9)
		m1, m2 := h.dial(t, 3), h.dial(t, 3)
		for _, typ := range []string{protocol.RoomGroup, protocol.RoomChannel} {
			t.Run(typ, func(t *testing.T) {
				room := createRoom(t, creator, map[string]any{"type": typ, "name": "doomed", "participants": []int64{2, 3}, "subscribers": []int64{2, 3}})
				action := "add_admin"
				if typ == protocol.RoomChannel {
					action = "add_moderator"
				}
				act(t, creator, protocol.EventRoomModify, modify(room.ID, action, map[string]any{"users": []int64{2}}))
				post(t, creator, room.ID, "soon gone")
				settle(t, creator, admin, m1, m2, outsider)

				wantError(t, refuse(t, admin, protocol.EventRoomModify, modify(room.ID, "delete", nil)), protocol.CodePermissionDenied, protocol.DetailNotCreator)
				wantError(t, refuse(t, m1, protocol.EventRoomModify, modify(room.ID, "delete", nil)), protocol.CodePermissionDenied, protocol.DetailNotCreator)
				wantCode(t, refuse(t, outsider, protocol.EventRoomModify, modify(room.ID, "delete", nil)), protocol.CodePermissionDenied)
				quiet(t, "the creator", creator)

				f := act(t, creator, protocol.EventRoomModify, modify(room.ID, "delete", nil))
				if f.EventType != protocol.DispatchRoomDelete {
					t.Fatalf("delete answered %s", f.EventType)
				}
				for name, c := range map[string]*client.Client{"the creator": creator, "the admin": admin, "a member": m1, "the member's other connection": m2} {
					if del := only(t, name, c, protocol.DispatchRoomDelete); del["room_id"] != room.ID || len(del) != 1 {
						t.Fatalf("%s got %v", name, del)
					}
				}
				quiet(t, "an outsider", outsider)
				for _, table := range []string{"rtchat_messages", "rtchat_members"} {
					if n := h.count(t, table, "room_id = ?", room.ID); n != 0 {
						t.Fatalf("%d rows left in %s", n, table)
					}
				}
				if n := h.count(t, "rtchat_rooms", "id = ?", room.ID); n != 0 {
					t.Fatal("the room is still there")
				}
				wantError(t, refuse(t, creator, protocol.EventRoomInfo, roomData(room.ID)), protocol.CodeNotFound, protocol.DetailNotFound)
				wantError(t, refuse(t, m1, protocol.EventMessageSend, roomData(room.ID, "content", "x")), protocol.CodeNotFound, protocol.DetailNotFound)
				quiet(t, "a former member", m2)
			})
		}
		t.Run("1:1", func(t *testing.T) {
			dm := createRoom(t, creator, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{3}})
			post(t, creator, dm.ID, "x")
			settle(t, creator, m1, m2)
			// Either participant deletes a 1:1.
			act(t, m1, protocol.EventRoomModify, modify(dm.ID, "delete", nil))
			for name, c := range map[string]*client.Client{"the initiator": creator, "the participant": m1, "the participant's other connection": m2} {
				only(t, name, c, protocol.DispatchRoomDelete)
			}
			// The pair may start a new one.
			createRoom(t, m1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{1}})
		})
	})
}

func TestModifyRoles(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		creator, admin, plain, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 9)
		g := createRoom(t, creator, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2, 3}})
		ch := createRoom(t, creator, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2, 3}})
		all := map[string]*client.Client{"the creator": creator, "the promoted": admin, "a member": plain}
		settle(t, creator, admin, plain, outsider)

		// Promoting: the room hears roomupdate with the new admins.
		act(t, creator, protocol.EventRoomModify, modify(g.ID, "add_admin", map[string]any{"users": []int64{2}}))
		for name, c := range all {
			wantIDs(t, name+": admins", userIDsOf(only(t, name, c, protocol.DispatchRoomUpdate)["admins"]), 1, 2)
		}
		quiet(t, "an outsider", outsider)
		// Moderating the group's sibling channel takes the channel's own promotion.
		wantCode(t, refuse(t, admin, protocol.EventRoomModify, modify(ch.ID, "add_moderator", map[string]any{"users": []int64{3}})), protocol.CodePermissionDenied)
		act(t, creator, protocol.EventRoomModify, modify(ch.ID, "add_moderator", map[string]any{"users": []int64{2, 3}}))
		settle(t, creator, admin, plain)

		for name, tc := range map[string]struct {
			c      *client.Client
			roomID string
			action string
			users  []int64
			code   int
			detail string
		}{
			"a plain member promotes":         {plain, g.ID, "add_admin", []int64{3}, protocol.CodePermissionDenied, protocol.DetailPermissionDenied},
			"an outsider promotes":            {outsider, g.ID, "add_admin", []int64{9}, protocol.CodePermissionDenied, protocol.DetailPermissionDenied},
			"an admin demotes the creator":    {admin, g.ID, "remove_admin", []int64{1}, protocol.CodePermissionDenied, "The creator of a room cannot be removed or demoted by others."},
			"promoting a non-member":          {creator, g.ID, "add_admin", []int64{9}, protocol.CodeInvalid, ""},
			"a moderator in a group":          {creator, g.ID, "add_moderator", []int64{3}, protocol.CodeInvalid, ""},
			"an admin in a channel":           {creator, ch.ID, "add_admin", []int64{3}, protocol.CodeInvalid, ""},
			"no users":                        {creator, g.ID, "add_admin", []int64{}, protocol.CodeInvalid, ""},
			"a moderator demotes the creator": {admin, ch.ID, "remove_moderator", []int64{1}, protocol.CodePermissionDenied, "The creator of a room cannot be removed or demoted by others."},
		} {
			t.Run(name, func(t *testing.T) {
				wantError(t, refuse(t, tc.c, protocol.EventRoomModify, modify(tc.roomID, tc.action, map[string]any{"users": tc.users})), tc.code, tc.detail)
				for n, c := range all {
					quiet(t, n, c)
				}
			})
		}
		if n := h.count(t, "rtchat_members", "role = ?", "member"); n != 1 {
			t.Fatalf("%d plain members, want 1 (3 in the group): a refusal changed a role", n)
		}

		// A moderator demotes another one; the creator demotes an admin.
		act(t, admin, protocol.EventRoomModify, modify(ch.ID, "remove_moderator", map[string]any{"users": []int64{3}}))
		for name, c := range all {
			wantIDs(t, name+": moderators", userIDsOf(only(t, name, c, protocol.DispatchRoomUpdate)["moderators"]), 1, 2)
		}
		act(t, creator, protocol.EventRoomModify, modify(g.ID, "remove_admin", map[string]any{"users": []int64{2}}))
		for name, c := range all {
			wantIDs(t, name+": admins", userIDsOf(only(t, name, c, protocol.DispatchRoomUpdate)["admins"]), 1)
		}
		// Demoted: the former admin may no longer administer.
		wantCode(t, refuse(t, admin, protocol.EventRoomModify, modify(g.ID, "update", map[string]any{"name": "x"})), protocol.CodePermissionDenied)
	})
}

func TestModifyPermissions(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		creator, sub, other, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 9)
		ch := createRoom(t, creator, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2, 3}})
		g := createRoom(t, creator, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2, 3}})
		settle(t, creator, sub, other, outsider)
		grant := func(roomID string, user int64, col string) bool {
			return h.count(t, "rtchat_members", "room_id = ? AND user_id = ? AND "+col+" = ?", roomID, user, true) == 1
		}

		// A plain subscriber may not send; granted can_send_messages (the
		// original's singular "permission"), it may.
		wantCode(t, refuse(t, sub, protocol.EventMessageSend, roomData(ch.ID, "content", "hi")), protocol.CodePermissionDenied)
		act(t, creator, protocol.EventRoomModify, modify(ch.ID, "add_permission", map[string]any{"users": []int64{2}, "permission": "can_send_messages"}))
		for name, c := range map[string]*client.Client{"the creator": creator, "the granted": sub, "another subscriber": other} {
			only(t, name, c, protocol.DispatchRoomUpdate)
		}
		quiet(t, "an outsider", outsider)
		if !grant(ch.ID, 2, "can_send_messages") || grant(ch.ID, 3, "can_send_messages") || grant(g.ID, 2, "can_send_messages") {
			t.Fatal("the grant is not stored for that member of that room only")
		}
		post(t, sub, ch.ID, "granted")
		wantCode(t, refuse(t, other, protocol.EventMessageSend, roomData(ch.ID, "content", "hi")), protocol.CodePermissionDenied)

		// Several at once, as a list; then taken back.
		act(t, creator, protocol.EventRoomModify, modify(ch.ID, "add_permission", map[string]any{"users": []int64{3}, "permissions": []string{"can_add_new_subscribers", "can_remove_subscribers"}}))
		if !grant(ch.ID, 3, "can_add_new_subscribers") || !grant(ch.ID, 3, "can_remove_subscribers") || grant(ch.ID, 3, "can_send_messages") {
			t.Fatal("grants not stored")
		}
		act(t, creator, protocol.EventRoomModify, modify(ch.ID, "remove_permission", map[string]any{"users": []int64{2, 3}, "permission": []string{"can_send_messages", "can_remove_subscribers"}}))
		if grant(ch.ID, 2, "can_send_messages") || grant(ch.ID, 3, "can_remove_subscribers") || !grant(ch.ID, 3, "can_add_new_subscribers") {
			t.Fatal("grants not taken back")
		}
		settle(t, creator, sub, other)
		wantCode(t, refuse(t, sub, protocol.EventMessageSend, roomData(ch.ID, "content", "hi")), protocol.CodePermissionDenied)

		for name, tc := range map[string]struct {
			c      *client.Client
			roomID string
			data   map[string]any
			code   int
		}{
			"a channel grant in a group": {creator, g.ID, map[string]any{"users": []int64{2}, "permissions": []string{"can_send_messages"}}, protocol.CodeInvalid},
			"a group grant in a channel": {creator, ch.ID, map[string]any{"users": []int64{2}, "permissions": []string{"can_add_new_participants"}}, protocol.CodeInvalid},
			"an unknown grant":           {creator, ch.ID, map[string]any{"users": []int64{2}, "permissions": []string{"is_superuser"}}, protocol.CodeInvalid},
			"no grant":                   {creator, ch.ID, map[string]any{"users": []int64{2}}, protocol.CodeInvalid},
			"a non-member":               {creator, ch.ID, map[string]any{"users": []int64{9}, "permissions": []string{"can_send_messages"}}, protocol.CodeInvalid},
			"by a granted member":        {other, ch.ID, map[string]any{"users": []int64{3}, "permissions": []string{"can_send_messages"}}, protocol.CodePermissionDenied},
			"by an outsider":             {outsider, ch.ID, map[string]any{"users": []int64{9}, "permissions": []string{"can_send_messages"}}, protocol.CodePermissionDenied},
		} {
			t.Run(name, func(t *testing.T) {
				wantCode(t, refuse(t, tc.c, protocol.EventRoomModify, modify(tc.roomID, "add_permission", tc.data)), tc.code)
				quiet(t, "the creator", creator)
				quiet(t, "a subscriber", sub)
			})
		}
		if n := h.count(t, "rtchat_members", "can_send_messages = ? OR can_add_new_participants = ?", true, true); n != 0 {
			t.Fatalf("%d refused grants were stored", n)
		}

		// A 1:1 has no grants or roles.
		dm := createRoom(t, creator, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		for _, action := range []string{"add_permission", "remove_permission", "add_admin", "remove_admin", "add_moderator", "remove_moderator"} {
			wantCode(t, refuse(t, creator, protocol.EventRoomModify, modify(dm.ID, action, map[string]any{"users": []int64{2}, "permissions": []string{"can_send_messages"}})), protocol.CodeInvalid)
		}
	}, rtchat.WithUserLookup(namedUsers))
}
