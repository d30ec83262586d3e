package rtchat_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// With a rate limit, frames over it are answered 4029 naming the frame's
// event_type and request_id, with a retry hint, and change nothing; the
// answers are coalesced (one per event type per second, the others counted
// in the next answer); the connection stays open, and other users are not
// affected.
func TestRateLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}}) // 1 frame of a's burst
		next(t, b, protocol.DispatchRoomCreate)
		ctx := testCtx(t)
		var ids []string
		for range 10 {
			id, err := a.Send(ctx, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "flood"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		// The burst of 5 had one frame spent on room.create: 4 sends pass,
		// 6 are refused (a token comes back only every 2 s). The first
		// refusal is answered; the other 5 come within its second.
		f, err := a.NextError(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantRefusal(t, f, protocol.EventMessageSend, ids[4], 0)
		// A refused frame of another event type is answered too, and
		// reports the 5 sends left unanswered.
		id, err := a.Send(ctx, protocol.EventSessionHeartbeat, nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err = a.NextError(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantRefusal(t, f, protocol.EventSessionHeartbeat, id, 5)
		waitFor(t, "the 4 allowed messages", func() bool { return a.Pending(protocol.DispatchMessage) == 4 })
		if n := countRows(t, h, "rtchat_messages", "1 = 1"); n != 4 {
			t.Fatalf("%d rows, want 4", n)
		}
		if n := a.Pending(client.ErrorKey); n != 0 {
			t.Fatalf("%d more error frames, want 0", n)
		}
		// b is not limited by a's flood.
		send(t, b, room.ID, "still here")
	}, rtchat.WithRateLimit(0.5, 5))
}

// wantRefusal checks that f is a 4029 answering the frame requestID of
// event, with a retry hint and the count of refusals left unanswered.
func wantRefusal(t testing.TB, f protocol.Frame, event, requestID string, unanswered int) {
	t.Helper()
	pe := f.Error
	if pe == nil || pe.Code != protocol.CodeRateLimited {
		t.Fatalf("frame %+v, want a 4029", f)
	}
	detail, _ := pe.Detail.(string)
	if f.ErrorEvent != event || f.RequestID != requestID || pe.RetryAfterMS < 1 || !strings.Contains(detail, "retry in") || pe.Unanswered != unanswered {
		t.Fatalf("4029 event_type %q request_id %q error %+v; want event_type %q request_id %q, a retry hint and unanswered %d",
			f.ErrorEvent, f.RequestID, pe, event, requestID, unanswered)
	}
	if unanswered > 0 && !strings.Contains(detail, fmt.Sprintf("%d more refused", unanswered)) {
		t.Fatalf("detail %q does not report %d unanswered", detail, unanswered)
	}
}

// flood pipelines n message.send frames into room as c while c's client
// reads everything the server sends, and returns the request ids sent; it
// stops early if the server closes the connection.
func flood(t testing.TB, c *client.Client, roomID string, n int) map[string]bool {
	t.Helper()
	ctx := testCtx(t)
	ids := make(map[string]bool, n)
	for i := range n {
		id, err := c.Send(ctx, protocol.EventMessageSend, map[string]any{"room_id": roomID, "content": fmt.Sprintf("flood %d", i)})
		if err != nil {
			// A write fails once the server has closed the connection;
			// its read loop ends soon after.
			select {
			case <-c.Closed():
				return ids
			case <-time.After(5 * time.Second):
				t.Fatalf("send %d: %v", i, err)
			}
		}
		ids[id] = true
	}
	return ids
}

// refusalsOf takes every error frame c has received, checks that each is a
// 4029 answering one of ids as message.send, and returns how many frames
// they account for (each answer plus those it reports unanswered).
func refusalsOf(t testing.TB, c *client.Client, ids map[string]bool) (answers, accounted int) {
	t.Helper()
	for c.Pending(client.ErrorKey) > 0 {
		f, err := c.NextError(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		if f.Error.Code != protocol.CodeRateLimited || f.ErrorEvent != protocol.EventMessageSend || !ids[f.RequestID] || f.Error.RetryAfterMS < 1 {
			t.Fatalf("error frame %+v (event_type %q, request_id %q): want a 4029 answering one of the sends", f.Error, f.ErrorEvent, f.RequestID)
		}
		answers++
		accounted += 1 + f.Error.Unanswered
	}
	return answers, accounted
}

// A flood of 5,000 pipelined sends, with a close threshold above it, is
// refused with a few 4029 frames (at most one a second for message.send),
// each naming its frame, and the connection stays open: never 4008, the
// send buffer never fills. What passed is stored, nothing else.
func TestRateLimitFloodStaysOpen(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		start := time.Now()
		ids := flood(t, a, room.ID, 5000)
		barrier(t, a) // session.heartbeat has no limit of its own
		elapsed := time.Since(start)
		if code := a.CloseCode(); code != 0 {
			t.Fatalf("closed with %d", code)
		}
		waitFor(t, "the stored messages' dispatches", func() bool {
			return a.Pending(protocol.DispatchMessage) == countRows(t, h, "rtchat_messages", "1 = 1")
		})
		passed := a.Pending(protocol.DispatchMessage)
		answers, accounted := refusalsOf(t, a, ids)
		seconds := int(elapsed/time.Second) + 1
		t.Logf("5000 sends in %v: %d passed, %d answered 4029 for %d refusals", elapsed, passed, answers, accounted)
		if answers < 1 || answers > seconds+1 {
			t.Fatalf("%d 4029 frames in %v, want 1 to %d", answers, elapsed, seconds+1)
		}
		if max := 20 + 5*(seconds+1); passed < 20 || passed > max {
			t.Fatalf("%d sends passed, want 20 to %d", passed, max)
		}
		// The refusals of the last second are reported by a later 4029, if
		// any: no frame is counted twice.
		if passed+accounted > 5000 {
			t.Fatalf("passed %d + refused %d > 5000", passed, accounted)
		}
		send(t, h.dial(t, 2), room.ID, "the other user still sends")
	}, rtchat.WithEventRateLimit(protocol.EventMessageSend, 5, 20), rtchat.WithRateLimitClose(10_000, 10*time.Second))
}

// With the default close threshold (100 refusals within 10 s), a flood is
// closed with 1008 "too many events"; the user's other connection and
// other users stay open.
func TestRateLimitFloodCloses(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, other := h.dial(t, 1), h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		next(t, other, protocol.DispatchRoomCreate)
		ids := flood(t, a, room.ID, 5000)
		select {
		case <-a.Closed():
		case <-testCtx(t).Done():
			t.Fatal("the flooding connection was not closed")
		}
		var ce *websocket.CloseError
		if !errors.As(a.CloseError(), &ce) || ce.Code != protocol.ClosePolicyViolation || ce.Text != protocol.DetailTooManyEvents {
			t.Fatalf("closed with %v, want 1008 %q", a.CloseError(), protocol.DetailTooManyEvents)
		}
		answers, accounted := refusalsOf(t, a, ids)
		if answers > 3 || accounted > 100 {
			t.Fatalf("%d 4029 frames for %d refusals before the close, want a few for at most 100", answers, accounted)
		}
		// The close ended that connection only: the user's other one is
		// open.
		barrier(t, other)
		b := h.dial(t, 2)
		send(t, b, room.ID, "still here")
	}, rtchat.WithEventRateLimit(protocol.EventMessageSend, 5, 20))
}

