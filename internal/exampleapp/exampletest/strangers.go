package exampletest

import (
	"reflect"
	"testing"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// testStrangers checks the example's permission rule (exampleapp.Permissions):
// a 1:1 opens with anyone, but a group or channel takes only users who
// already share a room with whoever adds them, or who asked to join; a
// stranger is answered exactly as an id nobody has; and users who share only
// a channel do not see each other's presence.
func testStrangers(t *testing.T, e *Env) {
	ctx := testCtx(t)
	ann := e.Register(t, "ann", "ann-password")
	bob := e.Register(t, "bob", "bob-password")
	cat := e.Register(t, "cat", "cat-password")
	dan := e.Register(t, "dan", "dan-password")
	a := e.Dial(t, e.WS, client.WithToken(ann.Token))
	c := e.Dial(t, e.WS, client.WithToken(cat.Token))
	d := e.Dial(t, e.WS, client.WithToken(dan.Token))

	// A stranger and an unknown id answer alike.
	group := func(ids ...int64) (*protocol.Error, error) {
		_, err := a.Request(ctx, protocol.EventRoomCreate, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": ids})
		pe, _ := protocol.AsError(err)
		return pe, err
	}
	stranger, err := group(bob.ID)
	WantCode(t, "a group with a stranger", err, protocol.CodeNotFound)
	unknown, err := group(dan.ID + 1000)
	WantCode(t, "a group with an unknown id", err, protocol.CodeNotFound)
	if !reflect.DeepEqual(stranger, unknown) {
		t.Fatalf("a stranger answered %+v, an unknown id %+v", stranger, unknown)
	}

	// After a 1:1, bob is no stranger.
	Request(t, a, protocol.EventRoomCreate, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{bob.ID}}, protocol.DispatchRoomCreate)
	f := Request(t, a, protocol.EventRoomCreate, map[string]any{
		"type": protocol.RoomGroup, "name": "club", "participants": []int64{bob.ID},
		"extra_fields": map[string]any{"join_approval_required": true},
	}, protocol.DispatchRoomCreate)
	club := decode[roomDetail](t, f).ID

	// cat asks to join, so ann may add her; dan did not ask.
	_, err = a.Request(ctx, protocol.EventRoomAddMembers, map[string]any{"room_id": club, "members": []int64{cat.ID}})
	WantCode(t, "adding cat before she asked", err, protocol.CodeNotFound)
	Request(t, c, protocol.EventRoomJoin, map[string]any{"room_id": club}, protocol.DispatchRoomJoinRequest)
	Request(t, a, protocol.EventRoomAddMembers, map[string]any{"room_id": club, "members": []int64{cat.ID}}, protocol.DispatchRoomAddMembers)
	_, err = a.Request(ctx, protocol.EventRoomAddMembers, map[string]any{"room_id": club, "members": []int64{dan.ID}})
	WantCode(t, "adding dan, a stranger", err, protocol.CodeNotFound)

	// dan joins ann's public channel: he shares it with her, but sees no
	// presence through it.
	f = Request(t, a, protocol.EventRoomCreate, map[string]any{
		"type": protocol.RoomChannel, "name": "news", "extra_fields": map[string]any{"is_public": true},
	}, protocol.DispatchRoomCreate)
	news := decode[roomDetail](t, f).ID
	Request(t, d, protocol.EventRoomJoin, map[string]any{"room_id": news}, protocol.DispatchRoomAddMembers)
	f = Request(t, d, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{ann.ID}}, protocol.DispatchPresence)
	p := decode[presenceAnswer](t, f)
	if len(p.Users) != 0 {
		t.Fatalf("dan, sharing only a channel with ann, got her presence %+v", p)
	}
	f = Request(t, c, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{ann.ID}}, protocol.DispatchPresence)
	if p = decode[presenceAnswer](t, f); len(p.Users) != 1 || p.Users[0].UserID != ann.ID {
		t.Fatalf("cat, in ann's group, got presence %+v, want ann's", p)
	}
}

// presenceAnswer is presence.dispatch, as far as testStrangers reads it.
type presenceAnswer struct {
	Users []struct {
		UserID int64 `json:"user_id"`
	} `json:"users"`
}
