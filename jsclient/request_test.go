package jsclient_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rtchat/rtchat"
)

// TestRequestAwaitsItsAnswer checks that request() resolves with the frame
// that carries its request_id: concurrent requests each get their own
// answer, error frames reject with ProtocolError (4003 invalid, 4004 not
// found) naming the request, a request that produces no frame resolves
// with done.dispatch, one not answered within requestTimeout rejects with
// ConnectionError "timeout" (and its late answer is ignored), and after
// close() requests reject with ConnectionError.
func TestRequestAwaitsItsAnswer(t *testing.T) {
	slow := uuid.NewString() // room.info of this room is answered once release is closed
	release := make(chan struct{})
	hooks := rtchat.Hooks{AroundEvent: func(ctx context.Context, e rtchat.Event, next func(context.Context) error) error {
		if e.Name == "room.info" && strings.Contains(string(e.Data), slow) {
			select {
			case <-release:
			case <-time.After(10 * time.Second):
			}
		}
		return next(ctx)
	}}
	s := newServer(t, rtchat.WithHooks(hooks))
	r1, r2 := s.createGroup(2, 1), s.createGroup(3, 1)
	b := startBrowser(t)
	p := openPage(t, b, s.addr, 1, `{heartbeat: 0}`)

	var both []frame
	p.Eval("two concurrent room.info requests", fmt.Sprintf(
		`Promise.all([chat.request("room.info", {room_id: %q}), chat.request("room.info", {room_id: %q})])`, r2, r1), &both)
	if len(both) != 2 || both[0].Data["id"] != r2 || both[1].Data["id"] != r1 {
		t.Fatalf("answers %+v, want room %s then room %s", both, r2, r1)
	}
	for _, f := range both {
		if f.EventType != "roominfo.dispatch" || f.RequestID == "" || len(f.RequestID) > 64 {
			t.Fatalf("answer %+v: want roominfo.dispatch with a request_id of at most 64 characters", f)
		}
	}
	if both[0].RequestID == both[1].RequestID {
		t.Fatalf("both requests carried request_id %q", both[0].RequestID)
	}

	// Errors, sent together with a good request between them: each
	// promise settles with its own frame.
	var got []settled[frame]
	p.Eval("an invalid request, a good one and one of an unknown room", fmt.Sprintf(
		`Promise.all([settle(chat.request("room.info", {room_id: "not-a-uuid"})), settle(chat.request("room.info", {room_id: %q})), settle(chat.request("room.info", {room_id: %q}))])`,
		r1, uuid.NewString()), &got)
	if len(got) != 3 {
		t.Fatalf("settled %+v", got)
	}
	if e := got[0]; e.OK || !e.IsProtocol || e.Name != "ProtocolError" || e.Code != 4003 || e.EventType != "room.info" || e.RequestID == "" {
		t.Fatalf("invalid room id: %+v, want a ProtocolError 4003 of room.info with its request_id", e)
	}
	if !strings.Contains(fmt.Sprint(got[0].Detail), "room_id") {
		t.Fatalf("4003 detail %v does not name room_id", got[0].Detail)
	}
	if g := got[1]; !g.OK || g.Value.Data["id"] != r1 {
		t.Fatalf("the good request between two errors: %+v", g)
	}
	if e := got[2]; e.OK || !e.IsProtocol || e.Code != 4004 || e.Detail != "Resource not found." {
		t.Fatalf("unknown room: %+v, want a ProtocolError 4004 \"Resource not found.\"", e)
	}

	// message.acknowledged of another user's message produces no frame for
	// the caller: the answer is done.dispatch.
	m := s.send(nil, 2, r1, "ack me")
	p.Wait("the message has arrived", `(id) => rec.messages.some((m) => m.seq === 1 && m.room === id)`, r1)
	var done frame
	p.Eval("acknowledge", fmt.Sprintf(`chat.request("message.acknowledged", {message_id: %q})`, m.ID), &done)
	if done.EventType != "done.dispatch" || done.Data["event_type"] != "message.acknowledged" {
		t.Fatalf("acknowledged answered %+v, want done.dispatch of message.acknowledged", done)
	}

	// message.send through request() gets a client_msg_id and resolves
	// with the message.dispatch frame; a refused send rejects.
	var sends []settled[frame]
	p.Eval("message.send through request()", fmt.Sprintf(
		`Promise.all([settle(chat.request("message.send", {room_id: %q, content: "via request"})), settle(chat.request("message.send", {room_id: %q, content: ""}))])`, r1, r1), &sends)
	if f := sends[0]; !f.OK || f.Value.EventType != "message.dispatch" || f.Value.RequestID == "" || f.Value.Data["content"] != "via request" || f.Value.Data["client_msg_id"] == nil {
		t.Fatalf("message.send answered %+v, want its message.dispatch with a client_msg_id", f)
	}
	if e := sends[1]; e.OK || !e.IsProtocol || e.Code != 4003 || e.EventType != "message.send" {
		t.Fatalf("blank message.send: %+v, want ProtocolError 4003", e)
	}

	// No answer within requestTimeout: ConnectionError "timeout"; the
	// connection stays.
	// A second Chat of the page, with a short requestTimeout.
	p.Eval("connect a Chat with requestTimeout 300", `(window.quick = new rtchat.Chat({token: "u1", heartbeat: 0, requestTimeout: 300}),
		quick.on("error", (e) => (window.lateError = {code: e.code, requestId: e.requestId})), quick.connect())`, nil)
	var late settled[frame]
	p.Eval("a request answered too late", fmt.Sprintf(`settle(quick.request("room.info", {room_id: %q}))`, slow), &late)
	if late.OK || !late.IsConnection || late.Reason != "timeout" {
		t.Fatalf("late answer: %+v, want ConnectionError timeout", late)
	}
	close(release)
	// The late answer (4004: the room does not exist) answers no pending
	// request any more: it goes to on("error"), and the Chat stays online.
	p.Wait("the late answer arrived", `() => window.lateError !== undefined`)
	var lateErr struct {
		Code      int    `json:"code"`
		RequestID string `json:"requestId"`
	}
	p.Eval("the late answer", `lateError`, &lateErr)
	if lateErr.Code != 4004 || lateErr.RequestID == "" {
		t.Fatalf("late answer %+v, want the 4004 of the timed-out request", lateErr)
	}
	var state string
	p.Eval("state", `quick.state`, &state)
	if state != "online" {
		t.Fatalf("state after the late answer %q, want online", state)
	}

	var closed []settled[frame]
	p.Eval("close, then request", `(chat.close(), Promise.all([settle(chat.request("room.list")), settle(chat.sendMessage("x", "y"))]))`, &closed)
	for _, c := range closed {
		if c.OK || !c.IsConnection || c.Reason != "closed" {
			t.Fatalf("after close(): %+v, want ConnectionError closed", closed)
		}
	}
	var states []stateChange
	p.Eval("states", `rec.states`, &states)
	if last := states[len(states)-1]; last.State != "closed" {
		t.Fatalf("states %+v, want closed last", states)
	}
	if errs := p.Errors(); len(errs) != 0 {
		t.Fatalf("page errors: %v", errs)
	}
}

