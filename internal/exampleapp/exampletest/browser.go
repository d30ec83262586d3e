package exampletest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// ChromiumEnv names the Chromium binary the browser scenario drives. Without
// it the scenario skips, except under CI (CI set), where it fails.
const ChromiumEnv = "RTCHAT_TEST_CHROMIUM"

// browserBudget bounds the whole browser scenario, browser start included.
const browserBudget = 60 * time.Second

// Browser runs the example chat page in headless Chromium against an app
// built by build, on SQLite (the page does not depend on the database):
// alice registers and starts a 1:1 with bob through the page and sends him a
// message, which bob's Go client receives; bob's replies, one of them with
// markup, show up in the page as text; after a reload the page signs in from
// its cookie and shows the room's history. The page's screenshot is left in
// the test's artifact directory (go test -artifacts keeps it).
func Browser(tb testing.TB, build Build) {
	tb.Helper()
	chromium := chromiumPath(tb)
	e := Start(tb, build, "sqlite")

	bob := e.Register(tb, "bob", "bob-password")
	b := e.Dial(tb, e.WS, client.WithToken(bob.Token))

	// One deadline for everything: the browser is killed when it ends, and
	// every step (the Go client's too) ends a little before.
	budget, cancel := context.WithTimeout(context.Background(), browserBudget)
	tb.Cleanup(cancel)
	p := openBrowser(tb, budget, chromium)
	ctx := p.ctx

	// Register alice through the page's form.
	p.do("open the page and wait for the sign-in form",
		chromedp.Navigate(e.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("auth")))
	p.do("register alice through the form",
		chromedp.SendKeys(chromedp.ID("username"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), "alice-password"),
		chromedp.Click(chromedp.ID("register")),
		chromedp.WaitVisible(chromedp.ID("chat")))
	p.wait("the page's websocket is online", `() => document.getElementById("status").textContent === "online"`)

	// Start a 1:1 with bob through the page.
	p.do("start a chat with bob",
		chromedp.SendKeys(chromedp.CSS(`#new-direct input[name="username"]`), "bob"),
		chromedp.Click(chromedp.CSS(`#new-direct button`)),
		chromedp.WaitVisible(chromedp.ID("send")))
	p.wait("the room with bob is open and listed",
		`() => document.getElementById("room-title").textContent === "@bob" &&
			[...document.querySelectorAll("#rooms li.active")].some((li) => li.textContent === "@bob")`)

	// alice -> bob through the page.
	const fromAlice = "hello bob, this is alice in a browser"
	p.do("send a message through the page",
		chromedp.SendKeys(chromedp.CSS(`#send input[name="content"]`), fromAlice),
		chromedp.Click(chromedp.CSS(`#send button`)))
	p.waitMessage("alice", fromAlice)
	m := nextMessageBy(tb, ctx, b, "bob")
	if m.Content != fromAlice || m.Sender.Username != "alice" || m.Seq != 1 {
		tb.Fatalf("bob got %q from %+v with seq %d, want %q from alice with seq 1", m.Content, m.Sender, m.Seq, fromAlice)
	}
	room := m.Room.ID

	// bob -> alice: the page shows his reply.
	const reply = "hi alice, bob here (Go client)"
	if _, err := b.SendMessage(ctx, room, reply); err != nil {
		tb.Fatalf("bob sends %q: %v", reply, err)
	}
	p.waitMessage("bob", reply)

	// Markup from bob is text on the page: the server drops the img (and
	// its handler) and keeps <b>; the page shows what is left as plain text,
	// with no element made from the message.
	const markup = `markup check <img src=x onerror="window.__pwned=1"> and <b>bold</b> end`
	sent, err := b.SendMessage(ctx, room, markup)
	if err != nil {
		tb.Fatalf("bob sends markup: %v", err)
	}
	want := htmlText(tb, decode[message](tb, sent).Content)
	if !strings.Contains(want, "bold") || strings.Contains(want, "<") {
		tb.Fatalf("the server turned %q into %q, whose text is %q", markup, decode[message](tb, sent).Content, want)
	}
	p.waitMessage("bob", want)
	p.checkInert("after the live message")

	// An attachment's caption (sanitised by the server) and metadata (plain
	// data, as sent) are text on the page too.
	media := map[string]any{"media_url": "https://cdn.example/cat.png", "media_type": "image", "mime_type": "image/png",
		"caption":  `<img src=x onerror="window.__pwned=1">see <b>this</b>`,
		"metadata": map[string]any{"alt": `<img src=x onerror="window.__pwned=2">`}}
	if _, err := b.Request(ctx, protocol.EventMessageSend, map[string]any{"room_id": room, "content": "pic",
		"extra_fields": map[string]any{"media": []any{media}}}); err != nil {
		tb.Fatalf("bob sends an attachment: %v", err)
	}
	const withMedia = `pic [image: see this {"alt":"<img src=x onerror=\"window.__pwned=2\">"}]`
	p.waitMessage("bob", withMedia)
	p.checkInert("after the attachment")

	// Reload: the page signs in from its cookie, lists the room, and shows
	// its history (room.messages) the same way.
	p.do("reload the page and open the room with bob",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("chat")))
	p.wait("the page's websocket is online again", `() => document.getElementById("status").textContent === "online" &&
		document.getElementById("me").textContent.startsWith("alice ")`)
	p.do("open the room with bob from the list",
		chromedp.Click(chromedp.CSS(`#rooms li`)),
		chromedp.WaitVisible(chromedp.ID("send")))
	p.waitMessage("alice", fromAlice)
	p.waitMessage("bob", reply)
	p.waitMessage("bob", want)
	p.waitMessage("bob", withMedia)
	p.checkInert("after the history")

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatalf("browser: screenshot: %v", err)
	}
	path := filepath.Join(tb.ArtifactDir(), "page.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("screenshot of the page: %s", path)
}

