package rtchat_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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

// exampleChat serves a chat on a fresh SQLite database and dials users,
// for the examples of the Go API. Call the returned function when done.
func exampleChat(users ...int64) (*rtchat.Chat, []*client.Client, func()) {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "rtchat-example")
	sqldb, err := sql.Open(sqliteshim.ShimName, "file:"+filepath.Join(dir, "app.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	sqldb.SetMaxOpenConns(1)
	db := bun.NewDB(sqldb, sqlitedialect.New())
	auth := func(r *http.Request) (int64, error) {
		return strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), 10, 64)
	}
	names := func(_ context.Context, ids []int64) (map[int64]rtchat.User, error) {
		out := map[int64]rtchat.User{}
		for _, id := range ids {
			out[id] = rtchat.User{Username: []string{"", "alice", "bob", "carol"}[id%4]}
		}
		return out, nil
	}
	chat, err := rtchat.New(db, rtchat.WithHTTPAuth(auth), rtchat.WithUserLookup(names))
	if err != nil {
		log.Fatal(err)
	}
	if err := chat.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(chat.Path(), chat)
	srv := httptest.NewServer(mux)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + chat.Path()
	var clients []*client.Client
	for _, u := range users {
		c, err := client.Dial(ctx, url, client.WithToken(strconv.FormatInt(u, 10)))
		if err != nil {
			log.Fatal(err)
		}
		if _, err := c.Next(ctx, protocol.DispatchNotifications); err != nil {
			log.Fatal(err)
		}
		clients = append(clients, c)
	}
	return chat, clients, func() {
		for _, c := range clients {
			c.Close()
		}
		chat.Close(ctx)
		srv.Close()
		db.Close()
		os.RemoveAll(dir)
	}
}

// A message from Go, as a user (under the rules of the user's own
// message.send) and as the system.
func ExampleChat_SendMessage() {
	chat, clients, done := exampleChat(2)
	defer done()
	ctx := context.Background()
	bob := clients[0]
	room, err := chat.CreateRoom(ctx, 1, rtchat.RoomParams{Type: protocol.RoomGroup, Name: "team", Participants: []int64{2}})
	if err != nil {
		log.Fatal(err)
	}
	bob.Next(ctx, protocol.DispatchRoomCreate)

	if _, err := chat.SendMessage(ctx, rtchat.MessageParams{RoomID: room.ID, UserID: 1, Content: "Standup in 5"}); err != nil {
		log.Fatal(err)
	}
	if _, err := chat.SendMessage(ctx, rtchat.MessageParams{RoomID: room.ID, UserID: rtchat.SystemUserID, Content: "Backup done", ClientMsgID: "backup-2026-12-03"}); err != nil {
		log.Fatal(err)
	}
	// A repeated ClientMsgID stores nothing: the stored message comes back.
	again, _ := chat.SendMessage(ctx, rtchat.MessageParams{RoomID: room.ID, UserID: rtchat.SystemUserID, Content: "Backup done", ClientMsgID: "backup-2026-12-03"})
	fmt.Println("duplicate:", again.Duplicate, "seq", again.Seq)

	// Carol (user 3) is no member: refused as her own message.send would be.
	_, err = chat.SendMessage(ctx, rtchat.MessageParams{RoomID: room.ID, UserID: 3, Content: "hi"})
	var werr *rtchat.Error
	if errors.As(err, &werr) {
		fmt.Println("carol:", werr.Code)
	}

	for range 2 {
		f, _ := bob.Next(ctx, protocol.DispatchMessage)
		m, _ := client.Decode[struct {
			Seq     int64
			Content string
			Sender  struct {
				ID       int64
				Username string
			}
		}](f)
		fmt.Println(m.Seq, m.Sender.ID, m.Sender.Username, m.Content)
	}
	// Output:
	// duplicate: true seq 2
	// carol: 4002
	// 1 1 alice Standup in 5
	// 2 0 system Backup done
}

// A room created from Go reaches its members' connections at once.
func ExampleChat_CreateRoom() {
	chat, clients, done := exampleChat(2)
	defer done()
	ctx := context.Background()
	room, err := chat.CreateRoom(ctx, 1, rtchat.RoomParams{
		Type: protocol.RoomChannel, Name: "news", Subscribers: []int64{2},
		ExtraFields: map[string]any{"is_public": true},
	})
	if err != nil {
		log.Fatal(err)
	}
	f, _ := clients[0].Next(ctx, protocol.DispatchRoomCreate)
	got, _ := client.Decode[struct{ ID, Name, Type string }](f)
	fmt.Println(got.ID == room.ID, got.Name, got.Type)
	// Output: true news Channel
}

// Members added and removed from Go, by an admin or by the system.
func ExampleChat_AddMembers() {
	chat, clients, done := exampleChat(2)
	defer done()
	ctx := context.Background()
	bob := clients[0]
	room, _ := chat.CreateRoom(ctx, 1, rtchat.RoomParams{Type: protocol.RoomGroup, Name: "team"})

	if _, err := chat.AddMembers(ctx, rtchat.SystemUserID, room.ID, []int64{2, 3}); err != nil {
		log.Fatal(err)
	}
	res, err := chat.RemoveMembers(ctx, 1, room.ID, []int64{3})
	if err != nil {
		log.Fatal(err)
	}
	var removed struct {
		RemovedBy      string   `json:"removed_by"`
		RemovedMembers []string `json:"removed_members"`
	}
	_ = json.Unmarshal(res.JSON, &removed)
	fmt.Println("removed", removed.RemovedMembers, "by", removed.RemovedBy)

	f, _ := bob.Next(ctx, protocol.DispatchRoomAddMembers)
	added, _ := client.Decode[struct {
		AddedBy    string   `json:"added_by"`
		NewMembers []string `json:"new_members"`
	}](f)
	fmt.Println("bob saw", added.NewMembers, "added by", added.AddedBy)
	// Output:
	// removed [carol] by alice
	// bob saw [bob carol] added by system
}

// An app's own event, to a room's members or to users, on every node.
func ExampleChat_PublishToRoom() {
	chat, clients, done := exampleChat(1, 2)
	defer done()
	ctx := context.Background()
	alice, bob := clients[0], clients[1]
	room, _ := chat.CreateRoom(ctx, 1, rtchat.RoomParams{Type: protocol.RoomOneToOne, Participants: []int64{2}})

	if err := chat.PublishToRoom(ctx, room.ID, "build.finished", map[string]any{"status": "green"}); err != nil {
		log.Fatal(err)
	}
	if err := chat.PublishToUsers(ctx, "account.notice", map[string]any{"text": "Your trial ends soon"}, 2); err != nil {
		log.Fatal(err)
	}
	f, _ := alice.Next(ctx, "build.finished")
	fmt.Println("alice:", f.EventType, string(f.Data))
	f, _ = bob.Next(ctx, "account.notice")
	fmt.Println("bob:", f.EventType, string(f.Data))
	// Output:
	// alice: build.finished {"status":"green"}
	// bob: account.notice {"text":"Your trial ends soon"}
}
