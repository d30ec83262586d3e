package rtchat_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// ---- shared fixtures of the message lifecycle tests ----

// fullMessage is the whole wire Message of docs/protocol.md §4.
type fullMessage struct {
	ID            string              `json:"id"`
	Room          struct{ ID string } `json:"room"`
	Sender        wireUser            `json:"sender"`
	Content       string              `json:"content"`
	CreatedAt     time.Time           `json:"created_at"`
	UpdatedAt     time.Time           `json:"updated_at"`
	IsEdited      bool                `json:"is_edited"`
	IsDeleted     bool                `json:"is_deleted"`
	IsForwarded   bool                `json:"is_forwarded"`
	ForwardedFrom *fullMessage        `json:"forwarded_from"`
	ParentMessage *fullMessage        `json:"parent_message"`
	DeliveredTo   []string            `json:"delivered_to"`
	ReadReceipts  []struct {
		Reader wireUser  `json:"reader"`
		ReadAt time.Time `json:"read_at"`
	} `json:"read_receipts"`
	Reactions   []wireReaction   `json:"reactions"`
	Attachments []wireAttachment `json:"attachments"`
	Seq         int64            `json:"seq"`
	ClientMsgID *string          `json:"client_msg_id"`
}

type wireReaction struct {
	ID              string    `json:"id"`
	User            wireUser  `json:"user"`
	ReactionContent string    `json:"reaction_content"`
	CreatedAt       time.Time `json:"created_at"`
}

type wireAttachment struct {
	ID        string         `json:"id"`
	MediaURL  string         `json:"media_url"`
	MediaType string         `json:"media_type"`
	MimeType  string         `json:"mime_type"`
	FileSize  int64          `json:"file_size"`
	Metadata  map[string]any `json:"metadata"`
	Caption   string         `json:"caption"`
}

var (
	messageKeys    = []string{"attachments", "client_msg_id", "content", "created_at", "delivered_to", "forwarded_from", "id", "is_deleted", "is_edited", "is_forwarded", "parent_message", "reactions", "read_receipts", "room", "sender", "seq", "thread_last_reply_at", "thread_reply_count", "thread_root_id", "updated_at"}
	reactionKeys   = []string{"created_at", "id", "reaction_content", "user"}
	receiptKeys    = []string{"read_at", "reader"}
	attachmentKeys = []string{"caption", "file_size", "id", "media_type", "media_url", "metadata", "mime_type"}
	userKeys       = []string{"id", "username"} // no user lookup
)

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// checkMessageShape checks that a wire Message (and what it nests) has
// exactly the keys of docs/protocol.md §4, nested messages one level deep.
func checkMessageShape(t testing.TB, v any, depth int) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("message is %T, want an object", v)
	}
	if got := sortedKeys(m); !slices.Equal(got, messageKeys) {
		t.Fatalf("message keys %v, want %v", got, messageKeys)
	}
	if got := sortedKeys(m["sender"].(map[string]any)); !slices.Equal(got, userKeys) {
		t.Fatalf("sender keys %v", got)
	}
	if got := sortedKeys(m["room"].(map[string]any)); !slices.Equal(got, []string{"id"}) {
		t.Fatalf("room keys %v", got)
	}
	for key, want := range map[string][]string{"reactions": reactionKeys, "read_receipts": receiptKeys, "attachments": attachmentKeys} {
		list, ok := m[key].([]any)
		if !ok {
			t.Fatalf("%s = %#v, want a list", key, m[key])
		}
		for _, e := range list {
			if got := sortedKeys(e.(map[string]any)); !slices.Equal(got, want) {
				t.Fatalf("%s item keys %v, want %v", key, got, want)
			}
		}
	}
	if _, ok := m["delivered_to"].([]any); !ok {
		t.Fatalf("delivered_to = %#v, want a list", m["delivered_to"])
	}
	for _, key := range []string{"parent_message", "forwarded_from"} {
		if m[key] == nil {
			continue
		}
		if depth > 0 {
			t.Fatalf("nested message has %s = %v: nesting must stop at one level", key, m[key])
		}
		checkMessageShape(t, m[key], depth+1)
	}
}