// chromiumPath returns the Chromium binary of ChromiumEnv, or skips the test
// (fails it under CI) when there is none.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	name := os.Getenv(ChromiumEnv)
	why := ChromiumEnv + " is not set"
	if name != "" {
		path, err := exec.LookPath(name)
		if err == nil {
			return path
		}
		why = fmt.Sprintf("%s=%s: %v", ChromiumEnv, name, err)
	}
	msg := fmt.Sprintf("browser test: %s; install Chromium (apt-get install chromium) and set %s=/usr/bin/chromium", why, ChromiumEnv)
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s (under CI the browser test must run)", msg)
	}
	tb.Skip(msg)
	return ""
}

// page is the browser's one tab.
type page struct {
	tb testing.TB
	// ctx bounds the scenario's steps; it ends a little before the browser
	// is stopped, so a step that ran out of time can still report the page.
	ctx context.Context
	// tab is the tab's context, which lives until the browser is stopped.
	tab context.Context
}

// openBrowser starts headless Chromium with a fresh profile, bound to ctx:
// the browser is killed when ctx ends, and closed at the end of the test,
// before the app's server.
func openBrowser(tb testing.TB, ctx context.Context, chromium string) *page {
	tb.Helper()
	profile := tb.TempDir() // removed after the browser is closed
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1000, 640),
	)
	tab, tabCancel := chromedp.NewContext(allocCtx)
	tb.Cleanup(func() {
		// A graceful close lets Chromium end its own helper processes
		// before the profile is removed; allocCancel waits for the exit.
		if err := chromedp.Cancel(tab); err != nil {
			tb.Logf("browser: close: %v", err)
		}
		tabCancel()
		allocCancel()
	})
	// The first Run starts the browser (and ties it to tab).
	if err := chromedp.Do(tab); err != nil {
		tb.Fatalf("browser: start %s: %v", chromium, err)
	}
	p := &page{tb: tb, ctx: tab, tab: tab}
	if d, ok := ctx.Deadline(); ok {
		steps, cancel := context.WithDeadline(tab, d.Add(-5*time.Second))
		tb.Cleanup(cancel)
		p.ctx = steps
	}
	return p
}

