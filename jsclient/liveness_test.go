package jsclient_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/tcpproxy"
)

// TestHeartbeat checks that an online Chat sends session.heartbeat every
// heartbeat ms, and that one left unanswered (a link gone silent) drops the
// connection and opens another.
func TestHeartbeat(t *testing.T) {
	var beats atomic.Int64
	hooks := rtchat.Hooks{AroundEvent: func(ctx context.Context, e rtchat.Event, next func(context.Context) error) error {
		if e.Name == "session.heartbeat" {
			beats.Add(1)
		}
		return next(ctx)
	}}
	s := newServer(t, rtchat.WithHooks(hooks))
	proxy := tcpproxy.New(t, s.addr)
	b := startBrowser(t)
	start := time.Now()
	p := openPage(t, b, proxy.Addr(), 1, `{heartbeat: 100, requestTimeout: 1000, backoff: {min: 50, max: 200}}`)
	for beats.Load() < 5 && time.Since(start) < 10*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	if n, most := beats.Load(), int64(time.Since(start)/(100*time.Millisecond))+1; n < 5 || n > most {
		t.Fatalf("%d heartbeats in %v with heartbeat 100 ms, want 5 to %d", n, time.Since(start), most)
	}

	proxy.Freeze() // heartbeats go unanswered; a new connection works
	p.Wait("the silent connection was dropped and another is online", `() => rec.states.some((s) => s.state === "reconnecting" && s.code === 4000) && chat.state === "online"`)
	var states []stateChange
	p.Eval("states", `rec.states`, &states)
	if i := slices.IndexFunc(states, func(s stateChange) bool { return s.State == "reconnecting" }); i < 0 || states[i].Reason != "heartbeat unanswered" {
		t.Fatalf("states %+v, want a reconnect for an unanswered heartbeat", states)
	}
	before := beats.Load()
	for deadline := time.Now().Add(5 * time.Second); beats.Load() <= before; {
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat on the new connection")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestGapFill checks that a live message.dispatch whose seq is more than
// one above the room's lastSeq makes the client fetch the missing ones
// (room.messages after_seq) and hand them over first: the user is removed
// from a room, misses two messages, is added back, and the next message
// arrives live with a gap.
func TestGapFill(t *testing.T) {
	var fills atomic.Int64
	hooks := rtchat.Hooks{AroundEvent: func(ctx context.Context, e rtchat.Event, next func(context.Context) error) error {
		if e.Name == "room.messages" {
			fills.Add(1)
		}
		return next(ctx)
	}}
	s := newServer(t, rtchat.WithHooks(hooks))
	room := s.createGroup(2, 1)
	b := startBrowser(t)
	p := openPage(t, b, s.addr, 1, `{heartbeat: 0}`)
	p.Eval("watch membership", `(chat.on("roomexit.dispatch", () => rec.events.push("exit")), chat.on("roomaddmembers.dispatch", () => rec.events.push("added")), 1)`, nil)
	for i := range 2 {
		s.send(nil, 2, room, fmt.Sprint("in ", i+1))
	}
	p.Wait("2 messages", `() => rec.messages.length === 2`)
	if _, err := s.chat.RemoveMembers(testCtx(t), rtchat.SystemUserID, room, []int64{1}); err != nil {
		t.Fatal(err)
	}
	p.Wait("removed", `() => rec.events.includes("exit")`)
	for i := range 2 {
		s.send(nil, 2, room, fmt.Sprint("while out ", i+1))
	}
	if _, err := s.chat.AddMembers(testCtx(t), rtchat.SystemUserID, room, []int64{1}); err != nil {
		t.Fatal(err)
	}
	p.Wait("added back", `() => rec.events.includes("added")`)
	if n := fills.Load(); n != 0 {
		t.Fatalf("%d room.messages before the gap", n)
	}
	s.send(nil, 2, room, "back")
	p.Wait("5 messages", `() => rec.messages.length >= 5`)
	var got []message
	p.Eval("messages", `rec.messages`, &got)
	if s := seqs(got, room); !slices.Equal(s, upTo(5)) {
		t.Fatalf("seqs handed to onMessage: %v, want 1..5 once each in order", s)
	}
	if n := fills.Load(); n != 1 {
		t.Fatalf("%d room.messages requests, want the one gap fill", n)
	}
	var states []stateChange
	p.Eval("states", `rec.states`, &states)
	if len(states) != 1 || states[0].State != "online" {
		t.Fatalf("states %+v, want online only (the gap is filled without a reconnect)", states)
	}
}

// TestNoReconnectAfterFinalClose checks that a close with 4029 (too many
// connections) or 1008 (policy violation) ends the Chat: state closed with
// the code, connect() or pending requests rejected, and no new attempt.
func TestNoReconnectAfterFinalClose(t *testing.T) {
	b := startBrowser(t)
	settle := func(p interface {
		Wait(string, string, ...any)
	}) {
		// Longer than the backoff (max 200 ms) several times over.
		p.Wait("a while", `() => new Promise((ok) => setTimeout(() => ok(true), 800))`)
	}

	t.Run("4029", func(t *testing.T) {
		s := newServer(t, rtchat.WithMaxConnectionsPerUser(1))
		c, err := client.Dial(testCtx(t), "ws://"+s.addr+s.chat.Path(), client.WithToken("u1"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		p := loadPage(t, b, s.addr, "u1")
		var got settled[string]
		p.Eval("connect over the cap", `settle(start({token: "u1", heartbeat: 0, backoff: {min: 50, max: 200}}))`, &got)
		if got.OK || !got.IsConnection || got.Code != 4029 || got.Reason != "too many connections" {
			t.Fatalf("connect() settled %+v, want ConnectionError 4029 too many connections", got)
		}
		settle(p)
		checkClosed(t, p, 4029)
		if n := s.upgrade.Load(); n != 2 {
			t.Fatalf("%d upgrade requests, want 2 (the Go client's and the page's one)", n)
		}
	})

	t.Run("1008", func(t *testing.T) {
		s := newServer(t, rtchat.WithRateLimit(1, 1), rtchat.WithRateLimitClose(3, 10*time.Second))
		p := openPage(t, b, s.addr, 1, `{heartbeat: 0, backoff: {min: 50, max: 200}}`)
		var got []settled[frame]
		// One request every 50 ms, so that the server has read them all when
		// it closes (unread data would turn its close into a reset, 1006).
		p.Eval("flood", `(async () => {
			const out = [];
			for (let i = 0; i < 30 && chat.state === "online"; i++) {
				out.push(settle(chat.request("room.list")));
				await new Promise((ok) => setTimeout(ok, 50));
			}
			return Promise.all(out);
		})()`, &got)
		var lost int
		for _, g := range got {
			if !g.OK && g.IsConnection && g.Code == 1008 {
				lost++
			}
		}
		if lost == 0 {
			t.Fatalf("no request rejected with ConnectionError 1008: %+v", got)
		}
		settle(p)
		checkClosed(t, p, 1008)
		if n := s.upgrade.Load(); n != 1 {
			t.Fatalf("%d upgrade requests, want 1: no reconnect after 1008", n)
		}
	})
}

// checkClosed fails the test unless the page's Chat ended closed with code,
// after no other state but online.
func checkClosed(t *testing.T, p interface{ Eval(string, string, any) }, code int) {
	t.Helper()
	var states []stateChange
	p.Eval("states", `rec.states`, &states)
	if len(states) == 0 || states[len(states)-1].State != "closed" || states[len(states)-1].Code != code {
		t.Fatalf("states %+v, want closed with %d last", states, code)
	}
	for _, s := range states[:len(states)-1] {
		if s.State != "online" {
			t.Fatalf("states %+v, want no reconnect", states)
		}
	}
}
