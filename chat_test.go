package rtchat_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

func TestOneToOneExchange(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		if room.Type != protocol.RoomOneToOne || len(room.Participants) != 2 {
			t.Fatalf("room = %+v", room)
		}
		if got := decode[wireRoom](t, next(t, b, protocol.DispatchRoomCreate)); got.ID != room.ID {
			t.Fatalf("B got room %s, want %s", got.ID, room.ID)
		}
		for i := 1; i <= 6; i++ {
			sender, senderID := a, int64(1)
			if i%2 == 0 {
				sender, senderID = b, 2
			}
			content := fmt.Sprintf("message %d", i)
			if _, err := sender.SendMessage(testCtx(t), room.ID, content); err != nil {
				t.Fatal(err)
			}
			for name, c := range map[string]*client.Client{"A": a, "B": b} {
				m := decode[wireMessage](t, next(t, c, protocol.DispatchMessage))
				if m.Seq != int64(i) || m.Content != content || m.Sender.ID != senderID || m.Room.ID != room.ID {
					t.Fatalf("%s got %+v, want seq %d %q from %d", name, m, i, content, senderID)
				}
			}
		}
	})
}

func TestOneToOneRules(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		for name, tc := range map[string]struct {
			c    *client.Client
			data map[string]any
			code int
			want string
		}{
			"same pair again":        {a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}}, protocol.CodeConflict, protocol.DetailChatExists},
			"same pair other way":    {b, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{1}}, protocol.CodeConflict, protocol.DetailChatExists},
			"three people":           {a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2, 3}}, protocol.CodeInvalid, protocol.DetailOneToOneSize},
			"with oneself":           {a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{1}}, protocol.CodeInvalid, protocol.DetailOneToOneSize},
			"group over its cap":     {a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3}, "extra_fields": map[string]any{"max_participants": 2}}, protocol.CodeInvalid, protocol.DetailGroupFull},
			"channel over its cap":   {a, map[string]any{"type": protocol.RoomChannel, "name": "c", "subscribers": []int64{2, 3}, "extra_fields": map[string]any{"max_subscribers": 2}}, protocol.CodeInvalid, protocol.DetailChannelFull},
			"group without name":     {a, map[string]any{"type": protocol.RoomGroup, "participants": []int64{2}}, protocol.CodeInvalid, ""},
			"unknown type":           {a, map[string]any{"type": "Forum"}, protocol.CodeInvalid, ""},
			"preferences not object": {a, map[string]any{"type": protocol.RoomGroup, "name": "g", "extra_fields": map[string]any{"property": map[string]any{"preferences": []int{1}}}}, protocol.CodeInvalid, ""},
			"participants not ids":   {a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []string{"x"}}, protocol.CodeInvalid, ""},
		} {
			t.Run(name, func(t *testing.T) {
				pe := requestErr(t, tc.c, protocol.EventRoomCreate, tc.data)
				wantCode(t, pe, tc.code)
				if tc.want != "" && pe.Detail != tc.want {
					t.Fatalf("detail = %v, want %q", pe.Detail, tc.want)
				}
			})
		}
		var n int
		if err := h.db.NewSelect().Table("rtchat_rooms").ColumnExpr("count(*)").Scan(testCtx(t), &n); err != nil || n != 1 {
			t.Fatalf("rooms = %d (%v), want 1: refused creates must store nothing", n, err)
		}
	})
}

func TestGroupAndChannelRoles(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		g := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "description": "d", "participants": []int64{2, 3}})
		if g.Creator == nil || g.Creator.ID != 1 || len(g.Participants) != 3 || len(g.Admins) != 1 || g.Admins[0].ID != 1 {
			t.Fatalf("group = %+v", g)
		}
		next(t, b, protocol.DispatchRoomCreate)
		ch := createRoom(t, a, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2}, "extra_fields": map[string]any{"is_public": true}})
		if len(ch.Subscribers) != 2 || len(ch.Moderators) != 1 || ch.Moderators[0].ID != 1 {
			t.Fatalf("channel = %+v", ch)
		}
		next(t, b, protocol.DispatchRoomCreate)
		// A plain channel subscriber may not send; the moderator may.
		wantCode(t, requestErr(t, b, protocol.EventMessageSend, map[string]any{"room_id": ch.ID, "content": "hi"}), protocol.CodePermissionDenied)
		send(t, a, ch.ID, "announcement")
		if m := decode[wireMessage](t, next(t, b, protocol.DispatchMessage)); m.Content != "announcement" {
			t.Fatalf("B got %+v", m)
		}
	})
}

