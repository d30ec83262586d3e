package client_test

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
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// ExampleResume keeps a bot connected: it reads every message of its rooms
// once and in order, across drops and restarts of the server, and answers
// "ping" with "pong" without ever storing a pong twice.
func ExampleResume() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, stop := startChat(ctx)
	defer stop()

	// The bot is user 2.
	s, err := client.Resume(ctx, url,
		client.WithDialOptions(client.WithToken("2")),
		client.WithBackoff(100*time.Millisecond, 10*time.Second), // the defaults
	)
	if err != nil {
		log.Fatal(err)
	}
	answered := make(chan client.Message)
	read := make(chan struct{})
	go func() {
		defer close(read)
		for m := range s.Messages() { // closed when the session ends
			if m.Content != "ping" {
				continue
			}
			fmt.Println("bot reads", m.Seq, m.Content)
			pong, err := s.SendMessage(ctx, m.RoomID, "pong")
			if err != nil {
				fmt.Println("send:", err)
				continue
			}
			answered <- pong
		}
	}()

	// User 1 opens a 1:1 chat with the bot and pings it.
	alice, err := client.Dial(ctx, url, client.WithToken("1"))
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()
	f, err := alice.Request(ctx, "room.create", map[string]any{"type": "OneToOneChat", "participants": []int64{2}})
	if err != nil {
		log.Fatal(err)
	}
	room, _ := client.Decode[struct{ ID string }](f)
	if _, err := alice.SendMessage(ctx, room.ID, "ping"); err != nil {
		log.Fatal(err)
	}
	pong := <-answered
	fmt.Println("bot stored", pong.Seq, pong.Content)
	for {
		// User 1 reads the room's messages: its own ping, then the pong.
		got, err := alice.Next(ctx, protocol.DispatchMessage)
		if err != nil {
			log.Fatal(err)
		}
		m, _ := client.Decode[struct {
			Seq     int64
			Content string
		}](got)
		if m.Content == "pong" {
			fmt.Println("user 1 reads", m.Seq, m.Content)
			break
		}
	}

	_ = s.Close()
	<-read
	fmt.Println("session ended:", s.Err())
	// Output:
	// bot reads 1 ping
	// bot stored 2 pong
	// user 1 reads 2 pong
	// session ended: client: session closed
}

// startChat starts the server the example talks to: rtchat on SQLite in a
// temporary directory, the user being the id in "Authorization: Bearer
// <id>". It returns the WebSocket URL and what stops it all.
func startChat(ctx context.Context) (url string, stop func()) {
	dir, err := os.MkdirTemp("", "rtchat-example")
	if err != nil {
		log.Fatal(err)
	}
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+filepath.Join(dir, "chat.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1) // SQLite: one writer
	db := bun.NewDB(sqldb, sqlitedialect.New())
	chat, err := rtchat.New(db, rtchat.WithHTTPAuth(func(r *http.Request) (int64, error) {
		return strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), 10, 64)
	}))
	if err != nil {
		log.Fatal(err)
	}
	if err := chat.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(chat)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + chat.Path(), func() {
		_ = chat.Close(context.Background())
		srv.Close()
		_ = db.Close()
		_ = os.RemoveAll(dir)
	}
}
