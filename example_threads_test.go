package rtchat_test

import (
	"context"
	"fmt"
	"log"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// Threads are on by default: a reply names its root in extra_fields, the
// reply's message.dispatch carries the root's new count, and thread.list
// gives each thread with the caller's unread count. WithThreads(false)
// turns it off.
func ExampleWithThreads() {
	s := startExample(rtchat.WithThreads(true)) // the default
	defer s.stop()
	ctx := context.Background()
	alice, bob := s.dial("1"), s.dial("2")
	defer alice.Close()
	defer bob.Close()
	room := group(alice, 2)
	f, _ := alice.SendMessage(ctx, room, "lunch?")
	root, _ := client.Decode[struct{ ID string }](f)
	f, err := bob.Request(ctx, "message.send", map[string]any{"room_id": room, "content": "yes",
		"extra_fields": map[string]any{"thread_root_id": root.ID}})
	if err != nil {
		log.Fatal(err)
	}
	reply, _ := client.Decode[struct {
		Thread struct {
			ReplyCount int `json:"reply_count"`
		} `json:"thread"`
	}](f)
	fmt.Println("replies on the root:", reply.Thread.ReplyCount)
	f, _ = alice.Request(ctx, protocol.EventThreadList, map[string]any{"room_id": room})
	list, _ := client.Decode[struct {
		Threads []struct {
			UnreadCount int `json:"unread_count"`
		} `json:"threads"`
	}](f)
	fmt.Println("threads:", len(list.Threads), "unread for alice:", list.Threads[0].UnreadCount)
	// Output:
	// replies on the root: 1
	// threads: 1 unread for alice: 1
}
