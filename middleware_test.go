package rtchat_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

func newEchoChat(t *testing.T, opts ...rtchat.Option) *rtchat.Chat {
	t.Helper()
	chat, err := rtchat.New(dbtest.Open(t, "sqlite"), append([]rtchat.Option{rtchat.WithEchoAuth(userFromApp)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := chat.Migrate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = chat.Close(testCtx(t)) })
	return chat
}

func TestEchoMiddleware(t *testing.T) {
	chat := newEchoChat(t, rtchat.WithPath("/ws/chat"))
	e := echo.New()
	e.Use(chat.Middleware())
	e.GET("/hello", func(c echo.Context) error { return c.String(http.StatusOK, "app") })
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("other routes: status %d, want them passed on", resp.StatusCode)
	}
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws/chat"
	_, err = client.Dial(testCtx(t), url)
	var he *client.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no user: %v, want 401", err)
	}
	c, err := client.Dial(testCtx(t), url, client.WithToken("7"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if f := request(t, c, protocol.EventRoomList, nil); f.EventType != protocol.DispatchRoomList {
		t.Fatalf("answered %s", f.EventType)
	}
}

func TestEchoRegister(t *testing.T) {
	chat := newEchoChat(t)
	e := echo.New()
	g := e.Group("/api")
	chat.Register(g)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	c, err := client.Dial(testCtx(t), "ws"+strings.TrimPrefix(srv.URL, "http")+"/api"+chat.Path(), client.WithToken("7"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	next(t, c, protocol.DispatchNotifications)
}

func TestContextUser(t *testing.T) {
	chat, err := rtchat.New(dbtest.Open(t, "sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	if err := chat.Migrate(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = chat.Close(testCtx(t)) })
	// The app's own net/http middleware puts the user on the context.
	appAuth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-User") == "5" {
			r = r.WithContext(rtchat.ContextWithUser(r.Context(), 5))
		}
		chat.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(appAuth)
	t.Cleanup(srv.Close)
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	c, err := client.Dial(testCtx(t), url, client.WithHeader(http.Header{"X-User": {"5"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	next(t, c, protocol.DispatchNotifications)
	var he *client.HandshakeError
	if _, err := client.Dial(testCtx(t), url); !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no user: %v, want 401", err)
	}
}

// TestEchoMiddlewareTrailingSlashAndSkipper: the middleware serves its path
// with or without the trailing slash (behind Echo's trailing-slash
// pre-middleware too), and a skipper passes a request on.
func TestEchoMiddlewareTrailingSlashAndSkipper(t *testing.T) {
	chat := newEchoChat(t) // path /messaging/
	// What Echo's RemoveTrailingSlash and AddTrailingSlash pre-middleware
	// do to the path.
	rewrite := func(fn func(string) string) echo.MiddlewareFunc {
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				c.Request().URL.Path = fn(c.Request().URL.Path)
				return next(c)
			}
		}
	}
	for name, pre := range map[string]echo.MiddlewareFunc{
		"remove trailing slash": rewrite(func(p string) string { return strings.TrimSuffix(p, "/") }),
		"add trailing slash":    rewrite(func(p string) string { return strings.TrimSuffix(p, "/") + "/" }),
	} {
		t.Run(name, func(t *testing.T) {
			e := echo.New()
			e.Pre(pre)
			e.Use(chat.MiddlewareWithConfig(rtchat.MiddlewareConfig{
				Skipper: func(c echo.Context) bool { return c.QueryParam("skip") != "" },
			}))
			srv := httptest.NewServer(e)
			t.Cleanup(srv.Close)
			base := "ws" + strings.TrimPrefix(srv.URL, "http")
			for _, path := range []string{"/messaging/", "/messaging"} {
				c, err := client.Dial(testCtx(t), base+path, client.WithToken("7"))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				request(t, c, protocol.EventRoomList, nil)
				_ = c.Close()
			}
			_, err := client.Dial(testCtx(t), base+"/messaging/?skip=1", client.WithToken("7"))
			var he *client.HandshakeError
			if !errors.As(err, &he) || he.StatusCode != http.StatusNotFound {
				t.Fatalf("skipped: %v, want the app's 404", err)
			}
		})
	}
}

// TestTwoAuthOptionsAreAnError: two auth options together would let one
// silently win; New refuses them, naming both. The deprecated WithAuth is
// WithEchoAuth (ginadapter_test covers ginadapter.WithGinAuth).
func TestTwoAuthOptionsAreAnError(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []rtchat.Option
		names []string
	}{
		{"echo and http", []rtchat.Option{rtchat.WithEchoAuth(userFromApp), rtchat.WithHTTPAuth(bearerUser)}, []string{"WithEchoAuth", "WithHTTPAuth"}},
		{"deprecated echo and http", []rtchat.Option{rtchat.WithHTTPAuth(bearerUser), rtchat.WithAuth(userFromApp)}, []string{"WithHTTPAuth", "WithEchoAuth"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rtchat.New(dbtest.Open(t, "sqlite"), tc.opts...)
			if err == nil {
				t.Fatal("New with two auth options: no error")
			}
			for _, n := range tc.names {
				if !strings.Contains(err.Error(), n) {
					t.Fatalf("New with two auth options: %v, want an error naming %s", err, n)
				}
			}
		})
	}
	// The same option twice is one way to learn the user: the last wins.
	if _, err := rtchat.New(dbtest.Open(t, "sqlite"), rtchat.WithEchoAuth(userFromApp), rtchat.WithAuth(userFromApp)); err != nil {
		t.Fatalf("WithEchoAuth and its deprecated alias: %v", err)
	}
}
