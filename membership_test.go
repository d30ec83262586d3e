package rtchat_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
)

func TestJoinPublicChannel(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		c1, c2 := h.dial(t, 3), h.dial(t, 3)
		stranger := h.dial(t, 4)
		ch := createRoom(t, a, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2}, "extra_fields": map[string]any{"is_public": true}})
		post(t, a, ch.ID, "before the join")
		settle(t, a, b, c1, c2, stranger)

		f := act(t, c1, protocol.EventRoomJoin, roomData(ch.ID))
		if f.EventType != protocol.DispatchRoomAddMembers {
			t.Fatalf("room.join answered %s", f.EventType)
		}
		got := decode[map[string]any](t, f)
		room := got["room"].(map[string]any)
		if got["added_by"] != "self" || joinStrings(strs(got["new_members"])) != "user3" || room["id"] != ch.ID {
			t.Fatalf("roomaddmembers = %v", got)
		}
		wantIDs(t, "subscribers", userIDsOf(room["subscribers"]), 1, 2, 3)
		only(t, "the joining connection", c1, protocol.DispatchRoomAddMembers)
		only(t, "the joiner's other connection", c2, protocol.DispatchRoomAddMembers)
		only(t, "the creator", a, protocol.DispatchRoomAddMembers)
		only(t, "a subscriber", b, protocol.DispatchRoomAddMembers)
		quiet(t, "a stranger", stranger)
		wantIDs(t, "member rows", h.members(t, ch.ID), 1, 2, 3)

		// Both of the newcomer's connections now receive the room.
		post(t, a, ch.ID, "after the join")
		for name, c := range map[string]*client.Client{"first": c1, "second": c2} {
			if m := decode[wireMessage](t, next(t, c, protocol.DispatchMessage)); m.Content != "after the join" {
				t.Fatalf("%s connection got %+v", name, m)
			}
		}
		quiet(t, "a stranger", stranger)

		// Joining again changes nothing and answers the caller alone.
		settle(t, a, b, c1, c2)
		again := decode[map[string]any](t, act(t, c1, protocol.EventRoomJoin, roomData(ch.ID)))
		if len(strs(again["new_members"])) != 0 || again["added_by"] != "self" {
			t.Fatalf("second join = %v", again)
		}
		only(t, "the joining connection", c1, protocol.DispatchRoomAddMembers)
		quiet(t, "the joiner's other connection", c2)
		quiet(t, "the creator", a)
		wantIDs(t, "member rows", h.members(t, ch.ID), 1, 2, 3)
	}, rtchat.WithUserLookup(namedUsers))
}

func TestJoinRefused(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
		private := createRoom(t, a, map[string]any{"type": protocol.RoomChannel, "name": "private", "subscribers": []int64{2}})
		group := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2}})
		dm := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		settle(t, a, b, outsider)
		for name, id := range map[string]string{"private channel": private.ID, "group without approval": group.ID, "1:1": dm.ID} {
			t.Run(name, func(t *testing.T) {
				wantError(t, refuse(t, outsider, protocol.EventRoomJoin, roomData(id)), protocol.CodeInvalid, protocol.DetailAskAdmin)
				quiet(t, "the outsider", outsider)
				quiet(t, "the creator", a)
				quiet(t, "a member", b)
				wantIDs(t, "member rows", h.members(t, id), 1, 2)
			})
		}
		wantError(t, refuse(t, outsider, protocol.EventRoomJoin, roomData("6f1c3a52-0000-4000-8000-000000000000")), protocol.CodeNotFound, protocol.DetailNotFound)
		if n := h.count(t, "rtchat_join_requests", ""); n != 0 {
			t.Fatalf("%d join requests stored", n)
		}
	})
}

