package rtchat_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// Message is the app's message: rtchat's, in the same table, with three
// columns of the app's own.
type Message struct {
	model.Message `bun:",extend"`

	Priority string         `bun:"priority,notnull" json:"priority" validate:"oneof=low normal high urgent critical"`
	Metadata map[string]any `bun:"metadata" json:"metadata"`
	IsPinned bool           `bun:"is_pinned,notnull" json:"is_pinned"`
}

// The app replaces the Message model and shows its fields, which
// message.send and message.modify then accept in extra_fields.
func ExampleWithModel() {
	dir, _ := os.MkdirTemp("", "rtchat-example")
	defer os.RemoveAll(dir)
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+filepath.Join(dir, "app.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		log.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1)
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	ctx := context.Background()

	chat, err := rtchat.New(db,
		rtchat.WithHTTPAuth(func(r *http.Request) (int64, error) {
			return strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), 10, 64)
		}),
		// The template's fields are the defaults of new messages.
		rtchat.WithModel("Message", &Message{Priority: "normal"}),
		rtchat.WithSerializer("Message", serializer.MessageWithFields(serializer.Default("Message"), "priority", "metadata", "is_pinned")),
	)
	if err != nil {
		log.Fatal(err)
	}
	if err := chat.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	// The app's own migration adds its columns to rtchat's table (on
	// Postgres: VARCHAR(16), JSONB, BOOLEAN ... DEFAULT FALSE).
	for _, col := range []string{"priority TEXT NOT NULL DEFAULT 'normal'", "metadata TEXT", "is_pinned BOOLEAN NOT NULL DEFAULT 0"} {
		if _, err := db.ExecContext(ctx, "ALTER TABLE rtchat_messages ADD COLUMN "+col); err != nil {
			log.Fatal(err)
		}
	}

	srv := httptest.NewServer(chat)
	defer srv.Close()
	defer chat.Close(ctx)
	alice, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+chat.Path(), client.WithToken("1"))
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()
	f, _ := alice.Request(ctx, "room.create", map[string]any{"type": "GroupChat", "name": "ops", "participants": []int64{2}})
	room, _ := client.Decode[struct{ ID string }](f)

	type shown struct {
		ID       string
		Content  string
		Priority string
		Metadata map[string]any
		IsPinned bool `json:"is_pinned"`
	}
	f, _ = alice.Request(ctx, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "Disk full",
		"extra_fields": map[string]any{"priority": "urgent", "metadata": map[string]any{"host": "db1"}}})
	sent, _ := client.Decode[shown](f)
	fmt.Println(sent.Content, sent.Priority, sent.Metadata["host"], sent.IsPinned)

	_, err = alice.Request(ctx, protocol.EventMessageSend, map[string]any{"room_id": room.ID, "content": "x",
		"extra_fields": map[string]any{"priority": "someday"}})
	fmt.Println(err)

	f, _ = alice.Request(ctx, protocol.EventMessageModify, map[string]any{"action": "update", "message_id": sent.ID,
		"extra_fields": map[string]any{"is_pinned": true}})
	mod, _ := client.Decode[struct{ Message shown }](f)
	fmt.Println(mod.Message.Content, mod.Message.Priority, mod.Message.IsPinned)

	var stored Message
	if err := db.NewSelect().Model(&stored).Where("id = ?", sent.ID).Scan(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(stored.Priority, stored.IsPinned)
	// Output:
	// Disk full urgent db1 false
	// rtchat: code 4003: map[extra_fields.priority:[Must be one of: low normal high urgent critical.]]
	// Disk full urgent true
	// urgent true
}