// TestPushedEventsReachSubscribers checks that on() hands pushed frames of
// its event type to its subscribers until they unsubscribe.
func TestPushedEventsReachSubscribers(t *testing.T) {
	s := newServer(t)
	room := s.createGroup(2, 1)
	b := startBrowser(t)
	p := openPage(t, b, s.addr, 1, `{heartbeat: 0}`)
	p.Eval("subscribe", `(window.off = chat.on("app.ping", (d, f) => rec.events.push(["ping", d.n, f.eventType])),
		chat.on("app.pong", (d) => rec.events.push(["pong", d.n])), chat.on("app.ping", (d) => rec.events.push(["ping2", d.n])), 1)`, nil)
	publish := func(event string, n int) {
		t.Helper()
		if err := s.chat.PublishToRoom(context.Background(), room, event, map[string]int{"n": n}); err != nil {
			t.Fatal(err)
		}
	}
	publish("app.ping", 1)
	p.Wait("both subscribers have the ping", `() => rec.events.length === 2`)
	p.Eval("unsubscribe the first", `(off(), 1)`, nil)
	publish("app.ping", 2)
	publish("app.pong", 3) // sent after the ping: once it is here, so is the ping
	p.Wait("the pong arrived", `() => rec.events.some((e) => e[0] === "pong")`)
	var events [][]any
	p.Eval("events", `rec.events`, &events)
	want := [][]any{{"ping", 1.0, "app.ping"}, {"ping2", 1.0}, {"ping2", 2.0}, {"pong", 3.0}}
	if !slices.EqualFunc(events, want, func(a, b []any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
		t.Fatalf("events %v, want %v", events, want)
	}
}
