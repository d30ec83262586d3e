package exampletest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/rtchat/rtchat/internal/browsertest"
)

// chatPage is one user's tab on the example chat page, driven through the
// page's DOM contract (ids and classes only, never its code).
type chatPage struct {
	*browsertest.Page
	t    testing.TB
	name string
	url  string // the app's base URL
}

// jsLib are the helpers the page predicates below use. A message's own
// .sender and .text are the ones outside its .quote.
const jsLib = `
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const visible = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
const text = (el) => el ? el.textContent.trim() : null;
const own = (li, cls) => $$(cls, li).find((el) => !el.closest(".quote")) || null;
const messages = () => $$("#messages li.message");
const messageOf = (sender, body) => messages().find((li) => text(own(li, ".sender")) === sender && text(own(li, ".text")) === body) || null;
const room = (name) => $$("#rooms li.room").find((li) => text(li.querySelector(".room-name")) === name) || null;
const member = (name) => $$("#members li.member").find((li) => text(li.querySelector(".member-name")) === name) || null;
`

// jsDescribe is what the page shows, printed when a step fails.
const jsDescribe = `(() => {` + jsLib + `
	const t = (sel) => text(document.querySelector(sel));
	return {
		url: location.href, status: t("#status"), me: t("#me"),
		authVisible: visible(document.querySelector("#auth")), chatVisible: visible(document.querySelector("#chat")),
		authError: t("#auth-error"), chatError: t("#chat-error"), newError: t("#new-error"),
		rooms: $$("#rooms li.room").map((li) => [li.dataset.roomId, text(li.querySelector(".room-name")),
			text(li.querySelector(".room-last")), text(li.querySelector(".room-unread")),
			li.querySelector(".presence") ? li.querySelector(".presence").dataset.online : null,
			li.classList.contains("active") ? "active" : ""].join(" | ")),
		title: t("#room-title"), typing: t("#typing"), replying: visible(document.querySelector("#replying")),
		editing: visible(document.querySelector("#editing")), content: document.querySelector("#content")?.value,
		loadOlder: visible(document.querySelector("#load-older")),
		messageCount: messages().length,
		messages: messages().slice(-25).map((li) => [li.dataset.seq, text(own(li, ".sender")), text(own(li, ".text")),
			li.querySelector(".edited") ? "(edited)" : "", li.querySelector(".quote") ? "quote: " + text(li.querySelector(".quote")) : "",
			$$("button.reaction", li).map(text).join(" "), text(li.querySelector(".seen")) || ""].join(" | ")),
		members: $$("#members li.member").map((li) => [text(li.querySelector(".member-name")), text(li.querySelector(".member-role")),
			li.querySelector(".presence")?.dataset.online].join(" | ")),
		editHistory: visible(document.querySelector("#edit-history")) ? $$("#edit-history li").map(text) : null,
	};
})()`

// wait polls body, a JavaScript function body with jsLib and args a, b, c in
// scope, until it returns a truthy value.
func (p *chatPage) wait(step, body string, args ...any) {
	p.t.Helper()
	p.Wait(step, "(a, b, c) => {"+jsLib+body+"\n}", args...)
}

// eval evaluates body, a JavaScript function body with jsLib in scope, and
// decodes its value into out.
func (p *chatPage) eval(step, body string, out any) {
	p.t.Helper()
	p.Eval(step, "(() => {"+jsLib+body+"\n})()", out)
}

// click waits until the element of the CSS selector sel exists and is
// enabled, and clicks it (el.click(), so that action buttons shown only on
// hover or focus are reachable too).
func (p *chatPage) click(step, sel string) {
	p.t.Helper()
	p.wait(step+": "+sel+" is there", `const el = document.querySelector(a); return !!el && !el.disabled;`, sel)
	p.eval(step, `document.querySelector(`+jsString(sel)+`).click(); return true;`, nil)
}

// open loads the page.
func (p *chatPage) open() {
	p.t.Helper()
	p.Do("open the page", chromedp.Navigate(p.url+"/"))
}

// register signs the user up through the page's form.
func (p *chatPage) register() { p.signIn("register") }

// login signs the user in through the page's form.
func (p *chatPage) login() { p.signIn("login") }