// world is the cast of a scenario: user 1 on two devices (a1, a2), users 2
// (b) and 3 (c), members of one group created by a1, and user 9 (x) who is
// in no room.
type world struct {
	h               *harness
	a1, a2, b, c, x *client.Client
	room            wireRoom
}

func newWorld(t *testing.T, h *harness) *world {
	t.Helper()
	w := &world{h: h, a1: h.dial(t, 1), a2: h.dial(t, 1), b: h.dial(t, 2), c: h.dial(t, 3), x: h.dial(t, 9)}
	w.room = createRoom(t, w.a1, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2, 3}})
	for _, c := range []*client.Client{w.a2, w.b, w.c} {
		next(t, c, protocol.DispatchRoomCreate)
	}
	return w
}

// conns names every connection of the world.
func (w *world) conns() map[string]*client.Client {
	return map[string]*client.Client{"a1": w.a1, "a2": w.a2, "b": w.b, "c": w.c, "x": w.x}
}

// lifecycleEvents are the frames the message events can cause.
var lifecycleEvents = []string{
	protocol.DispatchMessage, protocol.DispatchDelivered, protocol.DispatchReadReceipt, protocol.DispatchReaction,
	protocol.DispatchEdits, protocol.DispatchTyping, protocol.DispatchModification, client.ErrorKey,
}

// quiet asserts that no connection of the world holds an unconsumed
// lifecycle frame, after a barrier on each.
func (w *world) quiet(t testing.TB) {
	t.Helper()
	for name, c := range w.conns() {
		quietConn(t, name, c)
	}
}

// drain discards every lifecycle frame the connections hold.
func (w *world) drain(t testing.TB) {
	for _, c := range w.conns() {
		barrier(t, c)
		for _, ev := range lifecycleEvents {
			c.Drain(ev)
		}
	}
}

func quietConn(t testing.TB, name string, c *client.Client) {
	t.Helper()
	barrier(t, c)
	for _, ev := range lifecycleEvents {
		if n := c.Pending(ev); n != 0 {
			f, _ := c.Next(testCtx(t), ev)
			t.Fatalf("%s: %d unexpected %s frame(s), first: %s %s", name, n, ev, f.Data, errText(f))
		}
	}
}

func errText(f protocol.Frame) string {
	if f.Error == nil {
		return ""
	}
	return fmt.Sprintf("error %d %v", f.Error.Code, f.Error.Detail)
}

// receive takes one event frame from each named connection.
func receive(t testing.TB, event string, conns ...*client.Client) []protocol.Frame {
	t.Helper()
	out := make([]protocol.Frame, len(conns))
	for i, c := range conns {
		out[i] = next(t, c, event)
	}
	return out
}

// sendFull sends data as message.send from c and returns the caller's copy
// of the message.dispatch, leaving the frame queued for receive.
func sendFull(t testing.TB, c *client.Client, data map[string]any) (fullMessage, map[string]any) {
	t.Helper()
	f := request(t, c, protocol.EventMessageSend, data)
	if f.EventType != protocol.DispatchMessage {
		t.Fatalf("message.send answered %s", f.EventType)
	}
	return decode[fullMessage](t, f), decode[map[string]any](t, f)
}

// sendAll sends a text message from w.a1 and consumes its dispatch on every
// member connection.
func (w *world) sendAll(t testing.TB, from *client.Client, content string) fullMessage {
	t.Helper()
	m, _ := sendFull(t, from, map[string]any{"room_id": w.room.ID, "content": content})
	receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c)
	return m
}

