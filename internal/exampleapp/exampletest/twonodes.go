package exampletest

import (
	"testing"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/redistest"
	"github.com/rtchat/rtchat/protocol"
)

// TwoNodes runs two apps built by build on one Postgres database and one
// Redis (REDIS_URL is RTCHAT_TEST_REDIS), as README's "Running several
// nodes" describes, without sticky sessions: users registered on either
// node chat across them, and each sees the other online.
func TwoNodes(t *testing.T, build Build) {
	cfg := TestConfig()
	cfg.AllowedOrigins = nil
	cfg.DatabaseURL, cfg.RedisURL, cfg.RedisPrefix = dbtest.PostgresDSN(t), redistest.URL(t), redistest.Prefix(t)
	n1, n2 := StartConfig(t, build, cfg), StartConfig(t, build, cfg)
	ctx := testCtx(t)
	alice := n1.Register(t, "alice", "alice-password")
	bob := n2.Register(t, "bob", "bob-password")
	// A token from one node is good on the other: they share JWT_SECRET.
	a := n1.Dial(t, n1.WS, client.WithToken(alice.Token))
	b := n2.Dial(t, n2.WS, client.WithToken(bob.Token))

	f, err := a.Request(ctx, protocol.EventRoomCreate, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{bob.ID}})
	if err != nil {
		t.Fatalf("room.create on node 1: %v", err)
	}
	room := decode[roomDetail](t, f)
	if _, err := b.Next(ctx, protocol.DispatchRoomCreate); err != nil {
		t.Fatalf("bob on node 2 waiting for %s: %v", protocol.DispatchRoomCreate, err)
	}
	for i, turn := range []struct {
		from *client.Client
		to   *client.Client
		who  string
	}{{a, b, "bob"}, {b, a, "alice"}} {
		content := []string{"hello from node 1", "hello from node 2"}[i]
		if _, err := turn.from.SendMessage(ctx, room.ID, content); err != nil {
			t.Fatalf("send %q: %v", content, err)
		}
		turn.from.Drain(protocol.DispatchMessage) // its own copy
		if m := nextMessage(t, turn.to, turn.who); m.Content != content || m.Seq != int64(i+1) {
			t.Fatalf("%s got seq %d %q, want seq %d %q", turn.who, m.Seq, m.Content, i+1, content)
		}
	}
	// Presence spans the nodes: alice on node 1 sees bob on node 2 online.
	f, err = a.Request(ctx, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{bob.ID}})
	if err != nil {
		t.Fatalf("presence.query: %v", err)
	}
	users := decode[struct {
		Users []struct {
			UserID int64 `json:"user_id"`
			Online bool  `json:"online"`
		} `json:"users"`
	}](t, f).Users
	if len(users) != 1 || users[0].UserID != bob.ID || !users[0].Online {
		t.Fatalf("presence.query of bob from node 1 = %+v, want online", users)
	}
}
