package exampletest

import (
	"testing"
	"time"

	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// testRateLimits: the example limits each user's events
// (exampleapp.DefaultRateLimits). A burst of 100 sends passes the first 20
// and more as tokens come back (5 a second); the rest is refused with a
// few 4029 frames, each naming its send's event_type and request_id, and
// the connection stays open and serves other events.
func testRateLimits(t *testing.T, e *Env) {
	ctx := testCtx(t)
	dan := e.Register(t, "dan", "dan-password")
	eve := e.Register(t, "eve", "eve-password")
	d := e.Dial(t, e.WS, client.WithToken(dan.Token))
	room := decode[roomDetail](t, Request(t, d, protocol.EventRoomCreate, map[string]any{
		"type": protocol.RoomOneToOne, "participants": []int64{eve.ID},
	}, protocol.DispatchRoomCreate))
	ids := map[string]bool{}
	start := time.Now()
	for range 100 {
		id, err := d.Send(ctx, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "flood"})
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	// session.heartbeat has no limit of its own, and the refused sends
	// took no token of the overall limit: it passes, and its answer comes
	// after every send's.
	Request(t, d, protocol.EventSessionHeartbeat, nil, protocol.DispatchHeartbeat)
	// At most one 4029 a second for message.send, and 5 more sends pass
	// each second: a slow machine sees a few more of both.
	seconds := int(time.Since(start)/time.Second) + 1
	passed := d.Pending(protocol.DispatchMessage)
	if passed < 20 || passed > 20+5*seconds || passed == 100 {
		t.Fatalf("%d of 100 sends in %d s passed, want 20 and a few more", passed, seconds)
	}
	// rtchat's answers carry retry_after_ms; an app's own limit (the
	// custom-consumer example's AroundEvent hook) may refuse sends that
	// passed rtchat's with a 4029 of its own.
	answers := 0
	for d.Pending(client.ErrorKey) > 0 {
		f, err := d.NextError(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Error.Code != protocol.CodeRateLimited || f.ErrorEvent != protocol.EventMessageSend || !ids[f.RequestID] {
			t.Fatalf("error %+v event_type %q request_id %q, want a 4029 answering one of the sends", f.Error, f.ErrorEvent, f.RequestID)
		}
		if f.Error.RetryAfterMS > 0 {
			answers++
		}
	}
	if answers < 1 || answers > seconds {
		t.Fatalf("%d 4029 frames from rtchat for %d refused sends in %d s, want a few, at most one a second", answers, 100-passed, seconds)
	}
	if code := d.CloseCode(); code != 0 {
		t.Fatalf("the connection closed with %d", code)
	}
	Request(t, d, protocol.EventRoomList, nil, protocol.DispatchRoomList)
}
