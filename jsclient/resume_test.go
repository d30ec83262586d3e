package jsclient_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/tcpproxy"
)

// TestReconnectCatchesUp stops the server while the page holds a room's
// messages up to seq 3, stores 4 more while it is away (through a second
// node on the same database), starts the server again on the same address,
// and sends 2 more once the page is back: the page must have been handed
// exactly seqs 1..9, each once and in order, after going online,
// reconnecting (1001) and online again. A second room gets 205 messages
// while the page is away, more than one room.messages page.
func TestReconnectCatchesUp(t *testing.T) {
	s := newServer(t)
	room := s.createGroup(2, 1)
	other := s.createGroup(3, 1) // a second room, caught up on its own
	b := startBrowser(t)
	p := openPage(t, b, s.addr, 1, `{heartbeat: 0, backoff: {min: 100, max: 400}}`)
	for i := range 3 {
		s.send(nil, 2, room, fmt.Sprint("before ", i+1))
	}
	s.send(nil, 3, other, "other 1")
	p.Wait("the first 3 messages arrived", `(room) => rec.messages.filter((m) => m.room === room).length === 3`, room)

	s.stop()
	p.Wait("the page is reconnecting after 1001", `() => rec.states.some((s) => s.state === "reconnecting" && s.code === 1001)`)
	away := s.newChat()
	for i := range 4 {
		s.send(away, 2, room, fmt.Sprint("away ", i+1))
	}
	for i := range 205 { // more than a page (200): the catch-up pages on has_more
		s.send(away, 3, other, fmt.Sprint("other ", i+2))
	}
	if err := away.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var lastSeq int
	p.Eval("lastSeq while away", fmt.Sprintf(`chat.lastSeq(%q)`, room), &lastSeq)
	if lastSeq != 3 {
		t.Fatalf("lastSeq while away = %d, want 3", lastSeq)
	}
	var away1 settled[frame]
	p.Eval("a request while away", `settle(chat.request("room.list"))`, &away1)
	if away1.OK || !away1.IsConnection || away1.Reason != "not connected" {
		t.Fatalf("request while reconnecting settled %+v, want ConnectionError not connected at once", away1)
	}
	s.start()
	p.Wait("online again", `() => chat.state === "online"`)
	for i := range 2 {
		s.send(nil, 2, room, fmt.Sprint("after ", i+1))
	}
	p.Wait("9 messages", `(room) => rec.messages.filter((m) => m.room === room).length >= 9`, room)

	var got []message
	p.Eval("messages", `rec.messages`, &got)
	if s := seqs(got, room); !slices.Equal(s, upTo(9)) {
		t.Fatalf("seqs handed to onMessage: %v, want 1..9 once each in order", s)
	}
	p.Wait("206 messages in the other room", `(room) => rec.messages.filter((m) => m.room === room).length >= 206`, other)
	p.Eval("messages", `rec.messages`, &got)
	if s := seqs(got, other); !slices.Equal(s, upTo(206)) {
		t.Fatalf("seqs of the other room: %v, want 1..206", s)
	}
	var states []stateChange
	p.Eval("states", `rec.states`, &states)
	var names []string
	for _, st := range states {
		if len(names) == 0 || names[len(names)-1] != st.State {
			names = append(names, st.State)
		}
	}
	if !slices.Equal(names, []string{"online", "reconnecting", "online"}) {
		t.Fatalf("states %+v, want online, reconnecting (attempts), online", states)
	}
	// Each attempt waits between min and min(max, min*2^attempt): 100 ms
	// to 400 ms here.
	var attempt int
	for _, st := range states {
		if st.State != "reconnecting" {
			continue
		}
		attempt++
		if ceil := min(400, 100<<attempt); st.Attempt != attempt || st.Delay < 100 || st.Delay > ceil {
			t.Fatalf("reconnect %+v: want attempt %d waiting 100..%d ms", st, attempt, ceil)
		}
	}
	if attempt < 2 {
		t.Fatalf("states %+v: want several attempts while the server was down", states)
	}
	if errs := p.Errors(); len(errs) != 0 {
		t.Fatalf("page errors: %v", errs)
	}
}

