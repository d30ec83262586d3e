package exampletest

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// browserRestart: alice's page sends through the composer while the server
// stops (Chat.Close: 1001) and a new one starts on the same address and the
// same SQLite file; bob sends from Go before the stop and right after the
// start, while the page is still reconnecting. Once the page is online
// again it shows every message, alice's and bob's, exactly once and in seq
// order, and the database holds each of alice's once.
func browserRestart(t *testing.T, s *browserEnv) {
	alice := s.page("alice")
	alice.register()
	aliceID, bobID := s.userID("alice"), s.app.Register(t, "bob", password("bob")).ID
	room := s.oneToOne(bobID, aliceID)
	alice.openRoom("@bob")

	var fromAlice, fromBob []string
	pageSends := func(n int) {
		t.Helper()
		for range n {
			text := fmt.Sprintf("alice %d", len(fromAlice)+1)
			alice.send(text)
			fromAlice = append(fromAlice, text)
		}
	}
	bobSends := func(n int) {
		t.Helper()
		for range n {
			text := fmt.Sprintf("bob %d", len(fromBob)+1)
			s.say(bobID, room, text, nil)
			fromBob = append(fromBob, text)
		}
	}

	pageSends(3)
	bobSends(2)
	alice.waitMessage("bob", fromBob[len(fromBob)-1])

	// The stop comes right after a send, which may or may not have been
	// answered; the next one is typed while the server is down.
	pageSends(1)
	s.app.Stop(t)
	alice.waitStatus("reconnecting")
	pageSends(2)
	s.app.Start(t)
	bobSends(2) // before the page is back: it must catch up on these
	pageSends(1)
	alice.waitStatus("online")
	pageSends(1)
	bobSends(1)

	for _, text := range fromAlice {
		alice.waitMessage("alice", text)
	}
	for _, text := range fromBob {
		alice.waitMessage("bob", text)
	}
	var got []struct {
		Seq    string `json:"seq"`
		ID     string `json:"id"`
		Sender string `json:"sender"`
		Text   string `json:"text"`
	}
	alice.eval("list the messages", `return messages().map((li) => ({seq: li.dataset.seq, id: li.dataset.id,
		sender: text(own(li, ".sender")), text: text(own(li, ".text"))}));`, &got)
	want := len(fromAlice) + len(fromBob)
	if len(got) != want {
		t.Fatalf("the page shows %d messages, want %d: alice's %q and bob's %q; shown: %+v", len(got), want, fromAlice, fromBob, got)
	}
	seen := map[string]bool{}
	for i, m := range got {
		seq, err := strconv.Atoi(m.Seq)
		if err != nil || seq != i+1 {
			t.Fatalf("message %d of the page has seq %q, want %d (every seq once, in order): %+v", i, m.Seq, i+1, got)
		}
		mine := slices.Contains(fromAlice, m.Text) && m.Sender == "alice"
		bobs := slices.Contains(fromBob, m.Text) && m.Sender == "bob"
		if (!mine && !bobs) || seen[m.Text] {
			t.Fatalf("message seq %d is %q from %s: not one sent, or shown twice: %+v", seq, m.Text, m.Sender, got)
		}
		seen[m.Text] = true
	}

	var stored []struct {
		Content string `bun:"content"`
		N       int    `bun:"n"`
	}
	err := s.app.Server().App.DB().NewSelect().Table("rtchat_messages").
		ColumnExpr("content").ColumnExpr("count(*) AS n").
		Where("room_id = ?", room).Where("sender_id = ?", aliceID).
		Group("content").Order("content").Scan(s.ctx, &stored)
	if err != nil {
		t.Fatalf("count alice's messages in the database: %v", err)
	}
	if len(stored) != len(fromAlice) {
		t.Fatalf("the database holds %d distinct messages of alice, want %d: %+v", len(stored), len(fromAlice), stored)
	}
	for _, m := range stored {
		if m.N != 1 || !slices.Contains(fromAlice, m.Content) {
			t.Fatalf("the database holds %q of alice %d times, want one of %q once", m.Content, m.N, fromAlice)
		}
	}
}