// dbState is what the bad-input tests compare before and after: row counts
// of the lifecycle tables and the visible state of messages and members.
func dbState(t testing.TB, h *harness) string {
	t.Helper()
	ctx := testCtx(t)
	var sb strings.Builder
	for _, table := range []string{"rtchat_messages", "rtchat_reactions", "rtchat_read_receipts", "rtchat_deliveries",
		"rtchat_message_edits", "rtchat_notifications", "rtchat_notification_recipients", "rtchat_attachments"} {
		fmt.Fprintf(&sb, "%s=%d ", table, countRows(t, h, table, ""))
	}
	var msgs []struct {
		ID        string `bun:"id"`
		Content   string `bun:"content"`
		IsEdited  bool   `bun:"is_edited"`
		IsDeleted bool   `bun:"is_deleted"`
	}
	if err := h.db.NewSelect().Table("rtchat_messages").Column("id", "content", "is_edited", "is_deleted").Order("id").Scan(ctx, &msgs); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&sb, "\nmessages %+v", msgs)
	var members []struct {
		RoomID string `bun:"room_id"`
		UserID int64  `bun:"user_id"`
		Read   int64  `bun:"last_read_seq"`
		Dlv    int64  `bun:"last_delivered_seq"`
	}
	if err := h.db.NewSelect().Table("rtchat_members").Column("room_id", "user_id", "last_read_seq", "last_delivered_seq").Order("room_id", "user_id").Scan(ctx, &members); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&sb, "\nmembers %+v", members)
	var rx []string
	if err := h.db.NewSelect().Table("rtchat_reactions").ColumnExpr("reaction_content").Order("reaction_content").Scan(ctx, &rx); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&sb, "\nreactions %q", rx)
	return sb.String()
}

// countRows counts the rows of table matching where (all when "").
func countRows(t testing.TB, h *harness, table, where string, args ...any) int {
	t.Helper()
	q := h.db.NewSelect().Table(table).ColumnExpr("count(*)")
	if where != "" {
		q = q.Where(where, args...)
	}
	var n int
	if err := q.Scan(testCtx(t), &n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// badCase is one bad request and the code it must get.
type badCase struct {
	c    *client.Client // nil: the world's a1
	data any            // marshalled as the event's data; a json.RawMessage is sent as is
	code int
}

// runBad sends each bad case of event and checks its code, that the
// connection still works, that no connection got anything else and that the
// database did not change.
func runBad(t *testing.T, w *world, event string, cases map[string]badCase) {
	t.Helper()
	before := dbState(t, w.h)
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		tc := cases[name]
		t.Run(name, func(t *testing.T) {
			defer w.drain(t) // a failed case must not spill into the next
			c := tc.c
			if c == nil {
				c = w.a1
			}
			f, err := c.Request(testCtx(t), event, tc.data)
			pe, ok := protocol.AsError(err)
			if !ok {
				t.Fatalf("%s %s: want error %d, got %s %s (err %v)", event, name, tc.code, f.EventType, f.Data, err)
			}
			if pe.Code != tc.code {
				t.Fatalf("%s %s: code %d (%v), want %d", event, name, pe.Code, pe.Detail, tc.code)
			}
			if f.ErrorEvent != event {
				t.Fatalf("error frame names event %q, want %q", f.ErrorEvent, event)
			}
			c.Drain(client.ErrorKey)
			w.quiet(t) // the connection still works and nobody got anything
		})
	}
	if after := dbState(t, w.h); after != before {
		t.Fatalf("bad %s input changed the database:\nbefore %s\nafter  %s", event, before, after)
	}
}

const unknownID = "6f1c3a52-0000-4000-8000-000000000000"

// ---- message.send ----

func TestSendReachesTheRoomOnly(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		m, raw := sendFull(t, w.a1, map[string]any{"room_id": w.room.ID, "content": "<b>hello</b> <script>x()</script>world", "client_msg_id": "c-1"})
		checkMessageShape(t, raw, 0)
		if m.Content != "<b>hello</b> world" || m.Seq != 1 || m.Sender.ID != 1 || m.Sender.Username != "1" || m.Room.ID != w.room.ID ||
			m.IsEdited || m.IsDeleted || m.IsForwarded || m.ForwardedFrom != nil || m.ParentMessage != nil ||
			len(m.DeliveredTo)+len(m.ReadReceipts)+len(m.Reactions)+len(m.Attachments) != 0 ||
			m.ClientMsgID == nil || *m.ClientMsgID != "c-1" || m.CreatedAt.IsZero() {
			t.Fatalf("dispatched message = %+v", m)
		}
		for i, f := range receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c) {
			if got := decode[fullMessage](t, f); got.ID != m.ID || got.Content != m.Content {
				t.Fatalf("connection %d got %+v", i, got)
			}
		}
		w.quiet(t) // x is in no room; nobody got two copies
		if n := countRows(t, h, "rtchat_messages", ""); n != 1 {
			t.Fatalf("messages = %d", n)
		}
	})
}

