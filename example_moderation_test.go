package rtchat_test

import (
	"context"
	"fmt"
	"log"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// Moderation is on by default: an admin mutes a member, whose sends are
// refused with 4002 until unmuted; the audit trail records it.
func ExampleWithModeration() {
	s := startExample() // rtchat.WithModeration(true) is the default
	defer s.stop()
	ctx := context.Background()
	alice, bob := s.dial("1"), s.dial("2")
	defer alice.Close()
	defer bob.Close()
	room := group(alice, 2)
	if _, err := alice.Request(ctx, "room.mute", map[string]any{"room_id": room, "user_id": 2}); err != nil {
		log.Fatal(err)
	}
	_, err := bob.SendMessage(ctx, room, "hello?")
	pe, _ := protocol.AsError(err)
	fmt.Println("muted send:", pe.Code, pe.Detail)
	f, err := alice.Request(ctx, "room.audit", map[string]any{"room_id": room})
	if err != nil {
		log.Fatal(err)
	}
	page, _ := client.Decode[struct {
		Entries []struct{ Action string } `json:"entries"`
	}](f)
	fmt.Println("audit:", page.Entries[0].Action)
	// Output:
	// muted send: 4002 You are muted in this room.
	// audit: mute
}

// Off, the moderation events are unknown and only senders delete.
func ExampleWithModeration_off() {
	s := startExample(rtchat.WithModeration(false))
	defer s.stop()
	alice := s.dial("1")
	defer alice.Close()
	_, err := alice.Request(context.Background(), "room.mute", map[string]any{"room_id": group(alice, 2), "user_id": 2})
	pe, _ := protocol.AsError(err)
	fmt.Println(pe.Code, pe.Detail)
	// Output: 4003 invalid event type
}
