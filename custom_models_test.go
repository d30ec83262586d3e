package rtchat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/broker"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/brokertest"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// appMessage is an app's message: rtchat's and three columns of its own,
// those of the original's custom-message example.
type appMessage struct {
	model.Message `bun:",extend"`

	Priority string         `bun:"priority,notnull" json:"priority" validate:"oneof=low normal high urgent critical"`
	Metadata map[string]any `bun:"metadata" json:"metadata"`
	IsPinned bool           `bun:"is_pinned,notnull" json:"is_pinned"`
}

// column is one column an app adds to a table: its type on each dialect.
type column struct{ name, pg, sqlite string }

// addColumns is the app's own migration: it adds its columns to one of
// rtchat's tables, after Migrate.
func addColumns(t testing.TB, db *bun.DB, table string, cols ...column) {
	t.Helper()
	for _, c := range cols {
		typ := c.sqlite
		if db.Dialect().Name() == dialect.PG {
			typ = c.pg
		}
		if _, err := db.ExecContext(testCtx(t), "ALTER TABLE "+table+" ADD COLUMN "+c.name+" "+typ); err != nil {
			t.Fatalf("add column %s.%s: %v", table, c.name, err)
		}
	}
}

var messageColumns = []column{
	{"priority", "VARCHAR(16) NOT NULL DEFAULT 'normal'", "TEXT NOT NULL DEFAULT 'normal'"},
	{"metadata", "JSONB", "TEXT"},
	{"is_pinned", "BOOLEAN NOT NULL DEFAULT FALSE", "BOOLEAN NOT NULL DEFAULT 0"},
}

func customMessageOptions() []rtchat.Option {
	return []rtchat.Option{
		rtchat.WithModel("Message", &appMessage{Priority: "normal"}),
		rtchat.WithSerializer("Message", serializer.MessageWithFields(serializer.Default("Message"), "priority", "metadata", "is_pinned")),
	}
}

// wantFields checks the app's fields of a wire message.
func wantFields(t testing.TB, what string, m map[string]any, priority string, metadata any, pinned bool) {
	t.Helper()
	if m["priority"] != priority || fmt.Sprint(m["metadata"]) != fmt.Sprint(metadata) || m["is_pinned"] != pinned {
		t.Fatalf("%s: priority %v, metadata %v, is_pinned %v; want %v, %v, %v", what, m["priority"], m["metadata"], m["is_pinned"], priority, metadata, pinned)
	}
}