func TestJoinRequestApprovedByAdmin(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		creator, admin, plain := h.dial(t, 1), h.dial(t, 2), h.dial(t, 4)
		asker, askerOther := h.dial(t, 3), h.dial(t, 3)
		g := createRoom(t, creator, map[string]any{"type": protocol.RoomGroup, "name": "club", "participants": []int64{2, 4},
			"extra_fields": map[string]any{"join_approval_required": true}})
		act(t, creator, protocol.EventRoomModify, modify(g.ID, "add_admin", map[string]any{"users": []int64{2}}))
		settle(t, creator, admin, plain, asker, askerOther)

		f := act(t, asker, protocol.EventRoomJoin, roomData(g.ID))
		if f.EventType != protocol.DispatchRoomJoinRequest {
			t.Fatalf("room.join answered %s", f.EventType)
		}
		type joinRequest struct {
			RoomID string   `json:"room_id"`
			User   wireUser `json:"user"`
			Status string   `json:"status"`
		}
		if jr := decode[joinRequest](t, f); jr.RoomID != g.ID || jr.User.ID != 3 || jr.User.Username != "user3" || jr.Status != "pending" {
			t.Fatalf("join request = %+v", jr)
		}
		only(t, "the asking connection", asker, protocol.DispatchRoomJoinRequest)
		quiet(t, "the asker's other connection (the answer is the caller's)", askerOther)
		for name, c := range map[string]*client.Client{"the creator": creator, "the admin": admin} {
			var jr joinRequest
			if jr = decode[joinRequest](t, next(t, c, protocol.DispatchRoomJoinRequest)); jr.User.ID != 3 || jr.RoomID != g.ID {
				t.Fatalf("%s got %+v", name, jr)
			}
			quiet(t, name, c)
		}
		quiet(t, "a plain member", plain)
		wantIDs(t, "member rows", h.members(t, g.ID), 1, 2, 4)
		if n := h.count(t, "rtchat_join_requests", "room_id = ? AND user_id = ?", g.ID, 3); n != 1 {
			t.Fatalf("join requests = %d, want 1", n)
		}

		// Asking again answers the caller; the admins are not told twice.
		act(t, asker, protocol.EventRoomJoin, roomData(g.ID))
		only(t, "the asking connection", asker, protocol.DispatchRoomJoinRequest)
		quiet(t, "the creator", creator)
		quiet(t, "the admin", admin)

		// Still not a member.
		wantCode(t, refuse(t, asker, protocol.EventMessageSend, roomData(g.ID, "content", "hi")), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, asker, protocol.EventRoomInfo, roomData(g.ID)), protocol.CodePermissionDenied)
		// A plain member cannot approve.
		wantCode(t, refuse(t, plain, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{3})), protocol.CodePermissionDenied)
		settle(t, creator, admin, plain, asker, askerOther)

		// The admin approves by adding the user.
		added := decode[map[string]any](t, act(t, admin, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{3})))
		if joinStrings(strs(added["new_members"])) != "user3" || added["added_by"] != "user2" {
			t.Fatalf("roomaddmembers = %v", added)
		}
		for name, c := range map[string]*client.Client{"the admin": admin, "the creator": creator, "a plain member": plain, "the asker": asker, "the asker's other connection": askerOther} {
			only(t, name, c, protocol.DispatchRoomAddMembers)
		}
		if n := h.count(t, "rtchat_join_requests", ""); n != 0 {
			t.Fatalf("join requests = %d after approval, want 0", n)
		}
		post(t, asker, g.ID, "thanks")
		for name, c := range map[string]*client.Client{"the admin": admin, "the creator": creator, "a plain member": plain, "the asker's other connection": askerOther} {
			if m := decode[wireMessage](t, next(t, c, protocol.DispatchMessage)); m.Content != "thanks" {
				t.Fatalf("%s got %+v", name, m)
			}
		}
	}, rtchat.WithUserLookup(namedUsers))
}