func (p *chatPage) signIn(button string) {
	p.t.Helper()
	p.open()
	p.Do(button+" "+p.name+" through the form",
		chromedp.WaitVisible(chromedp.ID("auth")),
		chromedp.SendKeys(chromedp.ID("username"), p.name),
		chromedp.SendKeys(chromedp.ID("password"), password(p.name)),
		chromedp.Click(chromedp.ID(button)),
		chromedp.WaitVisible(chromedp.ID("chat")))
	p.waitSignedIn()
}

// waitSignedIn waits until the chat shows the user and is online.
func (p *chatPage) waitSignedIn() {
	p.t.Helper()
	p.wait(p.name+" is signed in and online",
		`return visible(document.querySelector("#chat")) && !visible(document.querySelector("#auth")) &&
			text(document.querySelector("#me")) === a && text(document.querySelector("#status")) === "online";`, p.name)
}

// waitStatus waits until #status reads status.
func (p *chatPage) waitStatus(status string) {
	p.t.Helper()
	p.wait("#status is "+status, `return text(document.querySelector("#status")) === a;`, status)
}

// newRoom creates a room through #new-room-form: typ is OneToOneChat,
// GroupChat or Channel, members the usernames, comma separated. It waits
// until the new room is open under title.
func (p *chatPage) newRoom(typ, name, members, title string) {
	p.t.Helper()
	p.click("open the new room form", "#new-room")
	p.Do("fill in the new room form",
		chromedp.WaitVisible(chromedp.ID("new-room-form")),
		chromedp.SetValue(chromedp.ID("new-type"), typ),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("new-type").dispatchEvent(new Event("change", {bubbles: true}))`))
	if name != "" {
		p.Do("name the room", chromedp.SendKeys(chromedp.ID("new-name"), name))
	}
	p.Do("name the members", chromedp.SendKeys(chromedp.ID("new-members"), members))
	p.click("create the room", "#new-create")
	p.waitOpen(title)
}

// openRoom opens the listed room called title (.room-name) by clicking it.
func (p *chatPage) openRoom(title string) {
	p.t.Helper()
	p.wait("the room list shows "+title, `return !!room(a);`, title)
	p.eval("click "+title+" in the room list", `room(`+jsString(title)+`).click(); return true;`, nil)
	p.waitOpen(title)
}

// waitOpen waits until the room called title is the open one.
func (p *chatPage) waitOpen(title string) {
	p.t.Helper()
	p.wait(title+" is open",
		`const li = room(a); return text(document.querySelector("#room-title")) === a && !!li && li.classList.contains("active") &&
			visible(document.querySelector("#content"));`, title)
}

// send types text in the composer and presses Enter.
func (p *chatPage) send(text string) {
	p.t.Helper()
	p.typeText(text)
	p.pressEnter()
}

// pressEnter presses Enter in the composer as a keyboard does: one keyDown
// with its text, so that the page's preventDefault keeps the newline out.
// (chromedp's SendKeys sends a char event of its own, which inserts the
// newline whatever keydown did.)
func (p *chatPage) pressEnter() {
	p.t.Helper()
	enter := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter",
		WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Text: "\r", UnmodifiedText: "\r"}
	p.Do("press Enter in the composer", chromedp.Focus(chromedp.ID("content")),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, enter); err != nil {
				return err
			}
			up := enter
			up.Type, up.Text, up.UnmodifiedText = input.DispatchKeyEventTypeKeyUp, "", ""
			_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
			return err
		}))
}

// typeText types keys in the composer, as a user does.
func (p *chatPage) typeText(keys string) {
	p.t.Helper()
	p.Do(fmt.Sprintf("type %q in the composer", keys), chromedp.SendKeys(chromedp.ID("content"), keys))
}

// waitMessage waits until the open room shows a visible message of sender
// whose text is body, and returns its data-id.
func (p *chatPage) waitMessage(sender, body string) string {
	p.t.Helper()
	step := fmt.Sprintf("the page shows %q from %s", body, sender)
	p.wait(step, `return visible(messageOf(a, b));`, sender, body)
	var id string
	p.eval(step, `return messageOf(`+jsString(sender)+`, `+jsString(body)+`).dataset.id;`, &id)
	if id == "" {
		p.t.Fatalf("browser %s: the message %q from %s has no data-id", p.name, body, sender)
	}
	return id
}

// msgSel is the CSS selector of the message with data-id id.
func msgSel(id string) string { return `#messages li.message[data-id="` + id + `"]` }

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