func TestRoomInfoAndList(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b, outsider := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
		dm := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		g := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2},
			"extra_fields": map[string]any{"property": map[string]any{"preferences": map[string]any{"color": "red"}}}})
		send(t, a, dm.ID, "one")
		send(t, a, dm.ID, "two")

		info := request(t, b, protocol.EventRoomInfo, map[string]any{"room_id": g.ID})
		var detail map[string]any = decode[map[string]any](t, info)
		prefs := detail["property"].(map[string]any)["preferences"].(map[string]any)
		if info.EventType != protocol.DispatchRoomInfo || prefs["color"] != "red" || detail["name"] != "team" {
			t.Fatalf("room.info = %s", info.Data)
		}
		wantCode(t, requestErr(t, outsider, protocol.EventRoomInfo, map[string]any{"room_id": g.ID}), protocol.CodePermissionDenied)
		wantCode(t, requestErr(t, a, protocol.EventRoomInfo, map[string]any{"room_id": "6f1c3a52-0000-4000-8000-000000000000"}), protocol.CodeNotFound)

		list := decode[[]map[string]any](t, request(t, b, protocol.EventRoomList, nil))
		if len(list) != 2 {
			t.Fatalf("room.list has %d rooms, want 2", len(list))
		}
		first := list[0] // latest activity first: the 1:1 had the last message
		if first["id"] != dm.ID || first["last_seq"] != 2.0 || first["unread_count"] != 2.0 || first["last_read_seq"] != 0.0 {
			t.Fatalf("first item = %v", first)
		}
		if peer := first["peer"].(map[string]any); peer["id"] != 1.0 {
			t.Fatalf("peer = %v", peer)
		}
		if lm := first["last_message"].(map[string]any); lm["content"] != "two" {
			t.Fatalf("last_message = %v", lm)
		}
		if _, has := first["participants"]; has {
			t.Fatal("list items carry no member lists")
		}
		// The sender's own messages count as read.
		mine := decode[[]map[string]any](t, request(t, a, protocol.EventRoomList, nil))
		if mine[0]["unread_count"] != 0.0 || mine[0]["last_read_seq"] != 2.0 {
			t.Fatalf("sender's item = %v", mine[0])
		}
		if got := decode[[]map[string]any](t, request(t, outsider, protocol.EventRoomList, nil)); len(got) != 0 {
			t.Fatalf("outsider sees %v", got)
		}
		// room.list goes to the caller only.
		barrier(t, a)
		if n := a.Pending(protocol.DispatchRoomList); n != 1 {
			t.Fatalf("A has %d room lists, want only its own", n)
		}
	})
}