func TestLeave(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, c, outsider := h.dial(t, 1), h.dial(t, 3), h.dial(t, 4)
		b1, b2 := h.dial(t, 2), h.dial(t, 2)
		g := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2, 3}})
		post(t, a, g.ID, "hello")
		settle(t, a, b1, b2, c, outsider)

		f := act(t, b1, protocol.EventRoomLeave, roomData(g.ID))
		if f.EventType != protocol.DispatchRoomExit {
			t.Fatalf("room.leave answered %s", f.EventType)
		}
		exit := decode[map[string]any](t, f)
		if exit["message"] != "You left team" {
			t.Fatalf("roomexit = %v", exit)
		}
		only(t, "the leaving connection", b1, protocol.DispatchRoomExit)
		// The leaving connection's copy answered the request; the other's
		// carries no request_id.
		if other := next(t, b2, protocol.DispatchRoomExit); other.RequestID != "" || f.RequestID == "" {
			t.Fatalf("request_id: leaving connection %q, other connection %q", f.RequestID, other.RequestID)
		}
		quiet(t, "the leaver's other connection", b2)
		for name, cl := range map[string]*client.Client{"the creator": a, "a member": c} {
			rm := only(t, name, cl, protocol.DispatchRoomRemoveMembers)
			if joinStrings(strs(rm["removed_members"])) != "user2" || rm["removed_by"] != "self" {
				t.Fatalf("%s got %v", name, rm)
			}
			wantIDs(t, "participants", userIDsOf(rm["room"].(map[string]any)["participants"]), 1, 3)
		}
		quiet(t, "an outsider", outsider)
		wantIDs(t, "member rows", h.members(t, g.ID), 1, 3)

		// Nothing of the room reaches the leaver any more.
		post(t, a, g.ID, "after")
		next(t, c, protocol.DispatchMessage)
		quiet(t, "the leaver", b1)
		quiet(t, "the leaver's other connection", b2)
		wantCode(t, refuse(t, b1, protocol.EventRoomInfo, roomData(g.ID)), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, b1, protocol.EventRoomLeave, roomData(g.ID)), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, outsider, protocol.EventRoomLeave, roomData(g.ID)), protocol.CodePermissionDenied)

		// A 1:1 cannot be left.
		dm := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{3}})
		settle(t, a, c)
		wantError(t, refuse(t, c, protocol.EventRoomLeave, roomData(dm.ID)), protocol.CodeInvalid, protocol.DetailLeaveOnlyGroups)
		quiet(t, "the other participant", a)

		// The creator may leave; the last member leaving deletes the room.
		act(t, a, protocol.EventRoomLeave, roomData(g.ID))
		settle(t, a, c)
		f = act(t, c, protocol.EventRoomLeave, roomData(g.ID))
		if f.EventType != protocol.DispatchRoomExit {
			t.Fatalf("last leave answered %s", f.EventType)
		}
		next(t, c, protocol.DispatchRoomExit)
		if del := decode[map[string]any](t, next(t, c, protocol.DispatchRoomDelete)); del["room_id"] != g.ID || len(del) != 1 {
			t.Fatalf("roomdelete = %v", del)
		}
		quiet(t, "the last member", c)
		quiet(t, "the creator who left before", a)
		if n := h.count(t, "rtchat_rooms", "id = ?", g.ID) + h.count(t, "rtchat_messages", "room_id = ?", g.ID) + h.count(t, "rtchat_members", "room_id = ?", g.ID); n != 0 {
			t.Fatalf("%d rows of the room remain", n)
		}
		wantError(t, refuse(t, c, protocol.EventRoomInfo, roomData(g.ID)), protocol.CodeNotFound, protocol.DetailNotFound)
	}, rtchat.WithUserLookup(namedUsers))
}