func TestCustomMessageModel(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		addColumns(t, h.db, "rtchat_messages", messageColumns...)
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2}})
		next(t, b, protocol.DispatchRoomCreate)

		// Without fields: the template's defaults, on both connections.
		_, plain := sendFull(t, a, map[string]any{"room_id": room.ID, "content": "plain"})
		wantFields(t, "plain send", plain, "normal", nil, false)
		wantFields(t, "plain, as received", decode[map[string]any](t, next(t, b, protocol.DispatchMessage)), "normal", nil, false)
		checkStored := func(id, priority string, pinned bool) {
			t.Helper()
			if n := h.count(t, "rtchat_messages", "id = ? AND priority = ? AND is_pinned = ?", id, priority, pinned); n != 1 {
				t.Fatalf("message %s is not stored with priority %s, is_pinned %v", id, priority, pinned)
			}
		}
		checkStored(plain["id"].(string), "normal", false)

		// With fields.
		_, urgent := sendFull(t, a, map[string]any{"room_id": room.ID, "content": "fire", "client_msg_id": "c-1",
			"extra_fields": map[string]any{"priority": "urgent", "metadata": map[string]any{"k": "v"}, "is_pinned": true}})
		wantFields(t, "send with fields", urgent, "urgent", map[string]any{"k": "v"}, true)
		next(t, b, protocol.DispatchMessage)
		checkStored(urgent["id"].(string), "urgent", true)

		// Refused: nothing stored, the field named.
		before := h.count(t, "rtchat_messages", "")
		for name, ef := range map[string]map[string]any{
			"priority not in the list": {"priority": "whenever"},
			"pinned not a boolean":     {"is_pinned": "yes"},
			"metadata not an object":   {"metadata": 3},
		} {
			pe := requestErr(t, a, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "x", "extra_fields": ef})
			wantCode(t, pe, protocol.CodeInvalid)
			for k := range ef {
				if !strings.Contains(fmt.Sprint(pe.Detail), "extra_fields."+k) {
					t.Fatalf("%s: detail %v does not name extra_fields.%s", name, pe.Detail, k)
				}
			}
		}
		if n := h.count(t, "rtchat_messages", ""); n != before {
			t.Fatalf("refused sends stored %d messages", n-before)
		}

		// The client_msg_id replay shows the stored fields.
		_, replay := sendFull(t, a, map[string]any{"room_id": room.ID, "content": "fire", "client_msg_id": "c-1"})
		if replay["id"] != urgent["id"] {
			t.Fatalf("replay answered %v, want %v", replay["id"], urgent["id"])
		}
		wantFields(t, "replay", replay, "urgent", map[string]any{"k": "v"}, true)

		// A reply shows its parent's fields.
		_, reply := sendFull(t, b, map[string]any{"room_id": room.ID, "content": "on it",
			"extra_fields": map[string]any{"parent_message_id": urgent["id"], "priority": "low"}})
		wantFields(t, "reply", reply, "low", nil, false)
		wantFields(t, "reply's parent", reply["parent_message"].(map[string]any), "urgent", map[string]any{"k": "v"}, true)
		next(t, a, protocol.DispatchMessage)

		// Modify the fields alone: no edit.
		id := plain["id"].(string)
		f := request(t, a, protocol.EventMessageModify, map[string]any{"action": "update", "message_id": id,
			"extra_fields": map[string]any{"is_pinned": true, "priority": "high"}})
		mod := decode[map[string]any](t, f)["message"].(map[string]any)
		wantFields(t, "modified fields", mod, "high", nil, true)
		if mod["is_edited"] != false || mod["content"] != "plain" {
			t.Fatalf("changing fields alone edited the message: %v", mod)
		}
		wantFields(t, "modification, as received", decode[map[string]any](t, next(t, b, protocol.DispatchModification))["message"].(map[string]any), "high", nil, true)
		checkStored(id, "high", true)
		if n := h.count(t, "rtchat_message_edits", "message_id = ?", id); n != 0 {
			t.Fatalf("changing fields alone wrote %d edit history rows", n)
		}
		// With content: an edit, and the fields given change.
		f = request(t, a, protocol.EventMessageModify, map[string]any{"action": "update", "message_id": id,
			"extra_fields": map[string]any{"content": "plain, edited", "metadata": map[string]any{"n": 1}}})
		mod = decode[map[string]any](t, f)["message"].(map[string]any)
		wantFields(t, "modified with content", mod, "high", map[string]any{"n": 1}, true)
		if mod["is_edited"] != true || mod["content"] != "plain, edited" {
			t.Fatalf("the content change is not an edit: %v", mod)
		}
		next(t, b, protocol.DispatchModification)
		if n := h.count(t, "rtchat_message_edits", "message_id = ?", id); n != 1 {
			t.Fatalf("edit history has %d rows, want 1", n)
		}
		// A bad value changes nothing; an unknown field is refused.
		for _, ef := range []map[string]any{{"priority": "someday"}, {"colour": "red"}, {}} {
			pe := requestErr(t, a, protocol.EventMessageModify, map[string]any{"action": "update", "message_id": id, "extra_fields": ef})
			wantCode(t, pe, protocol.CodeInvalid)
		}
		checkStored(id, "high", true)

		// History, newest first and after a seq, shows the fields.
		page := decode[map[string]any](t, request(t, b, protocol.EventRoomMessages, map[string]any{"room_id": room.ID}))
		msgs := page["data"].(map[string]any)["messages"].([]any)
		if len(msgs) != 3 {
			t.Fatalf("history has %d messages, want 3", len(msgs))
		}
		wantFields(t, "history reply", msgs[0].(map[string]any), "low", nil, false)
		wantFields(t, "history reply's parent", msgs[0].(map[string]any)["parent_message"].(map[string]any), "urgent", map[string]any{"k": "v"}, true)
		wantFields(t, "history first", msgs[2].(map[string]any), "high", map[string]any{"n": 1}, true)
		page = decode[map[string]any](t, request(t, b, protocol.EventRoomMessages, map[string]any{"room_id": room.ID, "after_seq": 1}))
		msgs = page["data"].(map[string]any)["messages"].([]any)
		if len(msgs) != 2 {
			t.Fatalf("history after seq 1 has %d messages, want 2", len(msgs))
		}
		wantFields(t, "history after seq 1", msgs[0].(map[string]any), "urgent", map[string]any{"k": "v"}, true)

		// Pending notifications on connect carry the message's fields.
		c, err := client.Dial(testCtx(t), h.node(2).url, client.WithToken("2"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		notes := decode[map[string][]map[string]any](t, next(t, c, protocol.DispatchNotifications))[room.ID]
		found := false
		for _, n := range notes {
			if msg := n["message"].(map[string]any); msg["id"] == urgent["id"] {
				wantFields(t, "pending notification", msg, "urgent", map[string]any{"k": "v"}, true)
				found = true
			}
		}
		if !found {
			t.Fatalf("no pending notification of the urgent message in %v", notes)
		}
	}, customMessageOptions()...)
}