// An event's own limit refuses that event only: other events pass.
func TestEventRateLimitLetsOtherEventsThrough(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		for _, content := range []string{"one", "two"} {
			request(t, a, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": content})
		}
		f, err := a.Request(testCtx(t), protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "three"})
		if !errors.As(err, new(*protocol.Error)) {
			t.Fatalf("third send: %v, want a 4029", err)
		}
		wantRefusal(t, f, protocol.EventMessageSend, f.RequestID, 0)
		request(t, a, protocol.EventRoomList, nil)
		request(t, a, protocol.EventSessionHeartbeat, nil)
		request(t, a, protocol.EventRoomInfo, map[string]any{"room_id": room.ID})
		if n := countRows(t, h, "rtchat_messages", "1 = 1"); n != 2 {
			t.Fatalf("%d rows, want 2", n)
		}
	}, rtchat.WithEventRateLimit(protocol.EventMessageSend, 0.1, 2))
}

// The overall limit is the user's, shared by all their connections on the
// node: a second connection does not buy a second burst.
func TestRateLimitSharedByUserConnections(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a1, a2 := h.dial(t, 1), h.dial(t, 1)
		request(t, a1, protocol.EventSessionHeartbeat, nil)
		request(t, a1, protocol.EventSessionHeartbeat, nil)
		request(t, a2, protocol.EventSessionHeartbeat, nil)
		for _, c := range []*client.Client{a2, a1} {
			f, err := c.Request(testCtx(t), protocol.EventSessionHeartbeat, nil)
			if !errors.As(err, new(*protocol.Error)) {
				t.Fatalf("fourth heartbeat of the user: %v, want a 4029", err)
			}
			wantRefusal(t, f, protocol.EventSessionHeartbeat, f.RequestID, 0)
		}
		// Another user has a burst of their own.
		b := h.dial(t, 2)
		for range 3 {
			request(t, b, protocol.EventSessionHeartbeat, nil)
		}
	}, rtchat.WithRateLimit(0.1, 3))
}

