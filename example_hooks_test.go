package rtchat_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// Hooks refuse a connection with the app's own close code, moderate a
// message before it is stored and see it once it is stored.
func ExampleWithHooks() {
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

	stored := make(chan rtchat.MessageEvent, 1)
	hooks := rtchat.Hooks{
		OnConnect: func(_ context.Context, e rtchat.ConnectEvent) error {
			if e.Conn.UserID == 13 {
				return &rtchat.Error{Code: 4403, Detail: "banned"}
			}
			return nil
		},
		BeforeMessage: func(_ context.Context, e *rtchat.MessageEvent) error {
			if strings.Contains(e.Content, "buy now") {
				return &rtchat.Error{Code: 4003, Detail: "No advertising."}
			}
			e.Content = strings.ReplaceAll(e.Content, "darn", "d**n")
			return nil
		},
		AfterMessage: func(_ context.Context, e rtchat.MessageEvent) { stored <- e },
	}
	chat, err := rtchat.New(db, rtchat.WithHTTPAuth(userFromHeader), rtchat.WithHooks(hooks))
	if err != nil {
		log.Fatal(err)
	}
	if err := chat.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(chat)
	defer srv.Close()
	defer chat.Close(ctx)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + chat.Path()

	banned, _ := client.Dial(ctx, url, client.WithToken("13"))
	<-banned.Closed()
	fmt.Println("user 13:", banned.CloseCode())

	alice, _ := client.Dial(ctx, url, client.WithToken("1"))
	defer alice.Close()
	f, _ := alice.Request(ctx, "room.create", map[string]any{"type": "OneToOneChat", "participants": []int64{2}})
	room, _ := client.Decode[struct{ ID string }](f)
	_, err = alice.SendMessage(ctx, room.ID, "buy now!")
	fmt.Println(err)
	f, _ = alice.SendMessage(ctx, room.ID, "darn it")
	m, _ := client.Decode[struct{ Content string }](f)
	fmt.Println(m.Content)
	e := <-stored
	fmt.Println("stored:", e.Message.Content, "seq", e.Message.Seq, "from user", e.Conn.UserID)
	// Output:
	// user 13: 4403
	// rtchat: code 4003: No advertising.
	// d**n it
	// stored: d**n it seq 1 from user 1
}