// TestCustomMessageModelGapFill: a message a node missed on the broker is
// read from the database (the catch-up of seq-ordered delivery) with the
// app's fields.
func TestCustomMessageModelGapFill(t *testing.T) {
	eachCluster(t, 5, func(t *testing.T, cl *asyncCluster) {
		addColumns(t, cl.nodes[0].db, "rtchat_messages", messageColumns...)
		ms, rooms := groupOnCluster(t, cl, 1, 1)
		room := rooms[0]
		cl.net.SetFilter(func(to int, m broker.Message) brokertest.Fate {
			if to == 1 && m.Kind == broker.KindRoom && m.Room == room.ID && m.Seq == 1 {
				return brokertest.Drop
			}
			return brokertest.Deliver
		})
		for _, p := range []string{"critical", "low"} {
			sendFull(t, ms[0].c, map[string]any{"room_id": room.ID, "content": p, "extra_fields": map[string]any{"priority": p}})
		}
		for _, want := range []string{"critical", "low"} {
			got := decode[map[string]any](t, next(t, ms[1].c, protocol.DispatchMessage))
			wantFields(t, "message of node 1", got, want, nil, false)
		}
	}, customMessageOptions()...)
}

// appMember is an app's membership with a column its permission rule reads.
type appMember struct {
	model.Member `bun:",extend"`

	Muted bool   `bun:"muted,notnull"`
	Note  string `bun:"note,notnull"`
}

// muteRule refuses sends from muted members.
type muteRule struct{ rtchat.DefaultPermissions }

func (r muteRule) CanSend(ctx context.Context, c rtchat.PermissionCheck) error {
	if m, ok := c.Member.Custom.(*appMember); ok && m.Muted {
		return protocol.NewError(protocol.CodePermissionDenied, "You are muted.")
	}
	return r.DefaultPermissions.CanSend(ctx, c)
}