func TestRoomMessages(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, outsider := h.dial(t, 1), h.dial(t, 3)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2}})
		for i := 1; i <= 7; i++ {
			send(t, a, room.ID, fmt.Sprint(i))
		}
		type keyset struct {
			Data struct {
				RoomID   string        `json:"room_id"`
				Messages []wireMessage `json:"messages"`
			} `json:"data"`
			HasMore *bool `json:"has_more"`
		}
		seqs := func(k keyset) []int64 {
			var out []int64
			for _, m := range k.Data.Messages {
				out = append(out, m.Seq)
			}
			return out
		}
		for name, tc := range map[string]struct {
			data map[string]any
			want []int64
			more bool
		}{
			"newest by default":          {map[string]any{"limit": 3}, []int64{7, 6, 5}, true},
			"before_seq":                 {map[string]any{"before_seq": 3, "limit": 5}, []int64{2, 1}, false},
			"after_seq":                  {map[string]any{"after_seq": 4, "limit": 2}, []int64{5, 6}, true},
			"after_seq to the end":       {map[string]any{"after_seq": 5}, []int64{6, 7}, false},
			"after_seq 0 from the start": {map[string]any{"after_seq": 0, "limit": 3}, []int64{1, 2, 3}, true},
		} {
			t.Run(name, func(t *testing.T) {
				tc.data["room_id"] = room.ID
				k := decode[keyset](t, request(t, a, protocol.EventRoomMessages, tc.data))
				if fmt.Sprint(seqs(k)) != fmt.Sprint(tc.want) || k.HasMore == nil || *k.HasMore != tc.more || k.Data.RoomID != room.ID {
					t.Fatalf("got %v has_more %v, want %v %v", seqs(k), k.HasMore, tc.want, tc.more)
				}
			})
		}
		page := decode[map[string]any](t, request(t, a, protocol.EventRoomMessages, map[string]any{"room_id": room.ID, "paginate": map[string]any{"page": 2, "size": 3}}))
		msgs := page["data"].(map[string]any)["messages"].([]any)
		if len(msgs) != 3 || msgs[0].(map[string]any)["seq"] != 4.0 || page["has_next"] != true || page["has_previous"] != true ||
			page["next_page_number"] != 3.0 || page["prev_page_number"] != 1.0 {
			t.Fatalf("page 2 = %v", page)
		}
		wantCode(t, requestErr(t, outsider, protocol.EventRoomMessages, map[string]any{"room_id": room.ID}), protocol.CodePermissionDenied)
		wantCode(t, requestErr(t, a, protocol.EventRoomMessages, map[string]any{"room_id": room.ID, "limit": 500}), protocol.CodeInvalid)
		wantCode(t, requestErr(t, a, protocol.EventRoomMessages, map[string]any{"room_id": room.ID, "before_seq": 3, "after_seq": 1}), protocol.CodeInvalid)
	})
}

func TestIdempotentSend(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		data := map[string]any{"room_id": room.ID, "content": "once", "client_msg_id": "abc-1"}
		first := decode[wireMessage](t, request(t, a, protocol.EventMessageSend, data))
		second := decode[wireMessage](t, request(t, a, protocol.EventMessageSend, data))
		if first.ID != second.ID || second.Seq != 1 || second.ClientMsgID == nil || *second.ClientMsgID != "abc-1" {
			t.Fatalf("first %+v, second %+v", first, second)
		}
		barrier(t, b)
		if n := b.Pending(protocol.DispatchMessage); n != 1 {
			t.Fatalf("B received %d message.dispatch, want 1: a retry goes to the caller only", n)
		}
		var n int
		if err := h.db.NewSelect().Table("rtchat_messages").ColumnExpr("count(*)").Scan(testCtx(t), &n); err != nil || n != 1 {
			t.Fatalf("messages = %d (%v), want 1", n, err)
		}
		// Another user may use the same client_msg_id.
		if m := decode[wireMessage](t, request(t, b, protocol.EventMessageSend, data)); m.Seq != 2 {
			t.Fatalf("B's message = %+v", m)
		}
	})
}

func TestConcurrentSendsKeepOneOrder(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		const members = 5
		conns := make([]*client.Client, members)
		for i := range conns {
			conns[i] = h.dial(t, int64(i+1))
		}
		room := createRoom(t, conns[0], map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 3, 4, 5}})
		for _, c := range conns[1:] {
			next(t, c, protocol.DispatchRoomCreate)
		}
		var wg sync.WaitGroup
		for i, c := range conns {
			wg.Go(func() {
				if _, err := c.SendMessage(testCtx(t), room.ID, fmt.Sprint("from ", i+1)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		var want []string
		for i, c := range conns {
			var got []string
			for seq := int64(1); seq <= members; seq++ {
				m := decode[wireMessage](t, next(t, c, protocol.DispatchMessage))
				if m.Seq != seq {
					t.Fatalf("member %d got seq %d, want %d", i+1, m.Seq, seq)
				}
				got = append(got, m.ID)
			}
			if want == nil {
				want = got
			} else if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("member %d order %v, member 1 order %v", i+1, got, want)
			}
		}
	})
}

