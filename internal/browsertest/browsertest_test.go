package browsertest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtchat/rtchat/internal/browsertest"
)

// TestPages checks what the browser tests rely on: pages are separate
// users (a cookie set in one is not sent by the other), Eval awaits
// promises, and requests to other hosts and uncaught errors are recorded.
func TestPages(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!doctype html><title>t</title><p id="p">ready</p>`))
	})
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "who", Value: r.URL.Query().Get("v"), Path: "/"})
	})
	mux.HandleFunc("/who", func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie("who")
		if c != nil {
			_, _ = w.Write([]byte(c.Value))
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	b := browsertest.Start(t, ctx)
	alice, bob := b.Page(t, "alice"), b.Page(t, "bob")
	for _, p := range []*browsertest.Page{alice, bob} {
		p.Do("open the page", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("p")))
	}
	alice.Eval("set alice's cookie", `fetch("/set?v=alice").then((r) => r.status)`, nil)
	var got [2]string
	alice.Eval("read alice's cookie", `fetch("/who").then((r) => r.text())`, &got[0])
	bob.Eval("read bob's cookie", `fetch("/who").then((r) => r.text())`, &got[1])
	if got != [2]string{"alice", ""} {
		t.Fatalf("cookies seen by the server: alice %q, bob %q; want alice and none", got[0], got[1])
	}

	host := strings.TrimPrefix(srv.URL, "http://")
	if f := alice.ForeignRequests(host); len(f) != 0 {
		t.Fatalf("foreign requests before any: %v", f)
	}
	alice.Eval("request another host", `fetch("http://127.0.0.2:9/x").then(() => 1, () => 0)`, nil)
	alice.Eval("throw", `(setTimeout(() => { throw new Error("boom") }), console.error("bad", 42), 1)`, nil)
	alice.Wait("the exception is reported", `() => true`)
	deadline := time.Now().Add(5 * time.Second)
	for len(alice.Errors()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if f := alice.ForeignRequests(host); !slices.Equal(f, []string{"http://127.0.0.2:9/x"}) {
		t.Fatalf("foreign requests: %v, want the one to 127.0.0.2", f)
	}
	errs := strings.Join(alice.Errors(), "\n")
	if !strings.Contains(errs, "boom") || !strings.Contains(errs, "bad 42") {
		t.Fatalf("page errors %q, want the uncaught boom and console.error bad 42", errs)
	}
	if len(bob.Errors()) != 0 || len(bob.ForeignRequests(host)) != 0 {
		t.Fatalf("bob's page recorded alice's errors or requests: %v %v", bob.Errors(), bob.ForeignRequests(host))
	}
}
