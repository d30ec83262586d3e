package exampletest

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// historySize is how many messages the history scenario seeds.
const historySize = 200

// browserHistory: 200 messages seeded from Go (Chat.SendMessage); after a
// reload the page shows the latest ones, and scrolling to the top, then
// #load-older, pages back until every seq from 1 to 200 is shown once, in
// order.
func browserHistory(t *testing.T, s *browserEnv) {
	alice := s.page("alice")
	aliceID := s.app.Register(t, "alice", password("alice")).ID
	bobID := s.app.Register(t, "bob", password("bob")).ID
	alice.login()
	room := s.oneToOne(bobID, aliceID)
	for i := 1; i <= historySize; i++ {
		from := bobID
		if i%3 == 0 {
			from = aliceID
		}
		if m := s.say(from, room, fmt.Sprintf("history %d", i), nil); m.Seq != int64(i) {
			t.Fatalf("seeded message %d has seq %d", i, m.Seq)
		}
	}

	alice.Do("reload the page", chromedp.Reload())
	alice.waitSignedIn()
	alice.openRoom("@bob")
	alice.waitMessage("bob", fmt.Sprintf("history %d", historySize))
	var shown int
	alice.eval("count the messages", `return messages().length;`, &shown)
	if shown >= historySize {
		t.Fatalf("the page shows %d messages at once; the scenario needs a history longer than a page", shown)
	}

	// Scrolling to the top loads the previous page...
	alice.eval("scroll the messages to the top",
		`const m = document.querySelector("#messages"); m.scrollTop = 0; m.dispatchEvent(new Event("scroll")); return true;`, nil)
	alice.wait("scrolling to the top loaded older messages", `return messages().length > a;`, shown)

	// ... and so does #load-older, while there is older history.
	for range historySize {
		var state struct {
			Count int  `json:"count"`
			Older bool `json:"older"`
		}
		alice.eval("look for older history", `return {count: messages().length, older: visible(document.querySelector("#load-older"))};`, &state)
		if !state.Older {
			break
		}
		alice.click("load older messages", "#load-older")
		alice.wait("older messages are shown, or no more are there",
			`return messages().length > a || !visible(document.querySelector("#load-older"));`, state.Count)
	}

	var got []struct {
		Seq  string `json:"seq"`
		ID   string `json:"id"`
		Text string `json:"text"`
	}
	alice.eval("list the messages", `return messages().map((li) => ({seq: li.dataset.seq, id: li.dataset.id, text: text(own(li, ".text"))}));`, &got)
	if len(got) != historySize {
		t.Fatalf("the page shows %d messages after paging back, want %d", len(got), historySize)
	}
	ids := map[string]bool{}
	for i, m := range got {
		if want := fmt.Sprint(i + 1); m.Seq != want || m.Text != "history "+want || ids[m.ID] {
			t.Fatalf("message %d of the page is seq %s %q (id %s, seen before: %v), want seq %s %q once",
				i, m.Seq, m.Text, m.ID, ids[m.ID], want, "history "+want)
		}
		ids[m.ID] = true
	}
}
