package redis_test

import (
	"context"
	"fmt"
	"log"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat/presence"
	presenceredis "github.com/rtchat/rtchat/presence/redis"
)

// A manager per node, sharing one Redis: rtchat.WithPresence calls Start
// and Stop itself; here they are called by hand.
func Example() {
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	m := presenceredis.New(client, presenceredis.WithPrefix("example"))
	err := m.Start("node-1", func(ch presence.Change) {
		fmt.Printf("node %s: offline %v, online %v\n", ch.Node, ch.Offline, ch.Online)
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Stop(context.Background())
	first, err := m.Connect(context.Background(), 42, "conn-1", 100)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("user 42 came online:", first)
}
