package client_test

import (
	"context"
	"fmt"
	"time"

	"github.com/rtchat/rtchat/client"
)

// ExampleResume keeps a bot connected: it reads every message of its rooms
// once and in order, across restarts of the server, and sends without
// duplicates. (Not run: it needs a server.)
func ExampleResume() {
	ctx := context.Background()
	s, err := client.Resume(ctx, "wss://chat.example.com/messaging/",
		client.WithDialOptions(client.WithToken("bot-token")),
		client.WithBackoff(100*time.Millisecond, 10*time.Second),
	)
	if err != nil {
		fmt.Println("connect:", err)
		return
	}
	defer s.Close()
	for m := range s.Messages() {
		if m.Content == "ping" {
			if _, err := s.SendMessage(ctx, m.RoomID, "pong"); err != nil {
				fmt.Println("send:", err)
			}
		}
	}
	fmt.Println("session ended:", s.Err())
}