func TestAddMembers(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, plain, granted, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 6)
		d1, d2 := h.dial(t, 4), h.dial(t, 4)
		e := h.dial(t, 5)
		g := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2, 3}, "extra_fields": map[string]any{"max_participants": 5}})
		post(t, a, g.ID, "secret before")
		settle(t, a, plain, granted, outsider, d1, d2, e)

		// A plain member may not add; nothing is broadcast or stored.
		wantCode(t, refuse(t, plain, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{4})), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, outsider, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{6})), protocol.CodePermissionDenied)
		for name, c := range map[string]*client.Client{"the creator": a, "the would-be member": d1} {
			quiet(t, name, c)
		}
		wantIDs(t, "member rows", h.members(t, g.ID), 1, 2, 3)

		// The creator adds two users: everyone, newcomers included, hears it.
		f := act(t, a, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{4, 5, 4}))
		got := decode[map[string]any](t, f)
		if joinStrings(strs(got["new_members"])) != "user4,user5" || got["added_by"] != "user1" {
			t.Fatalf("roomaddmembers = %v", got)
		}
		wantIDs(t, "participants", userIDsOf(got["room"].(map[string]any)["participants"]), 1, 2, 3, 4, 5)
		for name, c := range map[string]*client.Client{"the adder": a, "a member": plain, "another member": granted, "a newcomer": d1, "the newcomer's other connection": d2, "another newcomer": e} {
			only(t, name, c, protocol.DispatchRoomAddMembers)
		}
		quiet(t, "an outsider", outsider)
		// Newcomers get the room's next events, not its past.
		post(t, plain, g.ID, "welcome")
		for name, c := range map[string]*client.Client{"a newcomer": d1, "the newcomer's other connection": d2, "another newcomer": e} {
			if m := decode[wireMessage](t, next(t, c, protocol.DispatchMessage)); m.Content != "welcome" {
				t.Fatalf("%s got %+v", name, m)
			}
			quiet(t, name, c)
		}
		quiet(t, "an outsider", outsider)
		settle(t, a, plain, granted, d1, d2, e)

		// Users already in are skipped; with nobody new, only the caller hears.
		again := decode[map[string]any](t, act(t, a, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{2, 4})))
		if len(strs(again["new_members"])) != 0 {
			t.Fatalf("re-adding members = %v", again)
		}
		only(t, "the adder", a, protocol.DispatchRoomAddMembers)
		quiet(t, "a member", plain)

		// Unknown users: 4004, nobody added.
		wantError(t, refuse(t, a, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{6, 999})), protocol.CodeNotFound, protocol.DetailNotFound)
		// The cap (5): one more is refused with the original's text.
		wantError(t, refuse(t, a, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{6})), protocol.CodeInvalid, protocol.DetailGroupFull)
		wantIDs(t, "member rows", h.members(t, g.ID), 1, 2, 3, 4, 5)
		quiet(t, "a member", plain)
		quiet(t, "an outsider", outsider)

		// A member granted can_add_new_participants may add.
		act(t, a, protocol.EventRoomModify, modify(g.ID, "update", map[string]any{"max_participants": 10}))
		act(t, a, protocol.EventRoomModify, modify(g.ID, "add_permission", map[string]any{"users": []int64{3}, "permissions": []string{"can_add_new_participants"}}))
		settle(t, a, plain, granted, d1, d2, e)
		added := decode[map[string]any](t, act(t, granted, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{6})))
		if added["added_by"] != "user3" {
			t.Fatalf("roomaddmembers = %v", added)
		}
		only(t, "the former outsider", outsider, protocol.DispatchRoomAddMembers)

		// Bad input.
		wantCode(t, refuse(t, a, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{})), protocol.CodeInvalid)
		wantCode(t, refuse(t, a, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{-1})), protocol.CodeInvalid)
		wantCode(t, refuse(t, a, protocol.EventRoomAddMembers, roomData(g.ID)), protocol.CodeInvalid)
	}, rtchat.WithUserLookup(namedUsers))
}