func TestCustomMemberModel(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		addColumns(t, h.db, "rtchat_members",
			column{"muted", "BOOLEAN NOT NULL DEFAULT FALSE", "BOOLEAN NOT NULL DEFAULT 0"},
			column{"note", "TEXT NOT NULL DEFAULT ''", "TEXT NOT NULL DEFAULT ''"})
		a, b := h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2}})
		next(t, b, protocol.DispatchRoomCreate)
		if n := h.count(t, "rtchat_members", "room_id = ? AND note = ?", room.ID, "from the template"); n != 2 {
			t.Fatalf("%d members have the template's note, want 2", n)
		}
		send(t, b, room.ID, "before")
		next(t, a, protocol.DispatchMessage)
		// The app mutes user 2 with its own write.
		if _, err := h.db.NewUpdate().Table("rtchat_members").Set("muted = ?", true).
			Where("room_id = ? AND user_id = ?", room.ID, 2).Exec(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		before := h.count(t, "rtchat_messages", "")
		wantCode(t, requestErr(t, b, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "muted"}), protocol.CodePermissionDenied)
		if n := h.count(t, "rtchat_messages", ""); n != before {
			t.Fatal("a muted member's send was stored")
		}
		send(t, a, room.ID, "still open")
	}, rtchat.WithModel("Member", &appMember{Note: "from the template"}), rtchat.WithPermissionHandler(muteRule{}))
}

// The app's reaction, attachment, read receipt, notification and session.
type (
	appReaction struct {
		model.Reaction `bun:",extend"`
		Weight         int `bun:"weight,notnull"`
	}
	appAttachment struct {
		model.Attachment `bun:",extend"`
		Scanned          string `bun:"scanned,notnull"`
	}
	appReceipt struct {
		model.ReadReceipt `bun:",extend"`
		Device            string `bun:"device,notnull"`
	}
	appNotification struct {
		model.Notification `bun:",extend"`
		Channel            string `bun:"channel,notnull"`
	}
	appSession struct {
		model.Session `bun:",extend"`
		Client        string `bun:"client,notnull"`
	}
)

// withCustom wraps the default serializer of name with a key read from the
// row's Custom.
func withCustom(name, key string, read func(custom any) any) rtchat.Option {
	base := serializer.Default(name)
	return rtchat.WithSerializer(name, serializer.Func(func(ctx context.Context, v any, us serializer.Users) (any, error) {
		out, err := base.Serialize(ctx, v, us)
		if err != nil {
			return nil, err
		}
		var custom any
		switch v := v.(type) {
		case *model.Reaction:
			custom = v.Custom
		case *model.Attachment:
			custom = v.Custom
		}
		return &serializer.FieldsOut{Base: out, Names: []string{key}, Values: []any{read(custom)}}, nil
	}))
}

