package rtchat_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// userFromApp stands for the app's own auth; here the user id is the bearer
// token itself.
func userFromApp(c echo.Context) (int64, error) {
	return strconv.ParseInt(strings.TrimPrefix(c.Request().Header.Get("Authorization"), "Bearer "), 10, 64)
}

// The README's integration: the app's bun database, the app's auth, one
// middleware on the app's Echo router.
func Example() {
	dir, _ := os.MkdirTemp("", "rtchat-example")
	defer os.RemoveAll(dir)
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+filepath.Join(dir, "app.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1) // SQLite: one writer
	ctx := context.Background()
	e := echo.New()

	// The five lines.
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	chat, err := rtchat.New(db, rtchat.WithEchoAuth(userFromApp))
	if err != nil {
		log.Fatal(err)
	}
	if err := chat.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	e.Use(chat.Middleware())

	srv := httptest.NewServer(e)
	defer srv.Close()
	defer chat.Close(ctx)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + chat.Path()
	alice, _ := client.Dial(ctx, url, client.WithToken("1"))
	defer alice.Close()
	bob, _ := client.Dial(ctx, url, client.WithToken("2"))
	defer bob.Close()

	f, err := alice.Request(ctx, "room.create", map[string]any{"type": "OneToOneChat", "participants": []int64{2}})
	if err != nil {
		log.Fatal(err)
	}
	room, _ := client.Decode[struct{ ID string }](f)
	if _, err := alice.SendMessage(ctx, room.ID, "Hello, <b>Bob</b>!"); err != nil {
		log.Fatal(err)
	}
	got, _ := bob.Next(ctx, protocol.DispatchMessage)
	msg, _ := client.Decode[struct {
		Seq     int64
		Content string
		Sender  struct{ Username string }
	}](got)
	fmt.Println(msg.Seq, msg.Sender.Username, msg.Content)
	// Output: 1 1 Hello, <b>Bob</b>!
}
