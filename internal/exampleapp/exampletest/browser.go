package exampletest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/browsertest"
	"github.com/rtchat/rtchat/protocol"
)

// The browser scenarios drive the example chat page (its DOM, as the page's
// contract names it) in headless Chromium. Each runs on an app of its own,
// on SQLite (the page does not depend on the database), in a browser of its
// own, within its budget.
var browserScenarios = []struct {
	name   string
	budget time.Duration
	run    func(t *testing.T, s *browserEnv)
}{
	{BrowserChat, 40 * time.Second, browserChat},
	{"a third user in a group sees presence change", 30 * time.Second, browserPresence},
	{"a reloaded page pages back through 200 messages", 30 * time.Second, browserHistory},
	{"the server restarts while the page sends", 40 * time.Second, browserRestart},
	{"markup and attachments show as text", 25 * time.Second, browserInert},
	{"the page is usable at phone width", 25 * time.Second, browserPhone},
}

// BrowserChat is the browser scenario of two users in a 1:1 (typing, read
// marks, a reaction, a reply, an edit, a delete, unread counts), which
// also writes the README's screenshot.
const BrowserChat = "two users chat in a 1:1 through the page"

// Browser runs the chat page's browser scenarios, or only those named in
// only, against apps built by build, each in headless Chromium
// (browsertest; it skips without Chromium, except under CI). Every page
// must request nothing from another host and throw no uncaught error.
func Browser(t *testing.T, build Build, only ...string) {
	browsertest.Chromium(t)
	for _, sc := range browserScenarios {
		if len(only) > 0 && !slices.Contains(only, sc.name) {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), sc.budget)
			t.Cleanup(cancel) // after the browser's own cleanup, which closes it gracefully
			app := StartRestartable(t, build, ConfigFor(t, "sqlite"))
			s := &browserEnv{t: t, ctx: ctx, app: app, browser: browsertest.Start(t, ctx)}
			sc.run(t, s)
		})
	}
}

// browserEnv is one browser scenario's app and browser.
type browserEnv struct {
	t *testing.T
	// ctx bounds the scenario: the browser is killed when it ends.
	ctx     context.Context
	app     *Restartable
	browser *browsertest.Browser
}

// page opens a tab for user name on the app's page. At the end of the
// scenario the test fails if the page requested anything from another host
// or threw an uncaught error.
func (s *browserEnv) page(name string) *chatPage {
	s.t.Helper()
	p := &chatPage{Page: s.browser.Page(s.t, name), t: s.t, name: name, url: s.app.URL}
	p.SetDescriber(jsDescribe)
	s.t.Cleanup(func() {
		if f := p.ForeignRequests(s.app.Addr()); len(f) > 0 {
			s.t.Errorf("browser %s requested from another host than %s: %q", name, s.app.Addr(), f)
		}
		if e := p.Errors(); len(e) > 0 {
			s.t.Errorf("browser %s: uncaught errors on the page:\n  %q", name, e)
		}
	})
	return p
}

// userID is the id of the registered user name, through POST /api/login.
func (s *browserEnv) userID(name string) int64 {
	s.t.Helper()
	return s.app.Login(s.t, name, password(name)).ID
}

// oneToOne creates a 1:1 of creator and peer from Go (Chat.CreateRoom), as
// creator's room.create would; it returns the room id.
func (s *browserEnv) oneToOne(creator, peer int64) string {
	s.t.Helper()
	r, err := s.app.Server().Chat.CreateRoom(s.ctx, creator, rtchat.RoomParams{
		Type: protocol.RoomOneToOne, Participants: []int64{peer}})
	if err != nil {
		s.t.Fatalf("create a 1:1 of users %d and %d: %v", creator, peer, err)
	}
	return r.ID
}

// say sends a message as user from Go (Chat.SendMessage, no rate limit).
func (s *browserEnv) say(user int64, room, content string, extra map[string]any) rtchat.SentMessage {
	s.t.Helper()
	m, err := s.app.Server().Chat.SendMessage(s.ctx, rtchat.MessageParams{
		RoomID: room, UserID: user, Content: content, ExtraFields: extra})
	if err != nil {
		s.t.Fatalf("user %d sends %q: %v", user, content, err)
	}
	return m
}

// password is the password the scenarios register name with.
func password(name string) string { return name + "-password" }
