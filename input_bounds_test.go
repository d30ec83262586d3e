package rtchat_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// TestPaginateBounds: room.messages' page is 1 to 1,000,000 and size 1 to
// 200, anything else 4003 naming the field (issue 12, item 8: page 2^62+1
// with size 4 overflowed (page-1)*size to offset 0 and answered the newest
// page).
func TestPaginateBounds(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		for i := range 3 {
			w.sendAll(t, w.a1, fmt.Sprint("m", i))
		}
		page := func(p, size any) map[string]any {
			return roomData(w.room.ID, "paginate", map[string]any{"page": p, "size": size})
		}
		for name, tc := range map[string]struct {
			data  any
			field string
		}{
			"page 2^62+1 (overflows the offset)": {page(json.Number("4611686018427387905"), 4), "paginate.page"},
			"page 2^63 (not an int64)":           {page(json.Number("9223372036854775808"), 4), "paginate.page"},
			"page 1,000,001":                     {page(1_000_001, 200), "paginate.page"},
			"page 0":                             {page(0, 10), "paginate.page"},
			"page -1":                            {page(-1, 10), "paginate.page"},
			"size 0":                             {page(1, 0), "paginate.size"},
			"size 201":                           {page(1, 201), "paginate.size"},
			"size -5":                            {page(2, -5), "paginate.size"},
			"size 2^62":                          {page(1, json.Number("4611686018427387904")), "paginate.size"},
		} {
			t.Run(name, func(t *testing.T) {
				pe := refuse(t, w.a1, protocol.EventRoomMessages, tc.data)
				wantCode(t, pe, protocol.CodeInvalid)
				detail, _ := pe.Detail.(map[string]any)
				if _, ok := detail[tc.field]; !ok || len(detail) != 1 {
					t.Fatalf("detail %v, want an error for %s only", pe.Detail, tc.field)
				}
				w.quiet(t)
			})
		}
		// The bounds themselves are pages: the last one is past the history.
		last := decode[struct {
			Data    struct{ Messages []fullMessage } `json:"data"`
			Page    int                              `json:"page"`
			HasNext bool                             `json:"has_next"`
		}](t, request(t, w.a1, protocol.EventRoomMessages, page(1_000_000, 200)))
		if len(last.Data.Messages) != 0 || last.Page != 1_000_000 || last.HasNext {
			t.Fatalf("page 1,000,000 = %+v, want an empty last page", last)
		}
		first := decode[struct {
			Data struct{ Messages []fullMessage } `json:"data"`
		}](t, request(t, w.a1, protocol.EventRoomMessages, page(1, 200)))
		if len(first.Data.Messages) != 3 {
			t.Fatalf("page 1 holds %d messages, want 3", len(first.Data.Messages))
		}
	})
}

// TestDataMustBeAnObject: every event, those that read no data (room.list,
// session.heartbeat) included, refuses data that is not a JSON object with
// 4003 {"data": [...]} and keeps the connection; missing and null data
// still count as {}.
func TestDataMustBeAnObject(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		c := h.dial(t, 1)
		before := dbState(t, h)
		events := []string{
			protocol.EventMessageSend, protocol.EventMessageAcknowledged, protocol.EventMessageRead,
			protocol.EventMessageReact, protocol.EventMessageEdits, protocol.EventMessageTyping,
			protocol.EventMessageModify, protocol.EventRoomCreate, protocol.EventRoomList, protocol.EventRoomInfo,
			protocol.EventRoomMessages, protocol.EventRoomJoin, protocol.EventRoomLeave, protocol.EventRoomAddMembers,
			protocol.EventRoomRemoveMembers, protocol.EventRoomModify, protocol.EventSessionHeartbeat,
			protocol.EventPresenceQuery, protocol.EventThreadList,
		}
		for _, event := range events {
			for _, data := range []string{`[]`, `[{"room_id":"x"}]`, `"{}"`, `1`, `true`, `false`} {
				f, err := c.Request(testCtx(t), event, json.RawMessage(data))
				pe, ok := protocol.AsError(err)
				if !ok {
					t.Fatalf("%s with data %s: answered %s %s (err %v), want 4003", event, data, f.EventType, f.Data, err)
				}
				detail, _ := pe.Detail.(map[string]any)
				if pe.Code != protocol.CodeInvalid || f.ErrorEvent != event || !slices.Equal(strs(detail["data"]), []string{"must be a JSON object"}) {
					t.Fatalf("%s with data %s: %s %d %v, want 4003 {data: must be a JSON object}", event, data, f.ErrorEvent, pe.Code, pe.Detail)
				}
				c.Drain(client.ErrorKey)
			}
		}
		quiet(t, "user 1", c)
		if after := dbState(t, h); after != before {
			t.Fatalf("non-object data changed the database:\nbefore %s\nafter  %s", before, after)
		}
		// Missing and null data are {} for the events without fields.
		for _, data := range []string{``, `,"data":null`, `,"data":{}`, `,"data": {"ignored": 1}`} {
			for _, event := range []string{protocol.EventRoomList, protocol.EventSessionHeartbeat} {
				frame := fmt.Sprintf(`{"event_type":%q%s,"request_id":"ok"}`, event, data)
				if err := c.SendRaw(testCtx(t), websocket.TextMessage, []byte(frame)); err != nil {
					t.Fatal(err)
				}
				want := protocol.DispatchRoomList
				if event == protocol.EventSessionHeartbeat {
					want = protocol.DispatchHeartbeat
				}
				if f := next(t, c, want); f.RequestID != "ok" {
					t.Fatalf("%s %s: answered %s", event, strings.TrimPrefix(data, ","), f.Data)
				}
			}
		}
		quiet(t, "user 1", c)
	})
}