func TestSendReply(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		parent := w.sendAll(t, w.a1, "question")
		reply, raw := sendFull(t, w.b, map[string]any{"room_id": w.room.ID, "content": "answer", "extra_fields": map[string]any{"parent_message_id": parent.ID}})
		checkMessageShape(t, raw, 0)
		if reply.ParentMessage == nil || reply.ParentMessage.ID != parent.ID || reply.ParentMessage.Content != "question" ||
			reply.ParentMessage.Sender.ID != 1 || reply.IsForwarded || reply.ForwardedFrom != nil {
			t.Fatalf("reply = %+v", reply)
		}
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c)
		// A reply to a reply nests one level only.
		second, raw := sendFull(t, w.c, map[string]any{"room_id": w.room.ID, "content": "more", "extra_fields": map[string]any{"parent_message_id": reply.ID}})
		checkMessageShape(t, raw, 0)
		if second.ParentMessage == nil || second.ParentMessage.ID != reply.ID || second.ParentMessage.ParentMessage != nil {
			t.Fatalf("reply to reply = %+v", second)
		}
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c)
		w.quiet(t)
		// History shows the relation too.
		hist := decode[struct {
			Data struct{ Messages []fullMessage } `json:"data"`
		}](t, request(t, w.b, protocol.EventRoomMessages, map[string]any{"room_id": w.room.ID}))
		if len(hist.Data.Messages) != 3 || hist.Data.Messages[1].ParentMessage == nil || hist.Data.Messages[1].ParentMessage.ID != parent.ID {
			t.Fatalf("history = %+v", hist.Data.Messages)
		}
	})
}

func TestSendForward(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		orig := w.sendAll(t, w.b, "original")
		reply, _ := sendFull(t, w.a1, map[string]any{"room_id": w.room.ID, "content": "re", "extra_fields": map[string]any{"parent_message_id": orig.ID}})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c)
		// A forwards the reply into a 1:1 with user 2; content may be empty.
		dm := createRoom(t, w.a1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.b)
		fwd, raw := sendFull(t, w.a1, map[string]any{"room_id": dm.ID, "content": "", "extra_fields": map[string]any{"forwarded_from_id": reply.ID}})
		checkMessageShape(t, raw, 0)
		if !fwd.IsForwarded || fwd.ForwardedFrom == nil || fwd.ForwardedFrom.ID != reply.ID || fwd.ForwardedFrom.Content != "re" ||
			fwd.ForwardedFrom.ParentMessage != nil || fwd.ParentMessage != nil || fwd.Room.ID != dm.ID || fwd.Seq != 1 {
			t.Fatalf("forward = %+v", fwd)
		}
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b) // c is not in the 1:1
		// Forwarding a forward: the nested one has no forwarded_from.
		again, _ := sendFull(t, w.b, map[string]any{"room_id": w.room.ID, "content": "fwd2", "extra_fields": map[string]any{"forwarded_from_id": fwd.ID}})
		if !again.IsForwarded || again.ForwardedFrom == nil || again.ForwardedFrom.ID != fwd.ID || again.ForwardedFrom.ForwardedFrom != nil {
			t.Fatalf("forward of forward = %+v", again)
		}
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c)
		w.quiet(t)
		var stored struct {
			IsForwarded bool    `bun:"is_forwarded"`
			From        *string `bun:"forwarded_from_id"`
		}
		if err := h.db.NewSelect().Table("rtchat_messages").Column("is_forwarded", "forwarded_from_id").Where("id = ?", fwd.ID).Scan(testCtx(t), &stored); err != nil ||
			!stored.IsForwarded || stored.From == nil || *stored.From != reply.ID {
			t.Fatalf("stored forward = %+v (%v)", stored, err)
		}
	})
}

