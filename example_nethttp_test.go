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
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// On plain net/http the chat is an http.Handler; the app's own middleware
// authenticates the request and puts the user on its context with
// ContextWithUser (instead of giving rtchat WithHTTPAuth).
func ExampleContextWithUser() {
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

	chat, err := rtchat.New(db)
	if err != nil {
		log.Fatal(err)
	}
	if err := chat.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	// The app's auth middleware: here the bearer token is the user id.
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), 10, 64)
			if err != nil {
				http.Error(w, "who are you?", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(rtchat.ContextWithUser(r.Context(), id)))
		})
	}
	mux := http.NewServeMux()
	mux.Handle(chat.Path(), auth(chat))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer chat.Close(ctx)

	url := "ws" + strings.TrimPrefix(srv.URL, "http") + chat.Path()
	if _, err := client.Dial(ctx, url); err != nil {
		fmt.Println("without a token:", strings.TrimSpace(err.Error()))
	}
	alice, err := client.Dial(ctx, url, client.WithToken("1"))
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()
	f, err := alice.Request(ctx, "room.list", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.EventType, string(f.Data))
	// Output:
	// without a token: client: websocket handshake failed: HTTP 401: who are you?
	// roomlist.dispatch []
}