// do runs steps in the tab, failing the test with the page's state when one
// fails.
func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.tb.Fatalf("browser: %s: %v\n%s", what, err, p.state())
	}
}

// wait polls the JavaScript function pred with args until it returns a
// truthy value.
func (p *page) wait(what, pred string, args ...any) {
	p.tb.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.PollFunction[chromedp.Void](pred,
		chromedp.WithPollingArgs(args...),
		chromedp.WithPollingInterval(25*time.Millisecond),
		chromedp.WithPollingTimeout(0))) // p.ctx bounds it
	if err != nil {
		p.tb.Fatalf("browser: waiting until %s: %v\n%s", what, err, p.state())
	}
}

// waitMessage waits until the message list shows a visible message from
// who whose text is exactly text.
func (p *page) waitMessage(who, text string) {
	p.tb.Helper()
	p.wait(fmt.Sprintf("the page shows %q from %s", text, who), `(who, text) =>
		[...document.querySelectorAll("#messages li")].some((li) =>
			li.children.length === 3 && li.children[0].textContent === who &&
			li.children[1].textContent === text && li.getClientRects().length > 0)`, who, text)
}

// checkInert checks that no message turned into markup: no element inside
// a message's text, no img anywhere in the list, and no handler ran.
func (p *page) checkInert(when string) {
	p.tb.Helper()
	type inert struct {
		Pwned    string `json:"pwned"`
		Imgs     int    `json:"imgs"`
		Elements int    `json:"elements"`
		Messages int    `json:"messages"`
	}
	got, err := chromedp.Run(p.ctx, chromedp.Evaluate[inert](`(() => {
		const items = [...document.querySelectorAll("#messages li")];
		return {
			pwned: typeof window.__pwned,
			imgs: document.querySelectorAll("#messages img").length,
			elements: items.reduce((n, li) => n + li.children[1].children.length, 0),
			messages: items.length,
		};
	})()`))
	if err != nil {
		p.tb.Fatalf("browser: inspect the messages %s: %v\n%s", when, err, p.state())
	}
	if got.Pwned != "undefined" || got.Imgs != 0 || got.Elements != 0 || got.Messages == 0 {
		p.tb.Fatalf("browser: %s, typeof window.__pwned is %q, the list has %d img and %d elements in %d messages' text; want undefined, none, none\n%s",
			when, got.Pwned, got.Imgs, got.Elements, got.Messages, p.state())
	}
}

// state describes what the page shows, for failures.
func (p *page) state() string {
	ctx, cancel := context.WithTimeout(p.tab, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		url: location.href,
		status: document.getElementById("status").textContent,
		me: document.getElementById("me").textContent,
		authError: document.getElementById("auth-error").textContent,
		chatError: document.getElementById("chat-error").textContent,
		rooms: [...document.querySelectorAll("#rooms li")].map((li) => li.textContent),
		title: document.getElementById("room-title").textContent,
		messages: [...document.querySelectorAll("#messages li")].map((li) => li.textContent),
	}, null, 1)`))
	if err != nil {
		return fmt.Sprintf("(page state unavailable: %v)", err)
	}
	return "page state: " + s
}

// nextMessageBy returns the next message.dispatch of c before ctx ends.
func nextMessageBy(tb testing.TB, ctx context.Context, c *client.Client, who string) message {
	tb.Helper()
	f, err := c.Next(ctx, protocol.DispatchMessage)
	if err != nil {
		tb.Fatalf("%s waiting for %s: %v", who, protocol.DispatchMessage, err)
	}
	return decode[message](tb, f)
}

// htmlText is the text of an HTML fragment, as the page's plainText makes
// it from a message's sanitised content.
func htmlText(tb testing.TB, fragment string) string {
	tb.Helper()
	doc, err := html.Parse(strings.NewReader(fragment))
	if err != nil {
		tb.Fatalf("parse %q: %v", fragment, err)
	}
	var b strings.Builder
	for n := range doc.Descendants() {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
	}
	return b.String()
}
