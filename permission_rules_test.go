package rtchat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
)

// Each type below embeds DefaultPermissions and overrides one of the rules
// that used to live in the handlers; the tests run every scenario with the
// default handler and with the override, over real sockets, and see the
// outcome change.

// replyAnywhere lets a reply quote any message the sender can read
// (CanAccessMessage has allowed the parent before CanReplyTo is asked).
type replyAnywhere struct{ rtchat.DefaultPermissions }

func (replyAnywhere) CanReplyTo(context.Context, rtchat.PermissionCheck) error { return nil }

// unprotectedCreator protects no creator: an admin removes or demotes the
// creator like any member. Admins stay protected from the other members.
type unprotectedCreator struct{ rtchat.DefaultPermissions }

func (p unprotectedCreator) CanChangeMember(ctx context.Context, c rtchat.PermissionCheck, target *model.Member) error {
	if c.Room.CreatorID != nil && *c.Room.CreatorID == target.UserID {
		return nil
	}
	return p.DefaultPermissions.CanChangeMember(ctx, c, target)
}

// detailCreatorStays is what creatorStays answers.
const detailCreatorStays = "The creator deletes the room instead of leaving it."

// creatorStays keeps the creator of a group or channel in it: they delete
// the room instead.
type creatorStays struct{ rtchat.DefaultPermissions }

func (p creatorStays) CanLeave(ctx context.Context, c rtchat.PermissionCheck) error {
	if c.IsCreator() {
		return &rtchat.Error{Code: protocol.CodePermissionDenied, Detail: detailCreatorStays}
	}
	return p.DefaultPermissions.CanLeave(ctx, c)
}

// grantedReviewers tells join requests to the members granted
// can_add_new_participants too, who may approve them.
type grantedReviewers struct{ rtchat.DefaultPermissions }

func (p grantedReviewers) CanReviewJoin(ctx context.Context, c rtchat.PermissionCheck) error {
	if c.Member != nil && c.Member.CanAddNewParticipants {
		return nil
	}
	return p.DefaultPermissions.CanReviewJoin(ctx, c)
}

var (
	_ rtchat.PermissionHandler = replyAnywhere{}
	_ rtchat.PermissionHandler = unprotectedCreator{}
	_ rtchat.PermissionHandler = creatorStays{}
	_ rtchat.PermissionHandler = grantedReviewers{}
)

// eachPerms runs fn under the default handler ("default", custom false) and
// under p ("custom", custom true), on every database.
func eachPerms(t *testing.T, p rtchat.PermissionHandler, fn func(t *testing.T, h *harness, custom bool)) {
	t.Helper()
	for _, custom := range []bool{false, true} {
		name, perms := "default", rtchat.PermissionHandler(rtchat.DefaultPermissions{})
		if custom {
			name, perms = "custom", p
		}
		t.Run(name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, h *harness) { fn(t, h, custom) }, rtchat.WithPermissionHandler(perms))
		})
	}
}

func TestPermissionRuleReplyAcrossRooms(t *testing.T) {
	eachPerms(t, replyAnywhere{}, func(t *testing.T, h *harness, custom bool) {
		a, b, c := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
		here := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "here", "participants": []int64{2}})
		there := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "there", "participants": []int64{3}})
		settle(t, a, b, c)
		q := post(t, c, there.ID, "question")
		settle(t, a, b, c)
		reply := func(sender int64) map[string]any {
			return map[string]any{"room_id": here.ID, "content": fmt.Sprint("re from ", sender), "extra_fields": map[string]any{"parent_message_id": q.ID}}
		}

		// Reading the parent is still required: user 2 cannot read "there".
		wantError(t, refuse(t, b, protocol.EventMessageSend, reply(2)), protocol.CodePermissionDenied, protocol.DetailPermissionDenied)

		if !custom {
			pe := refuse(t, a, protocol.EventMessageSend, reply(1))
			wantCode(t, pe, protocol.CodeInvalid)
			if d := fmt.Sprint(pe.Detail); !strings.Contains(d, "extra_fields.parent_message_id") || !strings.Contains(d, handler.DetailReplySameRoom) {
				t.Fatalf("detail = %s", d)
			}
			if n := h.count(t, "rtchat_messages", "room_id = ?", here.ID); n != 0 {
				t.Fatalf("%d messages stored in the reply's room", n)
			}
			return
		}
		r, _ := sendFull(t, a, reply(1))
		if r.Room.ID != here.ID || r.ParentMessage == nil || r.ParentMessage.ID != q.ID || r.ParentMessage.Content != "question" {
			t.Fatalf("reply = %+v", r)
		}
		if got := decode[fullMessage](t, next(t, b, protocol.DispatchMessage)); got.ID != r.ID || got.ParentMessage == nil || got.ParentMessage.ID != q.ID {
			t.Fatalf("the other member got %+v", got)
		}
	})
}

