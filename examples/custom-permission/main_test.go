package main

import (
	"reflect"
	"testing"

	"go.uber.org/goleak"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/exampleapp/exampletest"
	"github.com/rtchat/rtchat/protocol"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestExample runs the examples' scenarios against this app: with no
// archived room it behaves as echoexample.
func TestExample(t *testing.T) {
	exampletest.Run(t, build(nil), exampletest.ScenarioStrangers) // its rules are its own
}

func TestParseVIPs(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
	}{
		{"unset", "", nil},
		{"one name", "vera", []string{"vera"}},
		{"blanks and empty entries are skipped", " vera , ,walt,", []string{"vera", "walt"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseVIPs(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseVIPs(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// people are the users of one archived-room test: ann creates the rooms
// (an admin, not a VIP), bob is a plain member, vera a member who is a VIP,
// cat and dan are added and removed.
type people struct {
	ann, bob, vera, cat, dan exampletest.Session
	a, b, v, c               *client.Client
}

func meet(t *testing.T, e *exampletest.Env) people {
	var p people
	p.ann = e.Register(t, "ann", "ann-password")
	p.bob = e.Register(t, "bob", "bob-password")
	p.vera = e.Register(t, "vera", "vera-password")
	p.cat = e.Register(t, "cat", "cat-password")
	p.dan = e.Register(t, "dan", "dan-password")
	p.a = e.Dial(t, e.WS, client.WithToken(p.ann.Token))
	p.b = e.Dial(t, e.WS, client.WithToken(p.bob.Token))
	p.v = e.Dial(t, e.WS, client.WithToken(p.vera.Token))
	p.c = e.Dial(t, e.WS, client.WithToken(p.cat.Token))
	return p
}

// eachDB runs fn on a fresh app with vera as the VIP, on SQLite and on
// Postgres (RTCHAT_TEST_POSTGRES; skipped without it outside CI).
func eachDB(t *testing.T, fn func(t *testing.T, e *exampletest.Env)) {
	exampletest.Each(t, build([]string{"vera"}), fn)
}

type message struct {
	ID      string `json:"id"`
	Content string `json:"content"`
	Seq     int64  `json:"seq"`
}

func archive(t *testing.T, c *client.Client, room string, archived bool) {
	t.Helper()
	f := exampletest.Request(t, c, protocol.EventRoomModify, map[string]any{
		"room_id": room, "action": "update",
		"data": map[string]any{"property": map[string]any{"preferences": map[string]any{"archived": archived}}},
	}, protocol.DispatchRoomUpdate)
	got, err := client.Decode[struct {
		Property struct {
			Preferences map[string]any `json:"preferences"`
		} `json:"property"`
	}](f)
	if err != nil || got.Property.Preferences["archived"] != archived {
		t.Fatalf("room.modify archived=%v answered %s (%v)", archived, f.Data, err)
	}
}

func send(t *testing.T, c *client.Client, room, content string) message {
	t.Helper()
	f, err := c.SendMessage(exampletest.Ctx(t), room, content)
	if err != nil {
		t.Fatalf("send %q: %v", content, err)
	}
	m, err := client.Decode[message](f)
	if err != nil || m.Content != content {
		t.Fatalf("send %q answered %s (%v)", content, f.Data, err)
	}
	return m
}

func members(room string, ids ...int64) map[string]any {
	return map[string]any{"room_id": room, "members": ids}
}

// TestArchivedRoom follows one group from normal to archived: the default
// rules first, then sends refused but to the VIP, who also manages the
// members, while reading still works for everyone in the room.
func TestArchivedRoom(t *testing.T) {
	eachDB(t, func(t *testing.T, e *exampletest.Env) {
		ctx := exampletest.Ctx(t)
		p := meet(t, e)
		room := exampletest.CreateGroup(t, p.a, "team", nil, []int64{p.bob.ID, p.vera.ID}, p.b, p.v)

		// Not archived: the default rules, for the VIP too.
		hello := send(t, p.b, room, "hello from bob")
		_, err := p.v.Request(ctx, protocol.EventRoomAddMembers, members(room, p.cat.ID))
		exampletest.WantCode(t, "vera adds cat to a room that is not archived", err, protocol.CodePermissionDenied)

		archive(t, p.a, room, true)

		_, err = p.b.Request(ctx, protocol.EventMessageSend, map[string]any{"room_id": room, "content": "still here?"})
		exampletest.WantCode(t, "bob sends in the archived room", err, protocol.CodePermissionDenied)
		_, err = p.b.Request(ctx, protocol.EventMessageTyping, map[string]any{"room_id": room})
		exampletest.WantCode(t, "bob types in the archived room", err, protocol.CodePermissionDenied)
		_, err = p.a.Request(ctx, protocol.EventMessageSend, map[string]any{"room_id": room, "content": "the admin is no VIP"})
		exampletest.WantCode(t, "ann, an admin but no VIP, sends in the archived room", err, protocol.CodePermissionDenied)
		_, err = p.c.Request(ctx, protocol.EventMessageSend, map[string]any{"room_id": room, "content": "an outsider"})
		exampletest.WantCode(t, "cat, an outsider, sends in the archived room", err, protocol.CodePermissionDenied)

		fromVera := send(t, p.v, room, "vera may")
		if fromVera.Seq != hello.Seq+1 {
			t.Fatalf("vera's message has seq %d, want %d: the refused sends stored nothing", fromVera.Seq, hello.Seq+1)
		}
		exampletest.Request(t, p.v, protocol.EventMessageTyping, map[string]any{"room_id": room}, protocol.DispatchTyping)

		// Reading still works for the members.
		exampletest.Request(t, p.b, protocol.EventRoomInfo, map[string]any{"room_id": room}, protocol.DispatchRoomInfo)
		f := exampletest.Request(t, p.b, protocol.EventRoomMessages, map[string]any{"room_id": room}, protocol.DispatchRoomMessages)
		h, err := client.Decode[struct {
			Data struct {
				Messages []message `json:"messages"`
			} `json:"data"`
		}](f)
		if err != nil || len(h.Data.Messages) != 2 || h.Data.Messages[0].ID != fromVera.ID || h.Data.Messages[1].ID != hello.ID {
			t.Fatalf("bob's room.messages = %s (%v), want vera's then bob's message", f.Data, err)
		}
		_, err = p.c.Request(ctx, protocol.EventRoomInfo, map[string]any{"room_id": room})
		exampletest.WantCode(t, "cat, an outsider, asks room.info", err, protocol.CodePermissionDenied)

		// The VIP manages the members; a plain member does not.
		_, err = p.b.Request(ctx, protocol.EventRoomAddMembers, members(room, p.dan.ID))
		exampletest.WantCode(t, "bob adds dan to the archived room", err, protocol.CodePermissionDenied)
		exampletest.Request(t, p.v, protocol.EventRoomAddMembers, members(room, p.cat.ID), protocol.DispatchRoomAddMembers)
		if _, err := p.c.Next(ctx, protocol.DispatchRoomAddMembers); err != nil {
			t.Fatalf("cat waiting to be added: %v", err)
		}
		exampletest.Request(t, p.c, protocol.EventRoomInfo, map[string]any{"room_id": room}, protocol.DispatchRoomInfo)
		_, err = p.b.Request(ctx, protocol.EventRoomRemoveMembers, members(room, p.cat.ID))
		exampletest.WantCode(t, "bob removes cat from the archived room", err, protocol.CodePermissionDenied)
		_, err = p.v.Request(ctx, protocol.EventRoomRemoveMembers, members(room, p.ann.ID))
		exampletest.WantCode(t, "vera removes ann, the creator", err, protocol.CodePermissionDenied)
		_, err = p.v.Request(ctx, protocol.EventRoomModify, map[string]any{"room_id": room, "action": "delete"})
		exampletest.WantCode(t, "vera deletes the room", err, protocol.CodePermissionDenied)
		exampletest.Request(t, p.v, protocol.EventRoomRemoveMembers, members(room, p.cat.ID), protocol.DispatchRoomRemoveMembers)
		if _, err := p.c.Next(ctx, protocol.DispatchRoomExit); err != nil {
			t.Fatalf("cat waiting to be removed: %v", err)
		}
		_, err = p.c.Request(ctx, protocol.EventRoomInfo, map[string]any{"room_id": room})
		exampletest.WantCode(t, "cat, removed, asks room.info", err, protocol.CodePermissionDenied)

		// The admin un-archives the room: bob sends again.
		archive(t, p.a, room, false)
		if m := send(t, p.b, room, "back"); m.Seq != fromVera.Seq+1 {
			t.Fatalf("bob's message after un-archiving has seq %d, want %d", m.Seq, fromVera.Seq+1)
		}
	})
}

// TestCreatedArchived: a room created with archived preferences refuses
// sends from its first message, and a VIP who is not a member of it gets
// nothing from being a VIP.
func TestCreatedArchived(t *testing.T) {
	eachDB(t, func(t *testing.T, e *exampletest.Env) {
		ctx := exampletest.Ctx(t)
		p := meet(t, e)
		room := exampletest.CreateGroup(t, p.a, "archive", map[string]any{"archived": true}, []int64{p.bob.ID}, p.b)
		_, err := p.b.Request(ctx, protocol.EventMessageSend, map[string]any{"room_id": room, "content": "hi"})
		exampletest.WantCode(t, "bob sends in a room created archived", err, protocol.CodePermissionDenied)
		_, err = p.v.Request(ctx, protocol.EventMessageSend, map[string]any{"room_id": room, "content": "hi"})
		exampletest.WantCode(t, "vera, a VIP outside the room, sends", err, protocol.CodePermissionDenied)
		_, err = p.v.Request(ctx, protocol.EventRoomAddMembers, members(room, p.vera.ID))
		exampletest.WantCode(t, "vera, a VIP outside the room, adds herself", err, protocol.CodePermissionDenied)
	})
}

// TestBuiltinEvents: in a room that is not archived the built-in events
// work as in echoexample: send, history, reaction.
func TestBuiltinEvents(t *testing.T) {
	eachDB(t, exampletest.BuiltinEvents)
}
