package exampletest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ScreenshotEnv, set to 1, makes the 1:1 scenario write the README's
// screenshot (ScreenshotPath) besides the one in the test's artifacts.
const ScreenshotEnv = "RTCHAT_UPDATE_SCREENSHOT"

// shotWidth and shotHeight are the screenshot's viewport, in CSS pixels.
const shotWidth, shotHeight = 1000, 640

// ScreenshotPath is the README's screenshot of the page, relative to the
// repository's root.
const ScreenshotPath = "docs/screenshot.png"

// browserChat: alice and bob, each registered through the page's form, chat
// in a 1:1 alice creates through the page. bob sees the unread count of a
// room he has not opened, alice's typing, and reads; alice sees "seen by
// bob" and bob's 👍; bob's reply quotes alice; alice's edit reaches bob
// with its mark and history, her delete removes the message at bob's; a
// new message moves its room to the top of bob's list.
func browserChat(t *testing.T, s *browserEnv) {
	alice, bob := s.page("alice"), s.page("bob")
	bob.SetViewport(shotWidth, shotHeight) // the screenshot's
	alice.register()
	bob.register()
	bobID := s.userID("bob")
	carol := s.app.Register(t, "carol", password("carol"))
	carolRoom := s.oneToOne(carol.ID, bobID) // bob's other room, from Go
	bob.wait("bob's list shows @carol", `return !!room("@carol");`)

	alice.newRoom("OneToOneChat", "", "bob", "@bob")
	bob.wait("bob's list shows @alice", `return !!room("@alice");`)

	// A message to a room bob has not opened is unread there, and moves
	// the room to the top.
	const hello = "Hi bob! Lunch at noon?"
	alice.send(hello)
	helloID := alice.waitMessage("alice", hello)
	bob.wait("@alice is first in bob's list with 1 unread and the last message",
		`const li = room("@alice"); return $$("#rooms li.room")[0] === li &&
			text(li.querySelector(".room-unread")) === "1" && text(li.querySelector(".room-last")) === a;`, hello)

	// bob opens it: it is read, and alice sees so.
	bob.openRoom("@alice")
	bob.waitMessage("alice", hello)
	bob.wait("@alice has no unread count once open", `return text(room("@alice").querySelector(".room-unread")) === "";`)
	alice.wait("alice's message is seen by bob",
		`return text(document.querySelector(a + " .seen")) === "seen by bob";`, msgSel(helloID))

	// Typing: bob sees alice typing while she types.
	alice.typeText("Sure")
	bob.wait("bob sees alice typing", `return text(document.querySelector("#typing")) === "alice is typing…";`)
	const sure = "Sure, see you there"
	alice.send(", see you there")
	sureID := alice.waitMessage("alice", sure)
	bob.waitMessage("alice", sure)

	// A reply quotes its parent, at both.
	bob.click("bob replies to alice's first message", msgSel(helloID)+" button.act-reply")
	bob.wait("the reply banner shows", `return visible(document.querySelector("#replying"));`)
	const reply = "Great, I'll book a table"
	bob.send(reply)
	for _, p := range []*chatPage{alice, bob} {
		id := p.waitMessage("bob", reply)
		p.wait("bob's reply quotes alice's message",
			`const q = document.querySelector(a + " .quote"); return visible(q) &&
				text(q.querySelector(".sender")) === "alice" && text(q.querySelector(".text")) === b;`, msgSel(id), hello)
	}
	bob.wait("the reply banner is gone after the send", `return !visible(document.querySelector("#replying"));`)

	// bob's 👍 reaches alice.
	bob.click("bob opens the reactions of alice's message", msgSel(helloID)+" button.act-react")
	bob.click("bob picks 👍", `button.pick[data-reaction="👍"]`)
	alice.wait("alice sees 👍 1 on her message",
		`return text(document.querySelector(a + ' .reactions button.reaction[data-reaction="👍"]')) === "👍 1";`, msgSel(helloID))

	// alice edits her first message: bob sees the new text, marked, and
	// its history holds the old one.
	const edited = "Hi bob! Lunch at 12:30?"
	alice.click("alice edits her first message", msgSel(helloID)+" button.act-edit")
	alice.wait("the composer holds the message to edit",
		`return visible(document.querySelector("#editing")) && document.querySelector("#content").value === a;`, hello)
	alice.eval("select the composer's text, so the new text replaces it", `document.querySelector("#content").select(); return true;`, nil)
	alice.send(edited)
	bob.wait("bob sees the edited text with its mark",
		`const li = document.querySelector(a); return !!li && text(own(li, ".text")) === b && visible(li.querySelector(".edited"));`,
		msgSel(helloID), edited)
	alice.wait("alice's message is edited", `const li = document.querySelector(a); return !!li && text(own(li, ".text")) === b &&
		!!li.querySelector(".edited") && !visible(document.querySelector("#editing"));`, msgSel(helloID), edited)
	alice.click("alice opens the edit history", msgSel(helloID)+" .edited")
	alice.wait("the edit history lists the old text",
		`return visible(document.querySelector("#edit-history")) && $$("#edit-history li").some((li) => li.textContent.includes(a));`, hello)
	alice.Do("close the edit history", chromedp.KeyEvent(kb.Escape))

	// alice deletes her second message: it disappears at bob's.
	alice.click("alice deletes her second message", msgSel(sureID)+" button.act-delete")
	alice.eval("confirm the delete if the page asks",
		`const yes = document.querySelector("#confirm-yes"); if (visible(yes)) yes.click(); return true;`, nil)
	bob.wait("the deleted message is gone at bob's", `return !document.querySelector(a) && !messageOf("alice", b);`, msgSel(sureID), sure)
	alice.wait("the deleted message is gone at alice's", `return !document.querySelector(a);`, msgSel(sureID))

	// The typing line has expired meanwhile (alice's last key was seconds
	// ago).
	bob.wait("alice's typing line expired", `return text(document.querySelector("#typing")) === "";`)

	// carol's message moves @carol to the top of bob's list, unread; then
	// alice's moves @alice (open, so read) back up.
	const fromCarol = "Are you coming to the meeting?"
	s.say(carol.ID, carolRoom, fromCarol, nil)
	bob.wait("@carol is first in bob's list with 1 unread",
		`const li = room("@carol"); return $$("#rooms li.room")[0] === li &&
			text(li.querySelector(".room-unread")) === "1" && text(li.querySelector(".room-last")) === a;`, fromCarol)
	const last = "Booked, see you at 12:30"
	bob.send(last)
	alice.waitMessage("bob", last)
	bob.wait("@alice is first in bob's list again, read",
		`const li = room("@alice"); return $$("#rooms li.room")[0] === li && text(li.querySelector(".room-unread")) === "" &&
			text(li.querySelector(".room-last")) === a && text(room("@carol").querySelector(".room-unread")) === "1";`, last)
	bob.waitMessage("alice", edited)

	writeScreenshot(t, bob)
}

// writeScreenshot saves p's viewport in the test's artifacts and, with
// ScreenshotEnv=1, as the README's screenshot.
func writeScreenshot(t *testing.T, p *chatPage) {
	t.Helper()
	path := filepath.Join(t.ArtifactDir(), "page.png")
	p.Screenshot("screenshot", path)
	t.Logf("screenshot of the page: %s", path)
	if os.Getenv(ScreenshotEnv) != "1" {
		return
	}
	readme := filepath.Join(repoRoot(t), ScreenshotPath)
	p.Screenshot("the README's screenshot", readme)
	t.Logf("wrote %s", readme)
}

// repoRoot is the repository's root: the nearest directory up from the
// test's that holds go.mod.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
