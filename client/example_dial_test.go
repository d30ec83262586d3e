package client_test

import (
	"context"
	"fmt"

	"github.com/rtchat/rtchat/client"
)

// ExampleDial shows a program talking to a server over one connection, as a
// test does. It has no Output: it needs a running server (ExampleResume
// starts one).
func ExampleDial() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "ws://localhost:8000/messaging/", client.WithToken("token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if _, err := c.SendMessage(ctx, "room id", "hello"); err != nil {
		fmt.Println(err)
	}
}