// The limiters of a user live while the user has a connection on the
// node, and are removed with the last one: the map does not grow with
// every user ever connected.
func TestRateLimitersFreedOnDisconnect(t *testing.T) {
	eachNodeDB(t, func(t *testing.T, h *harness) {
		a1, a2, b := h.dial(t, 1), h.dial(t, 1), h.dial(t, 2)
		if n := h.chat.Stats().RateLimitedUsers; n != 2 {
			t.Fatalf("RateLimitedUsers = %d with 2 users connected, want 2", n)
		}
		for i, step := range []struct {
			c     *client.Client
			conns int
			users int
		}{{a1, 2, 2}, {a2, 1, 1}, {b, 0, 0}} {
			_ = step.c.Close()
			waitFor(t, fmt.Sprintf("step %d's disconnect", i), func() bool { return h.chat.Stats().Conns == step.conns })
			if n := h.chat.Stats().RateLimitedUsers; n != step.users {
				t.Fatalf("after close %d: RateLimitedUsers = %d, want %d", i, n, step.users)
			}
		}
	}, rtchat.WithRateLimit(10, 10), rtchat.WithEventRateLimit(protocol.EventMessageSend, 5, 5))
}

// Without limits no limiter is kept.
func TestNoRateLimitKeepsNoLimiters(t *testing.T) {
	h := newHarness(t, dbtest.Open(t, "sqlite"))
	h.dial(t, 1)
	if n := h.chat.Stats().RateLimitedUsers; n != 0 {
		t.Fatalf("RateLimitedUsers = %d without limits, want 0", n)
	}
}

// The rate limit options are validated by New, naming the option.
func TestRateLimitConfigErrors(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	for name, tc := range map[string]struct {
		opts []rtchat.Option
		want string
	}{
		"event rate negative":     {[]rtchat.Option{rtchat.WithEventRateLimit(protocol.EventMessageSend, -1, 1)}, `rtchat: WithEventRateLimit("message.send", -1, 1): must not be negative, and a limit needs a burst of at least 1`},
		"event rate no burst":     {[]rtchat.Option{rtchat.WithEventRateLimit(protocol.EventMessageSend, 5, 0)}, `rtchat: WithEventRateLimit("message.send", 5, 0): must not be negative, and a limit needs a burst of at least 1`},
		"event not in the map":    {[]rtchat.Option{rtchat.WithEventRateLimit("message.sned", 5, 5)}, `rtchat: WithEventRateLimit("message.sned"): no such event in the event map`},
		"close n negative":        {[]rtchat.Option{rtchat.WithRateLimitClose(-1, time.Second)}, "rtchat: WithRateLimitClose(-1, 1s): n must be between 0 and 100000, and a positive n needs a positive window"},
		"close without a window":  {[]rtchat.Option{rtchat.WithRateLimitClose(10, 0)}, "rtchat: WithRateLimitClose(10, 0s): n must be between 0 and 100000, and a positive n needs a positive window"},
		"close n too big":         {[]rtchat.Option{rtchat.WithRateLimitClose(100_001, time.Second)}, "rtchat: WithRateLimitClose(100001, 1s): n must be between 0 and 100000, and a positive n needs a positive window"},
		"close never is allowed":  {[]rtchat.Option{rtchat.WithRateLimitClose(0, 0)}, ""},
		"removing a limit is ok":  {[]rtchat.Option{rtchat.WithEventRateLimit(protocol.EventMessageSend, 5, 5), rtchat.WithEventRateLimit(protocol.EventMessageSend, 0, 0)}, ""},
		"a custom event is known": {[]rtchat.Option{rtchat.WithEvent("app.ping", func(context.Context, *rtchat.EventRequest) error { return nil }), rtchat.WithEventRateLimit("app.ping", 1, 1)}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			chat, err := rtchat.New(db, tc.opts...)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("New: %v, want no error", err)
				}
				_ = chat.Close(context.Background())
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("New: %v, want %q", err, tc.want)
			}
		})
	}
}