func TestPermissionRuleUnprotectedCreator(t *testing.T) {
	eachPerms(t, unprotectedCreator{}, func(t *testing.T, h *harness, custom bool) {
		a, b, c := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
		g := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "club", "participants": []int64{2, 3}})
		act(t, a, protocol.EventRoomModify, modify(g.ID, "add_admin", map[string]any{"users": []int64{2}}))
		settle(t, a, b, c)

		// The other rules are the default's: a plain member removes nobody,
		// and only the creator removes an admin.
		wantError(t, refuse(t, c, protocol.EventRoomRemoveMembers, roomData(g.ID, "members", []int64{2})), protocol.CodePermissionDenied, protocol.DetailPermissionDenied)

		demote := modify(g.ID, "remove_admin", map[string]any{"users": []int64{1}})
		remove := roomData(g.ID, "members", []int64{1})
		if !custom {
			wantError(t, refuse(t, b, protocol.EventRoomModify, demote), protocol.CodePermissionDenied, handler.DetailCreatorProtected)
			wantError(t, refuse(t, b, protocol.EventRoomRemoveMembers, remove), protocol.CodePermissionDenied, handler.DetailCreatorProtected)
			wantIDs(t, "member rows", h.members(t, g.ID), 1, 2, 3)
			return
		}
		act(t, b, protocol.EventRoomModify, demote)
		act(t, b, protocol.EventRoomRemoveMembers, remove)
		wantIDs(t, "member rows", h.members(t, g.ID), 2, 3)
		next(t, a, protocol.DispatchRoomExit)
	})
}

func TestPermissionRuleCreatorStays(t *testing.T) {
	eachPerms(t, creatorStays{}, func(t *testing.T, h *harness, custom bool) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		g := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "club", "participants": []int64{2, 3}})
		dm := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		settle(t, a, b)

		// A 1:1 is never left, whatever the handler: that is structural.
		wantError(t, refuse(t, b, protocol.EventRoomLeave, roomData(dm.ID)), protocol.CodeInvalid, protocol.DetailLeaveOnlyGroups)
		// A member who is not the creator leaves either way.
		act(t, b, protocol.EventRoomLeave, roomData(g.ID))
		wantIDs(t, "member rows", h.members(t, g.ID), 1, 3)

		if !custom {
			act(t, a, protocol.EventRoomLeave, roomData(g.ID))
			wantIDs(t, "member rows", h.members(t, g.ID), 3)
			return
		}
		wantError(t, refuse(t, a, protocol.EventRoomLeave, roomData(g.ID)), protocol.CodePermissionDenied, detailCreatorStays)
		wantIDs(t, "member rows", h.members(t, g.ID), 1, 3)
	})
}

func TestPermissionRuleJoinReviewers(t *testing.T) {
	eachPerms(t, grantedReviewers{}, func(t *testing.T, h *harness, custom bool) {
		creator, granted, plain, asker := h.dial(t, 1), h.dial(t, 2), h.dial(t, 4), h.dial(t, 3)
		g := createRoom(t, creator, map[string]any{"type": protocol.RoomGroup, "name": "club", "participants": []int64{2, 4},
			"extra_fields": map[string]any{"join_approval_required": true}})
		act(t, creator, protocol.EventRoomModify, modify(g.ID, "add_permission", map[string]any{"users": []int64{2}, "permissions": []string{"can_add_new_participants"}}))
		settle(t, creator, granted, plain, asker)

		act(t, asker, protocol.EventRoomJoin, roomData(g.ID))
		next(t, creator, protocol.DispatchRoomJoinRequest)
		quiet(t, "the creator", creator)
		quiet(t, "a plain member", plain)
		if !custom {
			quiet(t, "the granted member", granted)
			return
		}
		next(t, granted, protocol.DispatchRoomJoinRequest)
		quiet(t, "the granted member", granted)
		// The granted member approves by adding the user.
		act(t, granted, protocol.EventRoomAddMembers, roomData(g.ID, "members", []int64{3}))
		wantIDs(t, "member rows", h.members(t, g.ID), 1, 2, 3, 4)
	})
}