func TestAddMembersCapsAndRoomTypes(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		ch := createRoom(t, a, map[string]any{"type": protocol.RoomChannel, "name": "c", "subscribers": []int64{2}, "extra_fields": map[string]any{"max_subscribers": 3}})
		dm := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		settle(t, a, b)
		wantError(t, refuse(t, a, protocol.EventRoomAddMembers, roomData(ch.ID, "members", []int64{3, 4})), protocol.CodeInvalid, protocol.DetailChannelFull)
		act(t, a, protocol.EventRoomAddMembers, roomData(ch.ID, "members", []int64{3}))
		wantError(t, refuse(t, a, protocol.EventRoomAddMembers, roomData(ch.ID, "members", []int64{4})), protocol.CodeInvalid, protocol.DetailChannelFull)
		wantIDs(t, "channel rows", h.members(t, ch.ID), 1, 2, 3)
		// A public channel's cap holds for joins too.
		act(t, a, protocol.EventRoomModify, modify(ch.ID, "update", map[string]any{"is_public": true}))
		wantError(t, refuse(t, h.dial(t, 4), protocol.EventRoomJoin, roomData(ch.ID)), protocol.CodeInvalid, protocol.DetailChannelFull)
		settle(t, a, b)

		for name, c := range map[string]*client.Client{"initiator": a, "other participant": b} {
			t.Run("1:1 "+name, func(t *testing.T) {
				wantError(t, refuse(t, c, protocol.EventRoomAddMembers, roomData(dm.ID, "members", []int64{3})), protocol.CodeInvalid, protocol.DetailOneToOneSize)
				wantError(t, refuse(t, c, protocol.EventRoomRemoveMembers, roomData(dm.ID, "members", []int64{1})), protocol.CodeInvalid, protocol.DetailOneToOneSize)
			})
		}
		wantIDs(t, "1:1 rows", h.members(t, dm.ID), 1, 2)
		quiet(t, "the initiator", a)
		quiet(t, "the other participant", b)
	})
}

