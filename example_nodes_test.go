package rtchat_test

import (
	"log"
	"os"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	presenceredis "github.com/rtchat/rtchat/presence/redis"
	"github.com/uptrace/bun"
)

// README's "Running several nodes": every node of one chat shares the app's
// database and one Redis, for events (the broker) and for who is online
// (presence), and names itself with a stable node id. (Compiled, not run:
// it needs a Redis. TestTwoNodes of both example apps runs two such nodes.)
func Example_severalNodes() {
	var db *bun.DB // the app's database, shared by every node
	hostname, _ := os.Hostname()
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	chat, err := rtchat.New(db, rtchat.WithEchoAuth(userFromApp),
		rtchat.WithBroker(redisbroker.New(rdb)),     // events reach every node
		rtchat.WithPresence(presenceredis.New(rdb)), // who is online, on any node
		rtchat.WithNodeID(hostname))                 // stable per node: its session rows
	if err != nil {
		log.Fatal(err)
	}
	_ = chat
}