func TestSendSourceRules(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		mine := w.sendAll(t, w.a1, "in team")
		// A room user 2 is not in: a 1:1 of users 1 and 3.
		private := createRoom(t, w.a1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{3}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.c)
		secret, _ := sendFull(t, w.a1, map[string]any{"room_id": private.ID, "content": "secret"})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.c)
		send := func(parent, forward string) map[string]any {
			ef := map[string]any{}
			if parent != "" {
				ef["parent_message_id"] = parent
			}
			if forward != "" {
				ef["forwarded_from_id"] = forward
			}
			return map[string]any{"room_id": w.room.ID, "content": "x", "extra_fields": ef}
		}
		runBad(t, w, protocol.EventMessageSend, map[string]badCase{
			"reply and forward":        {w.a1, send(mine.ID, mine.ID), protocol.CodeInvalid},
			"reply to unknown":         {w.b, send(unknownID, ""), protocol.CodeNotFound},
			"forward of unknown":       {w.b, send("", unknownID), protocol.CodeNotFound},
			"reply to unreadable":      {w.b, send(secret.ID, ""), protocol.CodePermissionDenied},
			"forward of unreadable":    {w.b, send("", secret.ID), protocol.CodePermissionDenied},
			"parent not a uuid":        {w.b, send("nope", ""), protocol.CodeInvalid},
			"forward not a uuid":       {w.b, send("", "42"), protocol.CodeInvalid},
			"parent wrong type":        {w.b, map[string]any{"room_id": w.room.ID, "content": "x", "extra_fields": map[string]any{"parent_message_id": 7}}, protocol.CodeInvalid},
			"extra_fields not object":  {w.b, map[string]any{"room_id": w.room.ID, "content": "x", "extra_fields": "reply"}, protocol.CodeInvalid},
			"empty content, no media":  {w.b, map[string]any{"room_id": w.room.ID, "content": "", "extra_fields": map[string]any{"parent_message_id": mine.ID}}, protocol.CodeInvalid},
			"outsider replies in room": {w.x, send(mine.ID, ""), protocol.CodePermissionDenied},
		})
	})
}

func validMedia() map[string]any {
	return map[string]any{"media_url": "https://cdn.example/a.png", "media_type": "image", "mime_type": "image/png",
		"file_size": 1234, "metadata": map[string]any{"width": 640.0, "height": 480.0}, "caption": "a cat"}
}

