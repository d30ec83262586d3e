package exampletest

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// browserPresence: alice creates a group with bob and carol through the
// page (after 1:1s with each, from Go, as the example's rule wants); carol's
// members panel and alice's room list show bob offline once he has left the
// page, and online again when he comes back (signed in by the cookie).
func browserPresence(t *testing.T, s *browserEnv) {
	alice, bob, carol := s.page("alice"), s.page("bob"), s.page("carol")
	alice.register()
	bob.register()
	carol.register()
	aliceID := s.userID("alice")
	s.oneToOne(aliceID, s.userID("bob"))
	s.oneToOne(aliceID, s.userID("carol"))
	alice.wait("alice's list shows @bob and @carol", `return !!room("@bob") && !!room("@carol");`)

	const group = "Weekend trip"
	alice.newRoom("GroupChat", group, "bob, carol", group)
	carol.openRoom(group)
	carol.click("carol opens the members panel", "#members-toggle")
	bobIs := func(p *chatPage, online string) {
		t.Helper()
		p.wait("carol's members panel lists alice (creator), bob and carol, bob "+map[string]string{"true": "online", "false": "offline"}[online],
			`const bm = member("bob"); return visible(document.querySelector("#members")) && !!member("alice") && !!member("carol") && !!bm &&
				text(member("alice").querySelector(".member-role")) === "creator" &&
				bm.querySelector(".presence")?.dataset.online === a;`, online)
	}
	dotIs := func(online string) {
		t.Helper()
		alice.wait("the presence dot of @bob in alice's list is "+online,
			`return room("@bob").querySelector(".presence")?.dataset.online === a;`, online)
	}
	bobIs(carol, "true")
	dotIs("true")

	// The page closes its connection when it is left, though the browser
	// may keep it in the back-forward cache.
	bob.Do("bob leaves the page", chromedp.Navigate("about:blank"))
	bobIs(carol, "false")
	dotIs("false")

	bob.open()
	bob.waitSignedIn() // from the cookie
	bobIs(carol, "true")
	dotIs("true")
}