// TestSendRetriedWithSameClientMsgID checks that a send whose answer was
// lost with its connection is sent again with the same client_msg_id after
// the reconnect, and resolves with the message stored once; that a send
// made while the connection is down waits for the reconnect; and that a
// send answered 4007 (unavailable) is sent again with the same
// client_msg_id.
func TestSendRetriedWithSameClientMsgID(t *testing.T) {
	var proxy *tcpproxy.Proxy
	var mu sync.Mutex
	var attempts []string // client_msg_id of every message.send
	unavailable := 0      // sends of "unavailable" so far
	hooks := rtchat.Hooks{AroundEvent: func(ctx context.Context, e rtchat.Event, next func(context.Context) error) error {
		if e.Name != "message.send" {
			return next(ctx)
		}
		var d struct {
			ClientMsgID string `json:"client_msg_id"`
			Content     string `json:"content"`
		}
		_ = json.Unmarshal(e.Data, &d)
		mu.Lock()
		attempts = append(attempts, d.ClientMsgID)
		first := len(attempts) == 1
		if d.Content == "unavailable" {
			unavailable++
			first = false
			if unavailable == 1 {
				mu.Unlock()
				return &rtchat.Error{Code: 4007, Detail: "Service temporarily unavailable, try again."}
			}
		}
		mu.Unlock()
		if !first {
			return next(ctx)
		}
		// The first send is stored, but its answer never arrives: the
		// link goes silent before it is written and is then cut.
		proxy.Freeze()
		err := next(ctx)
		proxy.Cut()
		proxy.Restore()
		return err
	}}
	s := newServer(t, rtchat.WithHooks(hooks))
	proxy = tcpproxy.New(t, s.addr)
	room := s.createGroup(2, 1)
	b := startBrowser(t)
	p := openPage(t, b, proxy.Addr(), 1, `{heartbeat: 0, backoff: {min: 100, max: 400}}`)

	var sent settled[map[string]any]
	p.Eval("send; the answer is lost", fmt.Sprintf(`settle(chat.sendMessage(%q, "hello"))`, room), &sent)
	if !sent.OK || sent.Value["content"] != "hello" || sent.Value["seq"] != 1.0 {
		t.Fatalf("sendMessage settled %+v, want the stored message with seq 1", sent)
	}
	id, _ := sent.Value["client_msg_id"].(string)
	mu.Lock()
	got := slices.Clone(attempts)
	mu.Unlock()
	if len(got) != 2 || got[0] != id || got[1] != id {
		t.Fatalf("client_msg_ids sent: %q, want %q twice", got, id)
	}
	if n, all := s.count(room, id), s.count(room, ""); n != 1 || all != 1 {
		t.Fatalf("%d messages with the client_msg_id, %d in the room; want 1 and 1", n, all)
	}
	var states []stateChange
	p.Eval("states", `rec.states`, &states)
	if !slices.ContainsFunc(states, func(s stateChange) bool { return s.State == "reconnecting" }) {
		t.Fatalf("states %+v: the connection was not cut", states)
	}

	// A send while the link is down waits for the reconnect. The
	// connection has been online longer than backoff.max, so the attempts
	// count from 1 again.
	p.Wait("online for longer than backoff.max", `() => new Promise((ok) => setTimeout(() => ok(true), 500))`)
	var firstDrop int // reconnecting states of the first drop
	p.Eval("reconnects so far", `rec.states.filter((s) => s.state === "reconnecting").length`, &firstDrop)
	proxy.Cut()
	p.Wait("reconnecting", `() => chat.state === "reconnecting"`)
	p.Eval("send while down", fmt.Sprintf(`(window.pending = settle(chat.sendMessage(%q, "queued")), 1)`, room), nil)
	proxy.Restore()
	p.Eval("the queued send", `pending`, &sent)
	if !sent.OK || sent.Value["content"] != "queued" || sent.Value["seq"] != 2.0 {
		t.Fatalf("the queued send settled %+v, want seq 2", sent)
	}
	p.Wait("both messages handed over", `(room) => rec.messages.filter((m) => m.room === room).length === 2`, room)
	var msgs []message
	p.Eval("messages", `rec.messages`, &msgs)
	if s := seqs(msgs, room); !slices.Equal(s, upTo(2)) {
		t.Fatalf("seqs handed to onMessage: %v, want 1, 2", s)
	}
	p.Eval("states", `rec.states`, &states)
	var reconnects []int
	for _, st := range states {
		if st.State == "reconnecting" {
			reconnects = append(reconnects, st.Attempt)
		}
	}
	if len(reconnects) <= firstDrop || reconnects[0] != 1 || reconnects[firstDrop] != 1 {
		t.Fatalf("reconnect attempts %v, want each drop to start at attempt 1 after a stable connection", reconnects)
	}
	mu.Lock()
	if len(attempts) != 3 {
		t.Fatalf("%d message.send frames, want 3 (two of the first send, one of the queued)", len(attempts))
	}
	mu.Unlock()

	p.Eval("a send answered 4007 first", fmt.Sprintf(`settle(chat.sendMessage(%q, "unavailable"))`, room), &sent)
	if !sent.OK || sent.Value["seq"] != 3.0 {
		t.Fatalf("the send answered 4007 settled %+v, want it stored with seq 3", sent)
	}
	id, _ = sent.Value["client_msg_id"].(string)
	mu.Lock()
	defer mu.Unlock()
	if got := attempts[3:]; len(got) != 2 || got[0] != id || got[1] != id {
		t.Fatalf("client_msg_ids of the send answered 4007: %q, want %q twice", got, id)
	}
	if n := s.count(room, id); n != 1 {
		t.Fatalf("%d messages with the client_msg_id, want 1", n)
	}
}
