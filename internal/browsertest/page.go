package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Page is one tab, in a browser context of its own: two pages are two
// users, who share no cookie and no storage.
type Page struct {
	tb   testing.TB
	name string
	tab  context.Context // lives until the browser is closed
	ctx  context.Context // bounds each step

	mu        sync.Mutex
	requests  []string
	errors    []string
	describer string
}

// Page opens a tab in a new browser context. name labels the page in
// failures ("alice").
func (b *Browser) Page(tb testing.TB, name string) *Page {
	tb.Helper()
	p := &Page{tb: tb, name: name}
	tab, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	tb.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		tb.Fatalf("browser: open a tab for %s: %v", name, err)
	}
	p.tab, p.ctx = tab, tab
	if !b.steps.IsZero() {
		steps, cancel := context.WithDeadline(tab, b.steps)
		tb.Cleanup(cancel)
		p.ctx = steps
	}
	return p
}

// listen records requests and errors. It runs on the tab's reading
// goroutine and must return fast.
func (p *Page) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request != nil {
			p.requests = append(p.requests, ev.Request.URL)
		}
	case *network.EventWebSocketCreated:
		p.requests = append(p.requests, ev.URL)
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		p.errors = append(p.errors, fmt.Sprintf("uncaught: %s (%s:%d)", msg, d.URL, d.LineNumber+1))
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			switch {
			case a.Description != "":
				parts = append(parts, a.Description)
			case len(a.Value) > 0:
				var text string
				if json.Unmarshal(a.Value, &text) != nil {
					text = string(a.Value)
				}
				parts = append(parts, text)
			}
		}
		p.errors = append(p.errors, "console.error: "+strings.Join(parts, " "))
	}
}

// Ctx is the tab's context, bounded like the steps, for chromedp calls of
// the test's own.
func (p *Page) Ctx() context.Context { return p.ctx }

// SetDescriber sets a JavaScript expression whose JSON value describes the
// page (what it shows) in the failures of Do, Wait and Eval.
func (p *Page) SetDescriber(expr string) {
	p.mu.Lock()
	p.describer = expr
	p.mu.Unlock()
}

// Do runs actions in the tab, failing the test with the page's state when
// one fails.
func (p *Page) Do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.tb.Fatalf("browser %s: %s: %v\n%s", p.name, step, err, p.describe())
	}
}

// Wait polls the JavaScript function pred, called with args, until it
// returns a truthy value.
func (p *Page) Wait(step, pred string, args ...any) {
	p.tb.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.PollFunction[chromedp.Void](pred,
		chromedp.WithPollingArgs(args...),
		chromedp.WithPollingInterval(25*time.Millisecond),
		chromedp.WithPollingTimeout(0))) // p.ctx bounds it
	if err != nil {
		p.tb.Fatalf("browser %s: waiting until %s: %v\n%s", p.name, step, err, p.describe())
	}
}

// Eval evaluates the JavaScript expression expr, awaits it when it is a
// promise, and decodes its JSON value into out (when out is not nil).
func (p *Page) Eval(step, expr string, out any) {
	p.tb.Helper()
	js := "(async () => JSON.stringify(await (" + expr + ")) ?? \"null\")()"
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err == nil && out != nil {
		err = json.Unmarshal([]byte(s), out)
	}
	if err != nil {
		p.tb.Fatalf("browser %s: %s: %v\n%s", p.name, step, err, p.describe())
	}
}

// Screenshot writes a PNG of the tab's viewport to path.
func (p *Page) Screenshot(step, path string) {
	p.tb.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		p.tb.Fatalf("browser %s: %s: %v", p.name, step, err)
	}
}

// Requests lists every URL the page requested so far: documents, scripts,
// styles, fetches and WebSockets.
func (p *Page) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// ForeignRequests lists the requests whose host (host:port) is not
// allowedHost. data: and blob: URLs, which go nowhere, are not listed.
func (p *Page) ForeignRequests(allowedHost string) []string {
	var foreign []string
	for _, r := range p.Requests() {
		u, err := url.Parse(r)
		if err == nil && (u.Scheme == "data" || u.Scheme == "blob") {
			continue
		}
		if err != nil || u.Host != allowedHost {
			foreign = append(foreign, r)
		}
	}
	return foreign
}

// Errors lists the page's uncaught exceptions and console.error messages so
// far.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// describe is the describer's value, for failures. It has a few seconds of
// its own, since the step's time may be up.
func (p *Page) describe() string {
	p.mu.Lock()
	expr := p.describer
	p.mu.Unlock()
	if expr == "" {
		expr = `({url: location.href, text: document.body ? document.body.innerText.slice(0, 2000) : ""})`
	}
	ctx, cancel := context.WithTimeout(p.tab, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string]("JSON.stringify("+expr+", null, 1)"))
	if err != nil {
		s = fmt.Sprintf("(unavailable: %v)", err)
	}
	errs := ""
	if e := p.Errors(); len(e) > 0 {
		errs = "\npage errors:\n  " + strings.Join(e, "\n  ")
	}
	return "page " + p.name + ": " + s + errs
}

// SetViewport sets the tab's viewport to width x height CSS pixels (a phone
// is 375 x 740).
func (p *Page) SetViewport(width, height int64) {
	p.tb.Helper()
	p.Do(fmt.Sprintf("set the viewport to %dx%d", width, height), chromedp.EmulateViewport(width, height))
}