func TestRemoveMembers(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		creator, admin, granted, other, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 5), h.dial(t, 9)
		v1, v2 := h.dial(t, 4), h.dial(t, 4)
		g := createRoom(t, creator, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2, 3, 4, 5}})
		act(t, creator, protocol.EventRoomModify, modify(g.ID, "add_admin", map[string]any{"users": []int64{2}}))
		act(t, creator, protocol.EventRoomModify, modify(g.ID, "add_permission", map[string]any{"users": []int64{3}, "permissions": []string{"can_remove_participants"}}))
		all := map[string]*client.Client{"the creator": creator, "the admin": admin, "the granted member": granted, "another member": other, "the victim": v1, "the victim's other connection": v2, "an outsider": outsider}
		settle(t, creator, admin, granted, other, v1, v2, outsider)

		// Refusals change nothing and broadcast nothing.
		for name, tc := range map[string]struct {
			c       *client.Client
			members []int64
			code    int
			detail  string
		}{
			"a plain member":                     {other, []int64{4}, protocol.CodePermissionDenied, protocol.DetailPermissionDenied},
			"an outsider":                        {outsider, []int64{4}, protocol.CodePermissionDenied, protocol.DetailPermissionDenied},
			"the admin removing the creator":     {admin, []int64{4, 1}, protocol.CodePermissionDenied, "The creator of a room cannot be removed or demoted by others."},
			"a granted member removing an admin": {granted, []int64{2}, protocol.CodePermissionDenied, "Only the creator can remove an admin or moderator."},
		} {
			t.Run(name, func(t *testing.T) {
				wantError(t, refuse(t, tc.c, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", tc.members)), tc.code, tc.detail)
				for n, c := range all {
					quiet(t, n, c)
				}
				wantIDs(t, "member rows", h.members(t, g.ID), 1, 2, 3, 4, 5)
			})
		}

		// The admin removes a member: the victim's connections get roomexit,
		// the rest roomremovemembers.
		f := act(t, admin, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", []int64{4, 77}))
		if f.EventType != protocol.DispatchRoomRemoveMembers {
			t.Fatalf("room.remove_members answered %s", f.EventType)
		}
		for name, c := range map[string]*client.Client{"the victim": v1, "the victim's other connection": v2} {
			exit := only(t, name, c, protocol.DispatchRoomExit)
			if exit["message"] != "You have been removed by user2" || exit["room"].(map[string]any)["id"] != g.ID {
				t.Fatalf("%s got %v", name, exit)
			}
		}
		for name, c := range map[string]*client.Client{"the admin": admin, "the creator": creator, "the granted member": granted, "another member": other} {
			rm := only(t, name, c, protocol.DispatchRoomRemoveMembers)
			if joinStrings(strs(rm["removed_members"])) != "user4" || rm["removed_by"] != "user2" {
				t.Fatalf("%s got %v", name, rm)
			}
			wantIDs(t, "participants", userIDsOf(rm["room"].(map[string]any)["participants"]), 1, 2, 3, 5)
		}
		quiet(t, "an outsider", outsider)
		post(t, creator, g.ID, "after")
		quiet(t, "the victim", v1)
		quiet(t, "the victim's other connection", v2)

		// The granted member removes a plain member.
		settle(t, other)
		act(t, granted, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", []int64{5}))
		only(t, "the removed member", other, protocol.DispatchRoomExit)

		// Removing an admin drops the role: back in, they are a plain member.
		settle(t, creator, admin, granted, other, v1, v2)
		act(t, creator, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", []int64{2, 3}))
		only(t, "the removed admin", admin, protocol.DispatchRoomExit)
		back := decode[map[string]any](t, act(t, creator, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{2, 3})))
		wantIDs(t, "admins", userIDsOf(back["room"].(map[string]any)["admins"]), 1)
		if n := h.count(t, "rtchat_members", "room_id = ? AND user_id = ? AND can_remove_participants = ?", g.ID, 3, true); n != 0 {
			t.Fatal("removal kept the grant")
		}
		settle(t, creator, admin, granted)
		wantCode(t, refuse(t, admin, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", []int64{3})), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, granted, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", []int64{2})), protocol.CodePermissionDenied)

		// Nobody to remove: the caller alone hears.
		none := decode[map[string]any](t, act(t, creator, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", []int64{77})))
		if len(strs(none["removed_members"])) != 0 {
			t.Fatalf("removing a non-member = %v", none)
		}
		only(t, "the caller", creator, protocol.DispatchRoomRemoveMembers)
		quiet(t, "a member", admin)
	}, rtchat.WithUserLookup(namedUsers))
}

// TestLiveMembership: the moment a user is added all their open
// connections receive the room; the moment they are removed, none does.
func TestLiveMembership(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		u1, u2 := h.dial(t, 2), h.dial(t, 2)
		for _, typ := range []string{protocol.RoomGroup, protocol.RoomChannel} {
			t.Run(typ, func(t *testing.T) {
				room := createRoom(t, a, map[string]any{"type": typ, "name": "live"})
				post(t, a, room.ID, "before")
				settle(t, a, u1, u2)
				act(t, a, protocol.EventRoomAddMembers, roomData(room.ID, "members", []int64{2}))
				post(t, a, room.ID, "while a member")
				for name, c := range map[string]*client.Client{"first": u1, "second": u2} {
					next(t, c, protocol.DispatchRoomAddMembers)
					if m := decode[wireMessage](t, next(t, c, protocol.DispatchMessage)); m.Content != "while a member" {
						t.Fatalf("%s connection got %+v", name, m)
					}
					quiet(t, name+" connection", c)
				}
				act(t, a, protocol.EventRoomRemoveMembers, roomData(room.ID, "members", []int64{2}))
				for name, c := range map[string]*client.Client{"first": u1, "second": u2} {
					only(t, name+" connection", c, protocol.DispatchRoomExit)
				}
				post(t, a, room.ID, "after")
				act(t, a, protocol.EventRoomModify, modify(room.ID, "update", map[string]any{"description": "changed"}))
				quiet(t, "first connection", u1)
				quiet(t, "second connection", u2)
				// A connection opened after the removal does not get the room either.
				late := h.dial(t, 2)
				post(t, a, room.ID, "later")
				quiet(t, "a new connection", late)
			})
		}
	})
}

