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
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// readOnlyArchive keeps every default rule and adds one: nobody sends to a
// room whose preferences say "archived": true.
type readOnlyArchive struct{ rtchat.DefaultPermissions }

func (p readOnlyArchive) CanSend(ctx context.Context, c rtchat.PermissionCheck) error {
	if archived, _ := c.Room.Property.Preferences["archived"].(bool); archived {
		return &rtchat.Error{Code: protocol.CodePermissionDenied, Detail: "This room is archived."}
	}
	return p.DefaultPermissions.CanSend(ctx, c)
}

// userFromHeader stands for the app's own auth on plain net/http: the user
// id is the bearer token itself.
func userFromHeader(r *http.Request) (int64, error) {
	return strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), 10, 64)
}

// A custom PermissionHandler embeds DefaultPermissions and overrides one
// check.
func ExampleWithPermissionHandler() {
	dir, _ := os.MkdirTemp("", "rtchat-example")
	defer os.RemoveAll(dir)
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+filepath.Join(dir, "app.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1) // SQLite: one writer
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	ctx := context.Background()

	chat, err := rtchat.New(db, rtchat.WithHTTPAuth(userFromHeader), rtchat.WithPermissionHandler(readOnlyArchive{}))
	if err != nil {
		log.Fatal(err)
	}
	if err := chat.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(chat)
	defer srv.Close()
	defer chat.Close(ctx)

	alice, _ := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+chat.Path(), client.WithToken("1"))
	defer alice.Close()
	f, _ := alice.Request(ctx, "room.create", map[string]any{"type": "GroupChat", "name": "2019",
		"extra_fields": map[string]any{"property": map[string]any{"preferences": map[string]any{"archived": true}}}})
	room, _ := client.Decode[struct{ ID string }](f)

	_, err = alice.SendMessage(ctx, room.ID, "hello?")
	fmt.Println(err)
	info, _ := alice.Request(ctx, "room.info", map[string]any{"room_id": room.ID})
	fmt.Println(info.EventType)
	// Output:
	// rtchat: code 4002: This room is archived.
	// roominfo.dispatch
}
