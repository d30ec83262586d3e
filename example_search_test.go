package rtchat_test

import (
	"context"
	"fmt"
	"log"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
)

// message.search finds the messages of the caller's rooms that contain
// every word of the query, best match first, each with a plain-text
// snippet and the places of the matched words in it.
func ExampleWithSearch() {
	s := startExample(rtchat.WithSearch(true)) // the default; false removes message.search
	defer s.stop()
	ctx := context.Background()
	alice := s.dial("1")
	defer alice.Close()
	room := group(alice)
	for _, text := range []string{"lunch at <b>noon</b>?", "the deploy is done", "noon works, noon it is"} {
		if _, err := alice.SendMessage(ctx, room, text); err != nil {
			log.Fatal(err)
		}
	}
	f, err := alice.Request(ctx, "message.search", map[string]any{"query": "noon", "limit": 20})
	if err != nil {
		log.Fatal(err)
	}
	found, _ := client.Decode[struct {
		Results []struct {
			Snippet    string   `json:"snippet"`
			Highlights [][2]int `json:"highlights"`
		} `json:"results"`
		HasMore bool `json:"has_more"`
	}](f)
	for _, r := range found.Results {
		fmt.Println(r.Snippet, r.Highlights)
	}
	fmt.Println("more:", found.HasMore)
	// Output:
	// noon works, noon it is [[0 4] [12 16]]
	// lunch at noon? [[9 13]]
	// more: false
}