// TestRemovalClearsNotifications: a member who leaves or is removed no
// longer waits for the room's notifications, so the next connect shows them
// nothing of the room.
func TestRemovalClearsNotifications(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		g := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2, 3, 4}})
		now := model.Now()
		msg := &model.Message{ID: uuid.NewString(), RoomID: g.ID, SenderID: 1, Content: "secret news", CreatedAt: now, UpdatedAt: now}
		if err := model.NewStore(h.db).InsertMessage(testCtx(t), model.NewMessage{Message: msg}); err != nil {
			t.Fatal(err)
		}
		pending := func(user int64) map[string]any {
			t.Helper()
			c, err := client.Dial(testCtx(t), h.url, client.WithToken(fmt.Sprint(user)))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			return decode[map[string]any](t, next(t, c, protocol.DispatchNotifications))
		}
		if got := pending(2); len(got[g.ID].([]any)) != 1 {
			t.Fatalf("user 2's notifications before = %v", got)
		}
		act(t, a, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", []int64{2}))
		act(t, h.dial(t, 3), protocol.EventRoomLeave, roomData(g.ID))
		for _, user := range []int64{2, 3} {
			if got := pending(user); len(got) != 0 {
				t.Fatalf("user %d left the room and still gets %v", user, got)
			}
		}
		if got := pending(4); len(got[g.ID].([]any)) != 1 {
			t.Fatalf("user 4, still a member, gets %v", got)
		}
		act(t, a, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", []int64{4}))
		if n := h.count(t, "rtchat_notifications", "room_id = ?", g.ID); n != 0 {
			t.Fatalf("%d notifications nobody waits for remain", n)
		}
	})
}

// TestSendReachesMembersOnly walks the send rules of the permission table
// and checks every connection: an allowed message reaches every member's
// connections, the sender's included, and nobody else; a refused one
// reaches nobody.
func TestSendReachesMembersOnly(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		creator, adm, granted, plain, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 4), h.dial(t, 5)
		plain2 := h.dial(t, 4)
		everyone := map[int64][]*client.Client{1: {creator}, 2: {adm}, 3: {granted}, 4: {plain, plain2}, 5: {outsider}}
		for _, tc := range []struct {
			name   string
			create map[string]any
			allow  map[int64]bool // sender -> allowed
		}{
			{"1:1", map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{4}}, map[int64]bool{1: true, 4: true, 5: false}},
			{"group", map[string]any{"type": protocol.RoomGroup, "participants": []int64{2, 3, 4}}, map[int64]bool{1: true, 2: true, 3: true, 4: true, 5: false}},
			{"locked group", map[string]any{"type": protocol.RoomGroup, "participants": []int64{2, 3, 4}, "extra_fields": map[string]any{"group_locked": true}}, map[int64]bool{1: true, 2: true, 3: false, 4: false, 5: false}},
			{"channel", map[string]any{"type": protocol.RoomChannel, "subscribers": []int64{2, 3, 4}, "extra_fields": map[string]any{"is_public": true}}, map[int64]bool{1: true, 2: true, 3: true, 4: false, 5: false}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.create["name"] = "room " + tc.name
				room := createRoom(t, creator, tc.create)
				members := map[int64]bool{1: true, 4: true}
				if tc.name != "1:1" {
					members[2], members[3] = true, true
					promote := "add_admin"
					grant := "can_add_new_participants"
					if tc.name == "channel" {
						promote, grant = "add_moderator", "can_send_messages"
					}
					act(t, creator, protocol.EventRoomModify, modify(room.ID, promote, map[string]any{"users": []int64{2}}))
					act(t, creator, protocol.EventRoomModify, modify(room.ID, "add_permission", map[string]any{"users": []int64{3}, "permissions": []string{grant}}))
				}
				for _, cs := range everyone {
					settle(t, cs...)
				}
				for sender, allowed := range tc.allow {
					content := fmt.Sprintf("from %d in %s", sender, tc.name)
					c := everyone[sender][0]
					if !allowed {
						wantCode(t, refuse(t, c, protocol.EventMessageSend, roomData(room.ID, "content", content)), protocol.CodePermissionDenied)
					} else {
						post(t, c, room.ID, content)
					}
					for user, cs := range everyone {
						for i, cl := range cs {
							name := fmt.Sprintf("user %d connection %d after %d sent", user, i+1, sender)
							if allowed && members[user] && !(user == sender && i == 0) {
								if m := decode[wireMessage](t, next(t, cl, protocol.DispatchMessage)); m.Content != content {
									t.Fatalf("%s: got %+v", name, m)
								}
							}
							quiet(t, name, cl)
						}
					}
				}
			})
		}
	})
}

