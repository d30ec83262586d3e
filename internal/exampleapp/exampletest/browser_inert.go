package exampletest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"
)

// browserInert: bob's markup, an attachment's caption and its metadata
// show as text on alice's page, live and after a reload: no element is
// made from them and no handler in them runs.
func browserInert(t *testing.T, s *browserEnv) {
	alice := s.page("alice")
	alice.register()
	bobID := s.app.Register(t, "bob", password("bob")).ID
	room := s.oneToOne(bobID, s.userID("alice"))
	alice.openRoom("@bob")

	// The server drops the img (and its handler) and keeps <b>; the page
	// shows the text of what is left.
	const markup = `markup check <img src=x onerror="window.__pwned=1"> and <b>bold</b> end`
	sent := s.say(bobID, room, markup, nil)
	var m message
	if err := json.Unmarshal(sent.JSON, &m); err != nil {
		t.Fatal(err)
	}
	content := m.Content
	plain := htmlText(t, content)
	if !strings.Contains(plain, "bold") || strings.Contains(plain, "<") {
		t.Fatalf("the server turned %q into %q, whose text is %q", markup, content, plain)
	}

	// An attachment's caption (sanitised by the server) and metadata
	// (plain data, as sent) are text on the page too.
	media := map[string]any{"media_url": "https://cdn.example/cat.png", "media_type": "image", "mime_type": "image/png",
		"caption":  `<img src=x onerror="window.__pwned=2">see <b>this</b>`,
		"metadata": map[string]any{"alt": `<img src=x onerror="window.__pwned=3">`}}
	s.say(bobID, room, "pic", map[string]any{"media": []any{media}})

	check := func(when string) {
		t.Helper()
		alice.wait("the markup shows as text "+when,
			`return !!messageOf("bob", a);`, plain)
		alice.wait("the caption shows as text "+when, `const li = messageOf("bob", "pic");
			return !!li && li.textContent.includes("see this");`)
		var got struct {
			Pwned    string `json:"pwned"`
			Made     int    `json:"made"`
			Handlers int    `json:"handlers"`
			InText   int    `json:"inText"`
			Messages int    `json:"messages"`
		}
		alice.eval("inspect the messages "+when, `return {
			pwned: typeof window.__pwned,
			made: $$("#messages img, #messages b, #messages script, #messages iframe, #messages object").length,
			handlers: $$("#messages *").filter((el) => [...el.attributes].some((at) => at.name.startsWith("on"))).length,
			inText: messages().reduce((n, li) => n + (own(li, ".text")?.children.length ?? 0), 0),
			messages: messages().length,
		};`, &got)
		if got.Pwned != "undefined" || got.Made != 0 || got.Handlers != 0 || got.InText != 0 || got.Messages != 2 {
			t.Fatalf("browser alice %s: typeof window.__pwned is %q; the list has %d img, b, script, iframe or object, %d elements with handlers, %d elements in messages' text, in %d messages; want undefined, 0, 0, 0 in 2",
				when, got.Pwned, got.Made, got.Handlers, got.InText, got.Messages)
		}
	}
	check("live")

	alice.Do("reload the page", chromedp.Reload())
	alice.waitSignedIn()
	alice.openRoom("@bob")
	check("in the history")
}

// htmlText is the text of an HTML fragment: what its text nodes hold.
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
