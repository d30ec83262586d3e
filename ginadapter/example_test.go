package ginadapter_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/ginadapter"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// Mounting a chat on Gin: the app's auth gives the user id from the Gin
// context (here the bearer token is the user id).
func ExampleRegister() {
	dir, _ := os.MkdirTemp("", "rtchat-gin")
	defer os.RemoveAll(dir)
	gin.SetMode(gin.ReleaseMode)
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+filepath.Join(dir, "chat.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1) // SQLite: one writer
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	chat, err := rtchat.New(db, ginadapter.WithGinAuth(func(c *gin.Context) (int64, error) {
		return strconv.ParseInt(strings.TrimPrefix(c.GetHeader("Authorization"), "Bearer "), 10, 64)
	}))
	if err != nil {
		log.Fatal(err)
	}
	if err := chat.Migrate(context.Background()); err != nil {
		log.Fatal(err)
	}
	defer chat.Close(context.Background())

	r := gin.New()
	ginadapter.Register(r, chat)

	fmt.Println(r.Routes()[0].Method, r.Routes()[0].Path)
	// Output: GET /messaging/
}