func TestHeartbeat(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		f := request(t, a, protocol.EventSessionHeartbeat, nil)
		if f.EventType != protocol.DispatchHeartbeat || f.Status != "success" {
			t.Fatalf("heartbeat answered %+v", f)
		}
	})
}

func TestBadInputKeepsConnection(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		stranger := h.dial(t, 9)
		for name, tc := range map[string]struct {
			c      *client.Client
			frame  string
			binary bool
			code   int
			detail string
		}{
			"malformed JSON":        {a, `{"event_type": "room.list",`, false, protocol.CodeInvalid, protocol.DetailMalformedFrame},
			"JSON array":            {a, `[1, 2, 3]`, false, protocol.CodeInvalid, protocol.DetailMalformedFrame},
			"JSON string":           {a, `"room.list"`, false, protocol.CodeInvalid, protocol.DetailMalformedFrame},
			"binary frame":          {a, `{"event_type":"room.list"}`, true, protocol.CodeInvalid, protocol.DetailBinaryFrame},
			"unknown event":         {a, `{"event_type":"room.explode","request_id":"x"}`, false, protocol.CodeInvalid, protocol.DetailInvalidEventType},
			"missing event_type":    {a, `{"data":{}}`, false, protocol.CodeInvalid, protocol.DetailInvalidEventType},
			"event_type not string": {a, `{"event_type":7}`, false, protocol.CodeInvalid, protocol.DetailInvalidEventType},
			"request_id too long":   {a, `{"event_type":"room.list","request_id":"` + strings.Repeat("x", 65) + `"}`, false, protocol.CodeInvalid, ""},
			"missing room_id":       {a, `{"event_type":"message.send","data":{"content":"hi"}}`, false, protocol.CodeInvalid, ""},
			"missing content":       {a, `{"event_type":"message.send","data":{"room_id":"` + room.ID + `"}}`, false, protocol.CodeInvalid, ""},
			"content wrong type":    {a, `{"event_type":"message.send","data":{"room_id":"` + room.ID + `","content":5}}`, false, protocol.CodeInvalid, ""},
			"data not an object":    {a, `{"event_type":"room.info","data":[1]}`, false, protocol.CodeInvalid, ""},
			"room_id not a uuid":    {a, `{"event_type":"room.info","data":{"room_id":"nope"}}`, false, protocol.CodeInvalid, ""},
			"content only markup":   {a, `{"event_type":"message.send","data":{"room_id":"` + room.ID + `","content":"<script>x</script>"}}`, false, protocol.CodeInvalid, ""},
			"content too long":      {a, `{"event_type":"message.send","data":{"room_id":"` + room.ID + `","content":"` + strings.Repeat("é", 10_001) + `"}}`, false, protocol.CodeInvalid, ""},
			"not a member":          {stranger, `{"event_type":"message.send","data":{"room_id":"` + room.ID + `","content":"hi"}}`, false, protocol.CodePermissionDenied, ""},
			"unknown room":          {a, `{"event_type":"message.send","data":{"room_id":"6f1c3a52-0000-4000-8000-000000000000","content":"hi"}}`, false, protocol.CodeNotFound, protocol.DetailNotFound},
		} {
			t.Run(name, func(t *testing.T) {
				typ := websocket.TextMessage
				if tc.binary {
					typ = websocket.BinaryMessage
				}
				if err := tc.c.SendRaw(testCtx(t), typ, []byte(tc.frame)); err != nil {
					t.Fatal(err)
				}
				f, err := tc.c.NextError(testCtx(t))
				if err != nil {
					t.Fatal(err)
				}
				wantCode(t, f.Error, tc.code)
				if tc.detail != "" && f.Error.Detail != tc.detail {
					t.Fatalf("detail = %v, want %q", f.Error.Detail, tc.detail)
				}
				if tc.code == protocol.CodeInvalid && tc.detail == "" {
					if _, ok := f.Error.Detail.(map[string]any); !ok {
						t.Fatalf("validation detail = %#v, want field -> messages", f.Error.Detail)
					}
				}
				barrier(t, tc.c) // the connection still works
			})
		}
		// Nothing was stored by any of it.
		var n int
		if err := h.db.NewSelect().Table("rtchat_messages").ColumnExpr("count(*)").Scan(testCtx(t), &n); err != nil || n != 0 {
			t.Fatalf("messages = %d (%v), want 0", n, err)
		}
		// The request_id comes back on error frames.
		f, err := a.Request(testCtx(t), "room.explode", nil)
		if pe, ok := protocol.AsError(err); !ok || pe.Code != protocol.CodeInvalid || f.ErrorEvent != "room.explode" {
			t.Fatalf("unknown event via Request: %+v %v", f, err)
		}
	})
}

