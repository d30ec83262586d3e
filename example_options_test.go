package rtchat_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/eventmap"
	presenceredis "github.com/rtchat/rtchat/presence/redis"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
)

// One Example per option. The ones that run serve a chat on a fresh SQLite
// database (exampleServer); the ones that need Redis, time or a long-lived
// server are compiled, not run.

// exampleServer is a chat with the options of one Example, behind
// httptest, on SQLite; a user's bearer token is their id.
type exampleServer struct {
	chat *rtchat.Chat
	db   *bun.DB
	url  string
	stop func()
}

func startExample(opts ...rtchat.Option) *exampleServer {
	dir, _ := os.MkdirTemp("", "rtchat-example")
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+filepath.Join(dir, "app.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1) // SQLite: one writer
	db := bun.NewDB(sqldb, sqlitedialect.New())
	ctx := context.Background()
	chat, err := rtchat.New(db, append([]rtchat.Option{rtchat.WithHTTPAuth(userFromHeader)}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	if err := chat.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(chat.Path(), chat)
	srv := httptest.NewServer(mux)
	return &exampleServer{chat: chat, db: db, url: "ws" + strings.TrimPrefix(srv.URL, "http") + chat.Path(), stop: func() {
		_ = chat.Close(ctx)
		srv.Close()
		_ = db.Close()
		_ = os.RemoveAll(dir)
	}}
}

// dial connects the user whose token is token.
func (s *exampleServer) dial(token string, opts ...client.Option) *client.Client {
	c, err := client.Dial(context.Background(), s.url, append([]client.Option{client.WithToken(token)}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// group creates a group of c's user and the participants and returns its id.
func group(c *client.Client, participants ...int64) string {
	f, err := c.Request(context.Background(), "room.create", map[string]any{"type": "GroupChat", "name": "team", "participants": participants})
	if err != nil {
		log.Fatal(err)
	}
	room, _ := client.Decode[struct{ ID string }](f)
	return room.ID
}

// Soft delete keeps a deleted message's row (marked deleted); history no
// longer shows it.
func ExampleWithSoftDelete() {
	s := startExample(rtchat.WithSoftDelete(true))
	defer s.stop()
	ctx := context.Background()
	alice := s.dial("1")
	defer alice.Close()
	f, _ := alice.SendMessage(ctx, group(alice), "oops")
	msg, _ := client.Decode[struct{ ID string }](f)
	if _, err := alice.Request(ctx, "message.modify", map[string]any{"action": "delete", "message_id": msg.ID}); err != nil {
		log.Fatal(err)
	}
	var rows int
	_ = s.db.NewSelect().Table("rtchat_messages").ColumnExpr("count(*)").Scan(ctx, &rows)
	fmt.Println("rows kept:", rows)
	// Output: rows kept: 1
}

// Without notifications a user who connects gets no chat.notifications of
// what was sent while they were away.
func ExampleWithNotifications() {
	s := startExample(rtchat.WithNotifications(false))
	defer s.stop()
	ctx := context.Background()
	alice := s.dial("1")
	defer alice.Close()
	_, _ = alice.SendMessage(ctx, group(alice, 2), "while you were out")
	bob := s.dial("2")
	defer bob.Close()
	_, _ = bob.Request(ctx, "session.heartbeat", nil) // a round trip: what the connect sent has arrived
	fmt.Println("chat.notifications frames:", bob.Pending(protocol.DispatchNotifications))
	// Output: chat.notifications frames: 0
}

// Mobile clients that sleep: close a connection silent for two minutes
// (the server pings every minute). Compiled, not run.
func ExampleWithInactivityThreshold() {
	var db *bun.DB // the app's database
	chat, err := rtchat.New(db, rtchat.WithInactivityThreshold(2*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// The WebSocket path is the app's to choose.
func ExampleWithPath() {
	s := startExample(rtchat.WithPath("/ws/chat/"))
	defer s.stop()
	alice := s.dial("1")
	defer alice.Close()
	fmt.Println(s.chat.Path())
	// Output: /ws/chat/
}

// An app's event map without message.typing: the event is unknown to its
// clients.
func ExampleWithEventMap() {
	events := eventmap.Default()
	events.Set("message.typing", nil)
	s := startExample(rtchat.WithEventMap(events))
	defer s.stop()
	alice := s.dial("1")
	defer alice.Close()
	_, err := alice.Request(context.Background(), "message.typing", map[string]any{"room_id": group(alice), "typing": true})
	fmt.Println(err)
	// Output: rtchat: code 4003: invalid event type
}

// A typing serializer that adds a field, wrapping the default (see
// serializer.ExampleTyping).
func ExampleWithSerializer() {
	typing := serializer.Func(func(_ context.Context, v any, us serializer.Users) (any, error) {
		in, ok := v.(serializer.TypingInput)
		if !ok {
			return nil, fmt.Errorf("typing: got %T", v)
		}
		return struct {
			serializer.TypingOut
			Status string `json:"status"`
		}{serializer.Typing(in, us), "thinking"}, nil
	})
	s := startExample(rtchat.WithSerializer(serializer.NameTyping, typing))
	defer s.stop()
	ctx := context.Background()
	alice, bob := s.dial("1"), s.dial("2")
	defer alice.Close()
	defer bob.Close()
	room := group(alice, 2)
	_, _ = alice.Request(ctx, "message.typing", map[string]any{"room_id": room, "typing": true})
	f, _ := bob.Next(ctx, protocol.DispatchTyping)
	got, _ := client.Decode[struct {
		UserID int64 `json:"user_id"`
		Status string
	}](f)
	fmt.Println(got.UserID, got.Status)
	// Output: 1 thinking
}

// The app's users: payloads show its usernames (one batched call per
// payload), and ids it does not know cannot join rooms.
func ExampleWithUserLookup() {
	names := map[int64]string{1: "alice", 2: "bob"}
	lookup := func(_ context.Context, ids []int64) (map[int64]rtchat.User, error) {
		out := map[int64]rtchat.User{}
		for _, id := range ids {
			if name, ok := names[id]; ok {
				out[id] = rtchat.User{ID: id, Username: name}
			}
		}
		return out, nil
	}
	s := startExample(rtchat.WithUserLookup(lookup))
	defer s.stop()
	ctx := context.Background()
	alice, bob := s.dial("1"), s.dial("2")
	defer alice.Close()
	defer bob.Close()
	_, _ = alice.SendMessage(ctx, group(alice, 2), "hi")
	f, _ := bob.Next(ctx, protocol.DispatchMessage)
	msg, _ := client.Decode[struct{ Sender struct{ Username string } }](f)
	fmt.Println(msg.Sender.Username)
	_, err := alice.Request(ctx, "room.create", map[string]any{"type": "GroupChat", "name": "x", "participants": []int64{99}})
	fmt.Println(err)
	// Output:
	// alice
	// rtchat: code 4004: Resource not found.
}

// Browsers on the app's front-end origin may connect; other origins get
// HTTP 403.
func ExampleWithAllowedOrigins() {
	s := startExample(rtchat.WithAllowedOrigins("https://app.example.com"))
	defer s.stop()
	for _, origin := range []string{"https://app.example.com", "https://evil.example"} {
		c, err := client.Dial(context.Background(), s.url, client.WithToken("1"), client.WithHeader(http.Header{"Origin": {origin}}))
		var he *client.HandshakeError
		switch {
		case err == nil:
			fmt.Println(origin, "connected")
			c.Close()
		case errors.As(err, &he):
			fmt.Println(origin, "HTTP", he.StatusCode)
		}
	}
	// Output:
	// https://app.example.com connected
	// https://evil.example HTTP 403
}

// Events reach every node through Redis. Compiled, not run: it needs a
// Redis (Example_severalNodes shows the whole set-up of a node).
func ExampleWithBroker() {
	var db *bun.DB // the app's database
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	chat, err := rtchat.New(db, rtchat.WithBroker(redisbroker.New(rdb, redisbroker.WithPrefix("chat"))))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// Who is online, on any node, kept in Redis. Compiled, not run: it needs
// a Redis.
func ExampleWithPresence() {
	var db *bun.DB // the app's database
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	chat, err := rtchat.New(db, rtchat.WithPresence(presenceredis.New(rdb, presenceredis.WithTTL(15*time.Second))))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// A node named after its host keeps its id across restarts, so it closes
// the session rows it left open at once. Compiled, not run.
func ExampleWithNodeID() {
	var db *bun.DB // the app's database
	hostname, _ := os.Hostname()
	chat, err := rtchat.New(db, rtchat.WithNodeID(hostname))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// Collect presence changes for a second before announcing them: fewer
// frames when many users reconnect at once. Compiled, not run.
func ExampleWithPresenceInterval() {
	var db *bun.DB // the app's database
	chat, err := rtchat.New(db, rtchat.WithPresenceInterval(time.Second))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// Push presence only in rooms of up to 20 members; members of bigger ones
// ask with presence.query. Compiled, not run.
func ExampleWithPresencePushLimit() {
	var db *bun.DB // the app's database
	chat, err := rtchat.New(db, rtchat.WithPresencePushLimit(20))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// One connection per user: a second one is closed with 4029.
func ExampleWithMaxConnectionsPerUser() {
	s := startExample(rtchat.WithMaxConnectionsPerUser(1))
	defer s.stop()
	phone := s.dial("1")
	defer phone.Close()
	_, _ = phone.Request(context.Background(), "session.heartbeat", nil) // phone is counted
	laptop := s.dial("1")
	<-laptop.Closed()
	fmt.Println(laptop.CloseCode())
	// Output: 4029
}

// At most one frame a second, in bursts of two: the third frame at once is
// dropped unread and answered 4029, and the connection stays open.
func ExampleWithRateLimit() {
	s := startExample(rtchat.WithRateLimit(1, 2))
	defer s.stop()
	ctx := context.Background()
	alice := s.dial("1")
	defer alice.Close()
	for range 3 {
		_, _ = alice.Send(ctx, "session.heartbeat", nil)
	}
	f, _ := alice.NextError(ctx)
	fmt.Println(f.Error.Code)
	// Output: 4029
}

// Frames up to 4 KiB: a bigger one closes the connection with 1009.
func ExampleWithMaxMessageSize() {
	s := startExample(rtchat.WithMaxMessageSize(4 << 10))
	defer s.stop()
	alice := s.dial("1")
	defer alice.Close()
	big := `{"event_type":"session.heartbeat","data":{"x":"` + strings.Repeat("x", 8<<10) + `"}}`
	_ = alice.SendRaw(context.Background(), websocket.TextMessage, []byte(big))
	<-alice.Closed()
	fmt.Println(alice.CloseCode())
	// Output: 1009
}

// Messages of at most 280 characters.
func ExampleWithMaxContentLength() {
	s := startExample(rtchat.WithMaxContentLength(280))
	defer s.stop()
	alice := s.dial("1")
	defer alice.Close()
	_, err := alice.SendMessage(context.Background(), group(alice), strings.Repeat("a", 281))
	pe, _ := protocol.AsError(err)
	fmt.Println(pe.Code)
	// Output: 4003
}

// Broadcast a user's repeated typing signals at most every 5 seconds.
// Compiled, not run.
func ExampleWithTypingThrottle() {
	var db *bun.DB // the app's database
	chat, err := rtchat.New(db, rtchat.WithTypingThrottle(5*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// Let 1,024 frames wait for a slow connection before closing it with
// 4008, for rooms with bursts of traffic. Compiled, not run.
func ExampleWithSendBuffer() {
	var db *bun.DB // the app's database
	chat, err := rtchat.New(db, rtchat.WithSendBuffer(1024))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// Give up on a write to a connection after 3 seconds. Compiled, not run.
func ExampleWithWriteTimeout() {
	var db *bun.DB // the app's database
	chat, err := rtchat.New(db, rtchat.WithWriteTimeout(3*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// Answer 4007 to an event not handled within 5 seconds, database calls
// and the app's user lookup included. Compiled, not run.
func ExampleWithEventTimeout() {
	var db *bun.DB // the app's database
	chat, err := rtchat.New(db, rtchat.WithEventTimeout(5*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// Keep a week of session rows (who was connected when). Compiled, not run.
func ExampleWithSessionRetention() {
	var db *bun.DB // the app's database
	chat, err := rtchat.New(db, rtchat.WithSessionRetention(7*24*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// Wait up to 200ms for a message the broker delivered out of order before
// reading it from the database: for a broker that reorders a lot.
// Compiled, not run.
func ExampleWithReorderWindow() {
	var db *bun.DB // the app's database
	chat, err := rtchat.New(db, rtchat.WithReorderWindow(200*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}

// The chat's log lines in the app's JSON log, tagged. Compiled, not run.
func ExampleWithLogger() {
	var db *bun.DB // the app's database
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("component", "chat")
	chat, err := rtchat.New(db, rtchat.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}
	http.Handle(chat.Path(), chat)
}
