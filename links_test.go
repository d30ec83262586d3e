package rtchat_test

import (
	"strings"
	"testing"

	"github.com/rtchat/rtchat/protocol"
)

// hostileURLs are avatars a page must never load or open.
var hostileURLs = map[string]string{
	"javascript":           "javascript:alert(document.cookie)",
	"javascript, mixed":    "JaVaScRiPt:alert(1)",
	"javascript, spaced":   " javascript:alert(1)",
	"data":                 "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
	"vbscript":             "vbscript:msgbox(1)",
	"file":                 "file:///etc/passwd",
	"relative":             "/avatars/1.png",
	"protocol-relative":    "//evil.example/a.png",
	"no host":              "https:///a.png",
	"tab in the scheme":    "java\tscript:alert(1)",
	"backslash host trick": "https:\\\\evil.example\\a.png",
}

// TestRoomAvatarIsAWebURL: a room's avatar is an http(s) URL or "" in
// room.create and room.modify; anything else is 4003 naming avatar and
// stores nothing (issue 12, item 9: javascript: was stored and sent).
func TestRoomAvatarIsAWebURL(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.dial(t, 1), h.dial(t, 2)
		group := func(avatar string) map[string]any {
			return map[string]any{"type": protocol.RoomGroup, "name": "g", "participants": []int64{2},
				"extra_fields": map[string]any{"avatar": avatar}}
		}
		good := createRoom(t, a, group("https://cdn.example/g.png"))
		next(t, b, protocol.DispatchRoomCreate)
		createRoom(t, a, group(""))
		next(t, b, protocol.DispatchRoomCreate)
		createRoom(t, a, group("HTTP://cdn.example/upper.png"))
		next(t, b, protocol.DispatchRoomCreate)
		rooms := h.count(t, "rtchat_rooms", "")

		for name, avatar := range hostileURLs {
			t.Run(name, func(t *testing.T) {
				pe := refuse(t, a, protocol.EventRoomCreate, group(avatar))
				wantCode(t, pe, protocol.CodeInvalid)
				if d, _ := pe.Detail.(map[string]any); len(d) != 1 || d["extra_fields.avatar"] == nil {
					t.Fatalf("room.create detail %v, want extra_fields.avatar", pe.Detail)
				}
				pe = refuse(t, a, protocol.EventRoomModify, modify(good.ID, "update", map[string]any{"avatar": avatar}))
				wantCode(t, pe, protocol.CodeInvalid)
				if d, _ := pe.Detail.(map[string]any); len(d) != 1 || d["data.avatar"] == nil {
					t.Fatalf("room.modify detail %v, want data.avatar", pe.Detail)
				}
			})
		}
		if n := h.count(t, "rtchat_rooms", ""); n != rooms {
			t.Fatalf("%d rooms, want %d: a refused create stored a room", n, rooms)
		}
		if n := h.count(t, "rtchat_rooms", "id = ? AND avatar = ?", good.ID, "https://cdn.example/g.png"); n != 1 {
			t.Fatal("a refused room.modify changed the avatar")
		}
		quiet(t, "user 2", b)

		// An http(s) URL replaces it and "" clears it.
		act(t, a, protocol.EventRoomModify, modify(good.ID, "update", map[string]any{"avatar": "http://cdn.example/new.png"}))
		settle(t, a, b)
		act(t, a, protocol.EventRoomModify, modify(good.ID, "update", map[string]any{"avatar": ""}))
		settle(t, a, b)
		if n := h.count(t, "rtchat_rooms", "id = ? AND avatar = ?", good.ID, ""); n != 1 {
			t.Fatal(`avatar "" did not clear the avatar`)
		}
	})
}

// TestMediaCaptionSanitisedMetadataPlain: a caption is sanitised as content
// is, on every copy and in history; metadata is stored and sent as the plain
// data it was, strings untouched (the page must show it as text).
func TestMediaCaptionSanitisedMetadataPlain(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		md := validMedia()
		md["caption"] = `<img src=x onerror=alert(1)>look <b>here</b><script>steal()</script>`
		md["metadata"] = map[string]any{"title": `<script>alert(1)</script>`, "n": 2.0}
		m, _ := sendFull(t, w.a1, map[string]any{"room_id": w.room.ID, "content": "pic", "extra_fields": map[string]any{"media": []any{md}}})
		const want = `look <b>here</b>`
		check := func(who string, m fullMessage) {
			t.Helper()
			if len(m.Attachments) != 1 {
				t.Fatalf("%s: %d attachments", who, len(m.Attachments))
			}
			att := m.Attachments[0]
			if att.Caption != want {
				t.Fatalf("%s: caption %q, want %q", who, att.Caption, want)
			}
			if att.Metadata["title"] != `<script>alert(1)</script>` || att.Metadata["n"] != 2.0 {
				t.Fatalf("%s: metadata %v, want it as sent", who, att.Metadata)
			}
		}
		check("sender", m)
		for _, f := range receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c) {
			check("member", decode[fullMessage](t, f))
		}
		hist := decode[struct {
			Data struct{ Messages []fullMessage } `json:"data"`
		}](t, request(t, w.b, protocol.EventRoomMessages, roomData(w.room.ID)))
		check("history", hist.Data.Messages[0])
		var stored string
		if err := h.db.NewSelect().Table("rtchat_attachments").Column("caption").Where("message_id = ?", m.ID).Scan(testCtx(t), &stored); err != nil {
			t.Fatal(err)
		}
		if stored != want || strings.Contains(stored, "onerror") {
			t.Fatalf("stored caption %q, want %q", stored, want)
		}
	})
}