func TestOversizeFrameCloses1009(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		big := `{"event_type":"room.list","data":{"x":"` + strings.Repeat("x", 70<<10) + `"}}`
		if err := a.SendRaw(testCtx(t), websocket.TextMessage, []byte(big)); err != nil {
			// The server may refuse the frame and close before the client
			// has finished writing it; the close code below is the check.
			t.Logf("writing the oversize frame: %v", err)
		}
		select {
		case <-a.Closed():
		case <-testCtx(t).Done():
			t.Fatal("connection not closed")
		}
		if code := a.CloseCode(); code != protocol.CloseMessageTooBig {
			t.Fatalf("close code %d (%v), want 1009", code, a.CloseError())
		}
		// A frame just under the limit is fine on a new connection.
		b := h.dial(t, 1)
		ok := `{"event_type":"session.heartbeat","data":{"x":"` + strings.Repeat("x", 60<<10) + `"}}`
		if err := b.SendRaw(testCtx(t), websocket.TextMessage, []byte(ok)); err != nil {
			t.Fatal(err)
		}
		next(t, b, protocol.DispatchHeartbeat)
	})
}

func TestHandshake(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ctx := testCtx(t)
		for name, tc := range map[string]struct {
			opts []client.Option
			want int
		}{
			"no user":                 {nil, http.StatusUnauthorized},
			"bad token":               {[]client.Option{client.WithToken("x")}, http.StatusUnauthorized},
			"foreign origin":          {[]client.Option{client.WithToken("1"), client.WithHeader(http.Header{"Origin": {"http://evil.example"}})}, http.StatusForbidden},
			"allowed origin":          {[]client.Option{client.WithToken("1"), client.WithHeader(http.Header{"Origin": {"https://app.example"}})}, 0},
			"same origin":             {[]client.Option{client.WithToken("1"), client.WithHeader(http.Header{"Origin": {h.srv.URL}})}, 0},
			"no origin (non-browser)": {[]client.Option{client.WithToken("1")}, 0},
		} {
			t.Run(name, func(t *testing.T) {
				c, err := client.Dial(ctx, h.url, tc.opts...)
				if tc.want == 0 {
					if err != nil {
						t.Fatal(err)
					}
					_ = c.Close()
					return
				}
				var he *client.HandshakeError
				if !errors.As(err, &he) || he.StatusCode != tc.want {
					t.Fatalf("err = %v, want HTTP %d", err, tc.want)
				}
			})
		}
	}, rtchat.WithAllowedOrigins("https://app.example"))
}

func TestUnknownUsersAreNotFound(t *testing.T) {
	known := func(_ context.Context, ids []int64) (map[int64]rtchat.User, error) {
		out := map[int64]rtchat.User{}
		for _, id := range ids {
			if id <= 10 {
				out[id] = rtchat.User{ID: id, Username: fmt.Sprint("user", id), Email: fmt.Sprint("u", id, "@example.com")}
			}
		}
		return out, nil
	}
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		wantCode(t, requestErr(t, a, protocol.EventRoomCreate, map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2, 99}}), protocol.CodeNotFound)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		if u := room.Participants[0]; !strings.HasPrefix(u.Username, "user") {
			t.Fatalf("participant = %+v, want the looked-up username", u)
		}
	}, rtchat.WithUserLookup(known))
}