func TestSendMedia(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		doc := map[string]any{"media_url": "https://cdn.example/r.pdf", "media_type": "file", "mime_type": "application/pdf", "file_size": 99}
		media := []any{validMedia(), doc}
		for i := range 4 { // more, so that an order other than the one sent shows
			md := validMedia()
			md["caption"], md["media_type"], md["mime_type"] = fmt.Sprint("clip ", i), "video", "video/mp4"
			media = append(media, md)
		}
		m, raw := sendFull(t, w.a1, map[string]any{"room_id": w.room.ID, "content": "", "extra_fields": map[string]any{"media": media}})
		checkMessageShape(t, raw, 0)
		check := func(who string, m fullMessage) {
			t.Helper()
			if m.Content != "" || len(m.Attachments) != 6 {
				t.Fatalf("%s: message = %+v", who, m)
			}
			var order []string
			for _, a := range m.Attachments {
				order = append(order, a.MimeType+" "+a.Caption)
			}
			want := []string{"image/png a cat", "application/pdf ", "video/mp4 clip 0", "video/mp4 clip 1", "video/mp4 clip 2", "video/mp4 clip 3"}
			if !slices.Equal(order, want) {
				t.Fatalf("%s: attachments in order %q, want the order sent %q", who, order, want)
			}
			img, pdf := m.Attachments[0], m.Attachments[1]
			if img.ID == "" || img.MediaURL != "https://cdn.example/a.png" || img.MediaType != "image" || img.MimeType != "image/png" ||
				img.FileSize != 1234 || img.Metadata["width"] != 640.0 || img.Caption != "a cat" {
				t.Fatalf("%s: image = %+v", who, img)
			}
			if pdf.MimeType != "application/pdf" || pdf.MediaType != "file" || pdf.Metadata == nil || pdf.Caption != "" {
				t.Fatalf("%s: pdf = %+v", who, pdf)
			}
		}
		check("sender", m)
		for i, f := range receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c) {
			check(fmt.Sprint("conn ", i), decode[fullMessage](t, f))
		}
		w.quiet(t)
		if n := countRows(t, h, "rtchat_attachments", "message_id = ?", m.ID); n != 6 {
			t.Fatalf("attachments = %d", n)
		}
		hist := decode[struct {
			Data struct{ Messages []fullMessage } `json:"data"`
		}](t, request(t, w.c, protocol.EventRoomMessages, map[string]any{"room_id": w.room.ID}))
		if len(hist.Data.Messages) != 1 {
			t.Fatalf("history = %+v", hist)
		}
		check("history", hist.Data.Messages[0])
	})
}

func TestSendMediaAllowList(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		// Every MIME type of the allow-list is accepted.
		for _, mime := range []string{"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/heic", "audio/mpeg", "audio/mp4", "audio/aac",
			"audio/ogg", "audio/wav", "audio/opus", "video/mp4", "video/quicktime", "video/webm", "video/ogg", "video/x-msvideo", "video/x-matroska",
			"application/pdf", "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.ms-excel",
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-powerpoint",
			"application/vnd.openxmlformats-officedocument.presentationml.presentation", "text/plain", "text/csv"} {
			md := validMedia()
			md["mime_type"], md["media_type"] = mime, "file"
			sendFull(t, w.b, map[string]any{"room_id": w.room.ID, "content": mime, "extra_fields": map[string]any{"media": []any{md}}})
		}
		if n := countRows(t, h, "rtchat_attachments", ""); n != 27 {
			t.Fatalf("attachments = %d, want 27", n)
		}
		w.drain(t)
	})
}

func TestSendBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		w.sendAll(t, w.a1, "existing")
		ch := createRoom(t, w.a1, map[string]any{"type": protocol.RoomChannel, "name": "news", "subscribers": []int64{2}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.b)
		media := func(change func(m map[string]any)) map[string]any {
			m := validMedia()
			change(m)
			return map[string]any{"room_id": w.room.ID, "content": "", "extra_fields": map[string]any{"media": []any{m}}}
		}
		many := make([]any, 21)
		for i := range many {
			many[i] = validMedia()
		}
		runBad(t, w, protocol.EventMessageSend, map[string]badCase{
			"missing room_id":        {nil, map[string]any{"content": "hi"}, protocol.CodeInvalid},
			"room_id not a uuid":     {nil, map[string]any{"room_id": "r1", "content": "hi"}, protocol.CodeInvalid},
			"room_id a number":       {nil, map[string]any{"room_id": 5, "content": "hi"}, protocol.CodeInvalid},
			"unknown room":           {nil, map[string]any{"room_id": unknownID, "content": "hi"}, protocol.CodeNotFound},
			"not a member":           {w.x, map[string]any{"room_id": w.room.ID, "content": "hi"}, protocol.CodePermissionDenied},
			"channel subscriber":     {w.b, map[string]any{"room_id": ch.ID, "content": "hi"}, protocol.CodePermissionDenied},
			"missing content":        {nil, map[string]any{"room_id": w.room.ID}, protocol.CodeInvalid},
			"blank content":          {nil, map[string]any{"room_id": w.room.ID, "content": "   "}, protocol.CodeInvalid},
			"content a list":         {nil, map[string]any{"room_id": w.room.ID, "content": []string{"a"}}, protocol.CodeInvalid},
			"content 10001 chars":    {nil, map[string]any{"room_id": w.room.ID, "content": strings.Repeat("a", 10_001)}, protocol.CodeInvalid},
			"client_msg_id too long": {nil, map[string]any{"room_id": w.room.ID, "content": "x", "client_msg_id": strings.Repeat("k", 65)}, protocol.CodeInvalid},
			"client_msg_id a number": {nil, map[string]any{"room_id": w.room.ID, "content": "x", "client_msg_id": 12}, protocol.CodeInvalid},
			"data a list":            {nil, json.RawMessage(`[1]`), protocol.CodeInvalid},
			"media not a list":       {nil, map[string]any{"room_id": w.room.ID, "content": "x", "extra_fields": map[string]any{"media": validMedia()}}, protocol.CodeInvalid},
			"media 21 items":         {nil, map[string]any{"room_id": w.room.ID, "content": "x", "extra_fields": map[string]any{"media": many}}, protocol.CodeInvalid},
			"media bad mime":         {nil, media(func(m map[string]any) { m["mime_type"] = "application/x-msdownload" }), protocol.CodeInvalid},
			"media mime case":        {nil, media(func(m map[string]any) { m["mime_type"] = "IMAGE/PNG" }), protocol.CodeInvalid},
			"media missing mime":     {nil, media(func(m map[string]any) { delete(m, "mime_type") }), protocol.CodeInvalid},
			"media bad type":         {nil, media(func(m map[string]any) { m["media_type"] = "sticker" }), protocol.CodeInvalid},
			"media missing type":     {nil, media(func(m map[string]any) { delete(m, "media_type") }), protocol.CodeInvalid},
			"media not a url":        {nil, media(func(m map[string]any) { m["media_url"] = "not a url" }), protocol.CodeInvalid},
			"media relative url":     {nil, media(func(m map[string]any) { m["media_url"] = "/a.png" }), protocol.CodeInvalid},
			"media missing url":      {nil, media(func(m map[string]any) { delete(m, "media_url") }), protocol.CodeInvalid},
			"media negative size":    {nil, media(func(m map[string]any) { m["file_size"] = -1 }), protocol.CodeInvalid},
			"media size a string":    {nil, media(func(m map[string]any) { m["file_size"] = "big" }), protocol.CodeInvalid},
			"media metadata a list":  {nil, media(func(m map[string]any) { m["metadata"] = []int{1} }), protocol.CodeInvalid},
			"media caption too long": {nil, media(func(m map[string]any) { m["caption"] = strings.Repeat("c", 1025) }), protocol.CodeInvalid},
			"media item not object":  {nil, map[string]any{"room_id": w.room.ID, "content": "x", "extra_fields": map[string]any{"media": []any{"https://cdn.example/a.png"}}}, protocol.CodeInvalid},
		})
	})
}

// TestSendMediaURLScheme: media_url is shown by clients as a link or a
// source, so only http(s) URLs may be stored (like the links the content
// sanitiser keeps).
func TestSendMediaURLScheme(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		media := func(url string) map[string]any {
			m := validMedia()
			m["media_url"] = url
			return map[string]any{"room_id": w.room.ID, "content": "", "extra_fields": map[string]any{"media": []any{m}}}
		}
		runBad(t, w, protocol.EventMessageSend, map[string]badCase{
			"javascript: url": {nil, media("javascript:alert(1)"), protocol.CodeInvalid},
			"data: url":       {nil, media("data:text/html,<script>alert(1)</script>"), protocol.CodeInvalid},
			"vbscript: url":   {nil, media("vbscript:msgbox(1)"), protocol.CodeInvalid},
		})
	})
}

func TestSendContentLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		// Characters, not bytes: ten two-byte characters fit.
		if m := w.sendAll(t, w.a1, strings.Repeat("é", 10)); m.Content != strings.Repeat("é", 10) {
			t.Fatalf("content = %q", m.Content)
		}
		runBad(t, w, protocol.EventMessageSend, map[string]badCase{
			"11 characters": {nil, map[string]any{"room_id": w.room.ID, "content": strings.Repeat("é", 11)}, protocol.CodeInvalid},
		})
	}, rtchat.WithMaxContentLength(10))
}

func TestSendDefaultContentLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		if m := w.sendAll(t, w.a1, strings.Repeat("z", 10_000)); len(m.Content) != 10_000 {
			t.Fatalf("content length = %d", len(m.Content))
		}
		w.quiet(t)
	})
}

// itoa64 formats a user id.
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// A reply quotes its parent to the room, so the parent must be of the same
// room; a forward is the sender's deliberate share and may come from any
// room the sender can read.
func TestReplyStaysInItsRoom(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		other := createRoom(t, w.a1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{3}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.c)
		elsewhere, _ := sendFull(t, w.a1, map[string]any{"room_id": other.ID, "content": "from the 1:1"})
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.c)
		runBad(t, w, protocol.EventMessageSend, map[string]badCase{
			"reply to another room's message": {w.a1, map[string]any{"room_id": w.room.ID, "content": "re", "extra_fields": map[string]any{"parent_message_id": elsewhere.ID}}, protocol.CodeInvalid},
		})
		fwd, _ := sendFull(t, w.a1, map[string]any{"room_id": w.room.ID, "content": "", "extra_fields": map[string]any{"forwarded_from_id": elsewhere.ID}})
		if !fwd.IsForwarded || fwd.ForwardedFrom == nil || fwd.ForwardedFrom.ID != elsewhere.ID {
			t.Fatalf("forward = %+v", fwd)
		}
		receive(t, protocol.DispatchMessage, w.a1, w.a2, w.b, w.c)
		w.quiet(t)
	})
}

// A forward from another room shows the source's content and attachments,
// not who read, received or reacted to it there.
func TestForwardHidesTheSourceRoom(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		// A 1:1 of users 1 and 2, where 2 reads and reacts to a message.
		dm := createRoom(t, w.a1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		receive(t, protocol.DispatchRoomCreate, w.a2, w.b)
		src, _ := sendFull(t, w.a1, map[string]any{"room_id": dm.ID, "content": "private", "client_msg_id": "cm-1"})
		receive(t, protocol.DispatchMessage, w.a2, w.b)
		request(t, w.b, protocol.EventMessageRead, map[string]any{"message_id": src.ID})
		request(t, w.b, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": src.ID, "reaction_content": "👍"})
		w.drain(t)
		// User 1 forwards it to the group, where user 3 is.
		sendFull(t, w.a1, map[string]any{"room_id": w.room.ID, "content": "", "extra_fields": map[string]any{"forwarded_from_id": src.ID}})
		got := decode[map[string]any](t, next(t, w.c, protocol.DispatchMessage))
		fwd := got["forwarded_from"].(map[string]any)
		if fwd["content"] != "private" {
			t.Fatalf("forwarded_from = %v", fwd)
		}
		for _, key := range []string{"read_receipts", "reactions", "delivered_to"} {
			if l, _ := fwd[key].([]any); len(l) != 0 {
				t.Fatalf("forwarded_from.%s = %v: the source room's activity leaked", key, fwd[key])
			}
		}
		if fwd["client_msg_id"] != nil {
			t.Fatalf("forwarded_from.client_msg_id = %v", fwd["client_msg_id"])
		}
	})
}
