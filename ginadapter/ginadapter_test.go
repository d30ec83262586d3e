package ginadapter_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/ginadapter"
	"github.com/rtchat/rtchat/internal/sqlitedb"
	"github.com/rtchat/rtchat/protocol"
)

// userFromGin stands for the app's own auth middleware having put the
// user id on the Gin context.
func userFromGin(c *gin.Context) (int64, error) {
	return strconv.ParseInt(strings.TrimPrefix(c.GetHeader("Authorization"), "Bearer "), 10, 64)
}

func newServer(tb testing.TB, dir string) (*httptest.Server, *rtchat.Chat) {
	gin.SetMode(gin.ReleaseMode)
	db, err := sqlitedb.Open(filepath.Join(dir, "chat.db"))
	if err != nil {
		tb.Fatal(err)
	}
	chat, err := rtchat.New(db)
	if err != nil {
		tb.Fatal(err)
	}
	if err := chat.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	r := gin.New()
	r.GET("/ping", func(c *gin.Context) { c.String(http.StatusOK, "pong") })
	ginadapter.Register(r.Group("/"), chat, ginadapter.WithAuth(userFromGin))
	srv := httptest.NewServer(r)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = chat.Close(ctx)
		srv.Close()
		_ = db.Close()
	})
	return srv, chat
}

func TestRegister(t *testing.T) {
	srv, chat := newServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + chat.Path()
	var he *client.HandshakeError
	if _, err := client.Dial(ctx, url); !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no user: %v, want 401", err)
	}
	if _, err := client.Dial(ctx, url, client.WithToken("1"), client.WithHeader(http.Header{"Origin": {"http://evil.example"}})); !errors.As(err, &he) || he.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v, want 403", err)
	}
	c, err := client.Dial(ctx, url, client.WithToken("1"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if f, err := c.Request(ctx, protocol.EventRoomList, nil); err != nil || f.EventType != protocol.DispatchRoomList {
		t.Fatalf("room.list: %v %v", f.EventType, err)
	}
	resp, err := http.Get(srv.URL + "/ping")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("other routes: %d", resp.StatusCode)
	}
}