func TestCustomRelationModels(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		text := column{"", "TEXT NOT NULL DEFAULT ''", "TEXT NOT NULL DEFAULT ''"}
		addColumns(t, h.db, "rtchat_reactions", column{"weight", "INTEGER NOT NULL DEFAULT 0", "INTEGER NOT NULL DEFAULT 0"})
		for table, col := range map[string]string{"rtchat_attachments": "scanned", "rtchat_read_receipts": "device",
			"rtchat_notifications": "channel", "rtchat_sessions": "client"} {
			text.name = col
			addColumns(t, h.db, table, text)
		}
		a, b := h.dial(t, 1), h.dial(t, 2)
		if n := h.count(t, "rtchat_sessions", "client = ?", "web"); n != 2 {
			t.Fatalf("%d sessions have the template's client, want 2", n)
		}
		room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "team", "participants": []int64{2}})
		next(t, b, protocol.DispatchRoomCreate)
		media := []map[string]any{{"media_url": "https://cdn.example/a.png", "media_type": "image", "mime_type": "image/png", "file_size": 10}}
		_, m := sendFull(t, a, map[string]any{"room_id": room.ID, "content": "look", "extra_fields": map[string]any{"media": media}})
		if got := m["attachments"].([]any)[0].(map[string]any)["scanned"]; got != "pending" {
			t.Fatalf("new attachment shows scanned %v, want the template's pending", got)
		}
		next(t, b, protocol.DispatchMessage)
		id := m["id"].(string)
		if n := h.count(t, "rtchat_attachments", "message_id = ? AND scanned = ?", id, "pending"); n != 1 {
			t.Fatal("the attachment is not stored with the template's scanned")
		}
		f := request(t, b, protocol.EventMessageReact, map[string]any{"type": "add", "message_id": id, "reaction_content": "+1"})
		rx := decode[map[string]any](t, f)["message"].(map[string]any)["reactions"].([]any)[0].(map[string]any)
		if rx["weight"] != float64(3) {
			t.Fatalf("reaction shows weight %v, want the template's 3", rx["weight"])
		}
		next(t, a, protocol.DispatchReaction)
		if n := h.count(t, "rtchat_reactions", "message_id = ? AND weight = ?", id, 3); n != 1 {
			t.Fatal("the reaction is not stored with the template's weight")
		}
		if n := h.count(t, "rtchat_notifications", "message_id = ? AND channel = ?", id, "push"); n != 1 {
			t.Fatal("the reaction's notification is not stored with the template's channel")
		}
		request(t, b, protocol.EventMessageRead, map[string]any{"message_id": id})
		if n := h.count(t, "rtchat_read_receipts", "message_id = ? AND device = ?", id, "phone"); n != 1 {
			t.Fatal("the read receipt is not stored with the template's device")
		}
		// History reads the app's rows back.
		page := decode[map[string]any](t, request(t, a, protocol.EventRoomMessages, map[string]any{"room_id": room.ID}))
		msg := page["data"].(map[string]any)["messages"].([]any)[0].(map[string]any)
		if got := msg["reactions"].([]any)[0].(map[string]any)["weight"]; got != float64(3) {
			t.Fatalf("history shows reaction weight %v, want 3", got)
		}
		if got := msg["attachments"].([]any)[0].(map[string]any)["scanned"]; got != "pending" {
			t.Fatalf("history shows attachment scanned %v, want pending", got)
		}
	},
		rtchat.WithModel("Reaction", &appReaction{Weight: 3}),
		rtchat.WithModel("Attachment", &appAttachment{Scanned: "pending"}),
		rtchat.WithModel("ReadReceipt", &appReceipt{Device: "phone"}),
		rtchat.WithModel("Notification", &appNotification{Channel: "push"}),
		rtchat.WithModel("Session", &appSession{Client: "web"}),
		withCustom("Reaction", "weight", func(c any) any {
			if r, ok := c.(*appReaction); ok {
				return r.Weight
			}
			return nil
		}),
		withCustom("Attachment", "scanned", func(c any) any {
			if a, ok := c.(*appAttachment); ok {
				return a.Scanned
			}
			return nil
		}),
	)
}

// noExtend embeds model.Message without `bun:",extend"`.
type noExtend struct {
	model.Message
	X int `bun:"x"`
}

