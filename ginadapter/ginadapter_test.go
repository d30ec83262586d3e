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

// newServer serves a chat on Gin, with the user from the Gin context:
// through WithGinAuth, or through the deprecated Register option.
func newServer(tb testing.TB, dir string, deprecated bool) (*httptest.Server, *rtchat.Chat) {
	gin.SetMode(gin.ReleaseMode)
	db, err := sqlitedb.Open(filepath.Join(dir, "chat.db"))
	if err != nil {
		tb.Fatal(err)
	}
	var opts []rtchat.Option
	var reg []ginadapter.Option
	if deprecated {
		reg = append(reg, ginadapter.WithAuth(userFromGin))
	} else {
		opts = append(opts, ginadapter.WithGinAuth(userFromGin))
	}
	chat, err := rtchat.New(db, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	if err := chat.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	r := gin.New()
	r.GET("/ping", func(c *gin.Context) { c.String(http.StatusOK, "pong") })
	ginadapter.Register(r.Group("/"), chat, reg...)
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
	for _, deprecated := range []bool{false, true} {
		t.Run(map[bool]string{false: "WithGinAuth", true: "deprecated WithAuth"}[deprecated], func(t *testing.T) {
			testRegister(t, deprecated)
		})
	}
}

func testRegister(t *testing.T, deprecated bool) {
	srv, chat := newServer(t, t.TempDir(), deprecated)
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

// TestTwoAuthOptions: the Gin auth beside the chat's own is an error from
// New naming both; the deprecated Register option, which New cannot see,
// makes every upgrade HTTP 500 naming both instead of letting one win.
func TestTwoAuthOptions(t *testing.T) {
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	byHeader := func(r *http.Request) (int64, error) { return strconv.ParseInt(r.Header.Get("X-User"), 10, 64) }
	_, err = rtchat.New(db, rtchat.WithHTTPAuth(byHeader), ginadapter.WithGinAuth(userFromGin))
	if err == nil || !strings.Contains(err.Error(), "WithHTTPAuth") || !strings.Contains(err.Error(), "ginadapter.WithGinAuth") {
		t.Fatalf("New with two auth options: %v", err)
	}

	chat, err := rtchat.New(db, rtchat.WithHTTPAuth(byHeader))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = chat.Close(context.Background()) })
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	ginadapter.Register(r, chat, ginadapter.WithAuth(userFromGin))
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, chat.Path(), nil)
	req.Header.Set("X-User", "1")
	r.ServeHTTP(w, req)
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "WithHTTPAuth") || !strings.Contains(w.Body.String(), "ginadapter.WithAuth") {
		t.Fatalf("deprecated WithAuth beside WithHTTPAuth: %d %s", w.Code, w.Body)
	}
}
