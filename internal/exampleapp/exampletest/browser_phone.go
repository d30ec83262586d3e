package exampletest

import (
	"testing"
)

// phoneWidth and phoneHeight are the phone-width scenario's viewport, in CSS
// pixels.
const phoneWidth, phoneHeight = 375, 740

// browserPhone: at 375x740 nothing is wider than the screen; a room opened
// from the room list takes the screen, a message can be sent, and the
// room-list toggle (#rooms-toggle) brings the list back.
func browserPhone(t *testing.T, s *browserEnv) {
	alice := s.page("alice")
	alice.SetViewport(phoneWidth, phoneHeight)
	alice.register()
	bobID := s.app.Register(t, "bob", password("bob")).ID
	room := s.oneToOne(bobID, s.userID("alice"))
	s.say(bobID, room, "hi alice, on your phone?", nil)

	const inView = `const inView = (el) => { if (!visible(el)) return false; const r = el.getBoundingClientRect();
		return r.left >= 0 && r.right <= innerWidth + 1 && r.top >= 0 && r.bottom <= innerHeight + 1; };`
	alice.wait("no horizontal scrolling", `return document.documentElement.scrollWidth <= innerWidth;`)
	alice.eval("open the room list if it is hidden", `if (!visible(room("@bob"))) document.querySelector("#rooms-toggle").click(); return true;`, nil)
	alice.wait("the room list is on the screen", inView+`return inView(room("@bob"));`)
	alice.openRoom("@bob")
	alice.wait("the room takes the screen: the list is hidden, the composer and the send button are on it",
		inView+`return !visible(document.querySelector("#rooms")) && inView(document.querySelector("#content")) &&
			inView(document.querySelector("#send-button")) && inView(document.querySelector("#room-title"));`)
	alice.waitMessage("bob", "hi alice, on your phone?")
	const reply = "yes, from the phone"
	alice.send(reply)
	alice.waitMessage("alice", reply)
	alice.wait("the new message is on the screen", inView+`return inView(messageOf("alice", a));`, reply)
	alice.wait("still no horizontal scrolling", `return document.documentElement.scrollWidth <= innerWidth;`)

	alice.click("open the room list", "#rooms-toggle")
	alice.wait("the toggle brought the room list on the screen", inView+`return inView(room("@bob"));`)
}