// TestChannelSubscribersByGrants: in a channel the subscriber grants decide
// who adds and removes subscribers; every connection sees only its part.
func TestChannelSubscribersByGrants(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		owner, adder, remover, plain, newcomer, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3), h.dial(t, 4), h.dial(t, 6), h.dial(t, 9)
		ch := createRoom(t, owner, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2, 3, 4}})
		act(t, owner, protocol.EventRoomModify, modify(ch.ID, "add_permission", map[string]any{"users": []int64{2}, "permissions": []string{"can_add_new_subscribers"}}))
		act(t, owner, protocol.EventRoomModify, modify(ch.ID, "add_permission", map[string]any{"users": []int64{3}, "permissions": []string{"can_remove_subscribers"}}))
		settle(t, owner, adder, remover, plain, newcomer, outsider)

		// Each grant is for its own action.
		wantCode(t, refuse(t, remover, protocol.EventRoomAddMembers, roomData(ch.ID, "members", []int64{6})), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, adder, protocol.EventRoomRemoveMembers, roomData(ch.ID, "members", []int64{4})), protocol.CodePermissionDenied)
		wantCode(t, refuse(t, plain, protocol.EventRoomAddMembers, roomData(ch.ID, "members", []int64{6})), protocol.CodePermissionDenied)
		for name, c := range map[string]*client.Client{"the owner": owner, "the newcomer": newcomer, "a subscriber": plain} {
			quiet(t, name, c)
		}

		added := decode[map[string]any](t, act(t, adder, protocol.EventRoomAddMembers, roomData(ch.ID, "members", []int64{6})))
		wantIDs(t, "subscribers", userIDsOf(added["room"].(map[string]any)["subscribers"]), 1, 2, 3, 4, 6)
		for name, c := range map[string]*client.Client{"the owner": owner, "the adder": adder, "the remover": remover, "a subscriber": plain, "the newcomer": newcomer} {
			only(t, name, c, protocol.DispatchRoomAddMembers)
		}
		quiet(t, "an outsider", outsider)

		act(t, remover, protocol.EventRoomRemoveMembers, roomData(ch.ID, "members", []int64{4}))
		only(t, "the removed subscriber", plain, protocol.DispatchRoomExit)
		for name, c := range map[string]*client.Client{"the owner": owner, "the adder": adder, "the remover": remover, "the newcomer": newcomer} {
			rm := only(t, name, c, protocol.DispatchRoomRemoveMembers)
			wantIDs(t, "subscribers", userIDsOf(rm["room"].(map[string]any)["subscribers"]), 1, 2, 3, 6)
		}
		quiet(t, "an outsider", outsider)
		// The owner (the channel's creator) is never removed by others.
		wantError(t, refuse(t, remover, protocol.EventRoomRemoveMembers, roomData(ch.ID, "members", []int64{1})), protocol.CodePermissionDenied, "The creator of a room cannot be removed or demoted by others.")
		wantIDs(t, "member rows", h.members(t, ch.ID), 1, 2, 3, 6)
	})
}
