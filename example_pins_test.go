package rtchat_test

import (
	"context"
	"fmt"
	"log"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/protocol"
)

// Pinned messages (on by default): an admin of a group pins a message, the
// room hears messagepin.dispatch, and room.info lists the room's pins.
func Example_pinnedMessages() {
	s := startExample()
	defer s.stop()
	ctx := context.Background()
	alice, bob := s.dial("1"), s.dial("2")
	defer alice.Close()
	defer bob.Close()
	roomID := group(alice, 2)
	f, _ := alice.SendMessage(ctx, roomID, "The meeting is at 10")
	msg, _ := client.Decode[struct{ ID string }](f)

	// alice created the group, so she is its admin and may pin.
	if _, err := alice.Request(ctx, "message.pin", map[string]any{"message_id": msg.ID}); err != nil {
		log.Fatal(err)
	}
	f, _ = bob.Next(ctx, protocol.DispatchMessagePin)
	ev, _ := client.Decode[struct {
		Pinned   bool `json:"pinned"`
		PinnedBy struct {
			ID int64 `json:"id"`
		} `json:"pinned_by"`
	}](f)
	fmt.Println("bob hears: pinned", ev.Pinned, "by user", ev.PinnedBy.ID)

	// room.info lists the room's pins, newest first.
	f, _ = bob.Request(ctx, "room.info", map[string]any{"room_id": roomID})
	info, _ := client.Decode[struct {
		Pins []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"pins"`
	}](f)
	fmt.Println("pins:", len(info.Pins), info.Pins[0].Message.Content)

	// bob is a plain member: he may not pin.
	_, err := bob.Request(ctx, "message.unpin", map[string]any{"message_id": msg.ID})
	if pe, ok := protocol.AsError(err); ok {
		fmt.Println("bob unpins:", pe.Code)
	}
	// Output:
	// bob hears: pinned true by user 1
	// pins: 1 The meeting is at 10
	// bob unpins: 4002
}

// With pins off, message.pin and message.unpin are not events (4003) and
// room.info lists no pins.
func ExampleWithPins() {
	s := startExample(rtchat.WithPins(false))
	defer s.stop()
	ctx := context.Background()
	alice := s.dial("1")
	defer alice.Close()
	f, _ := alice.SendMessage(ctx, group(alice), "not pinnable")
	msg, _ := client.Decode[struct{ ID string }](f)
	_, err := alice.Request(ctx, "message.pin", map[string]any{"message_id": msg.ID})
	if pe, ok := protocol.AsError(err); ok {
		fmt.Println(pe.Code, pe.Detail)
	}
	// Output: 4003 invalid event type
}