func TestBadModels(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	fields := func(names ...string) rtchat.Option {
		return rtchat.WithSerializer("Message", serializer.MessageWithFields(serializer.Default("Message"), names...))
	}
	type badTag struct {
		model.Message `bun:",extend"`
		Level         string `bun:"level" validate:"nosuchcheck"`
	}
	for name, tc := range map[string]struct {
		opts []rtchat.Option
		want string
	}{
		"unknown model":            {[]rtchat.Option{rtchat.WithModel("Banana", &appMessage{})}, `WithModel("Banana")`},
		"Room":                     {[]rtchat.Option{rtchat.WithModel("Room", &appMessage{})}, `WithModel("Room")`},
		"nil":                      {[]rtchat.Option{rtchat.WithModel("Message", nil)}, `WithModel("Message"): template is nil`},
		"nil pointer":              {[]rtchat.Option{rtchat.WithModel("Message", (*appMessage)(nil))}, `WithModel("Message"): template is a nil pointer`},
		"struct, not a pointer":    {[]rtchat.Option{rtchat.WithModel("Message", appMessage{})}, `WithModel("Message"): template is rtchat_test.appMessage`},
		"pointer to a non-struct":  {[]rtchat.Option{rtchat.WithModel("Member", new(int))}, `WithModel("Member"): template is *int`},
		"no embedded model":        {[]rtchat.Option{rtchat.WithModel("Message", &struct{ ID string }{})}, `WithModel("Message"): struct { ID string } does not embed model.Message`},
		"another model embedded":   {[]rtchat.Option{rtchat.WithModel("Message", &appReaction{})}, `WithModel("Message"): rtchat_test.appReaction does not embed model.Message`},
		"embedded without extend":  {[]rtchat.Option{rtchat.WithModel("Message", &noExtend{})}, `WithModel("Message"): rtchat_test.noExtend is table`},
		"field the model lacks":    {append(customMessageOptions(), fields("priority", "colour")), `WithSerializer("Message"): MessageWithFields accepts "colour"`},
		"fields without the model": {[]rtchat.Option{fields("priority")}, `MessageWithFields accepts "priority", which the Message model`},
		"base column as a field":   {[]rtchat.Option{rtchat.WithModel("Message", &appMessage{}), fields("content")}, `accepts "content"`},
		"unknown validate tag":     {[]rtchat.Option{rtchat.WithModel("Message", &badTag{}), fields("level")}, `WithModel("Message"): field level: bad validate tag`},
	} {
		t.Run(name, func(t *testing.T) {
			chat, err := rtchat.New(db, tc.opts...)
			if err == nil {
				_ = chat.Close(context.Background())
				t.Fatalf("New succeeded, want an error with %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
	chat, err := rtchat.New(db, customMessageOptions()...)
	if err != nil {
		t.Fatalf("a good model: %v", err)
	}
	_ = chat.Close(context.Background())
}

// TestCustomSendStatementCount: an app's message and attachment models cost
// message.send no statement: on Postgres their columns go in the one
// statement that stores the message; on SQLite the counts are a plain
// send's (TestSendStatementCount: its search index entry included).
func TestCustomSendStatementCount(t *testing.T) {
	want := map[string]map[string]int{
		"fields":            {"postgres": 2, "sqlite": 7},
		"fields with media": {"postgres": 2, "sqlite": 8},
	}
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			counter := &statementCounter{}
			h := newHarness(t, countedDB(t, kind, counter), append(customMessageOptions(),
				rtchat.WithModel("Attachment", &appAttachment{Scanned: "pending"}), rtchat.WithInactivityThreshold(time.Hour))...)
			addColumns(t, h.db, "rtchat_messages", messageColumns...)
			addColumns(t, h.db, "rtchat_attachments", column{"scanned", "TEXT NOT NULL DEFAULT ''", "TEXT NOT NULL DEFAULT ''"})
			a := h.dial(t, 1)
			g := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "g"})
			ef := map[string]any{"priority": "high", "metadata": map[string]any{"k": "v"}, "is_pinned": true}
			media := map[string]any{"media": []map[string]any{{"media_url": "https://cdn.example/a.png", "media_type": "image", "mime_type": "image/png"}}}
			for k, v := range ef {
				media[k] = v
			}
			for name, data := range map[string]map[string]any{
				"fields":            {"room_id": g.ID, "content": "hi", "extra_fields": ef},
				"fields with media": {"room_id": g.ID, "content": "pic", "extra_fields": media},
			} {
				var f protocol.Frame
				stmts := counter.during(func() {
					var err error
					if f, err = a.Request(testCtx(t), protocol.EventMessageSend, data); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				})
				a.Drain(protocol.DispatchMessage)
				wantFields(t, name, decode[map[string]any](t, f), "high", map[string]any{"k": "v"}, true)
				if got := len(stmts); got != want[name][kind] {
					t.Errorf("%s on %s: %d statements, want %d:\n  %s", name, kind, got, want[name][kind], strings.Join(stmts, "\n  "))
				}
			}
			if n := h.count(t, "rtchat_attachments", "scanned = ?", "pending"); n != 1 {
				t.Fatalf("%d attachments stored with the template's scanned, want 1", n)
			}
		})
	}
}
