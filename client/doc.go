// Package client is a Go client for the rtchat WebSocket protocol, for tests,
// benchmarks and bots.
//
// Dial opens a connection; one goroutine per Client reads every frame the
// server sends and files it in an inbox keyed by the frame's eventType (error
// frames under "error"). Request sends a request with a fresh request_id and
// waits for the first frame carrying that id; Next takes frames out of the
// inbox in arrival order. A frame that answered a Request stays in the inbox
// too, so a test can read the requester's copy of a room broadcast with Next
// whether or not a Request already returned it.
//
// A typical test:
//
//	c, err := client.Dial(ctx, "ws://"+addr+"/messaging/", client.WithToken(tok))
//	if err != nil { ... }
//	defer c.Close()
//	f, err := c.SendMessage(ctx, roomID, "hello") // f is the message.dispatch frame
//	m, err := client.Decode[Message](f)
//	other, err := peer.Next(ctx, protocol.DispatchMessage) // the same message, seen by a peer
//
// A Client is safe for use by several goroutines.
//
// # Sessions that resume
//
// A Client never reconnects. Resume returns a Session that does: when its
// connection drops with 1001, 1006, 1012, 1013 or 4008 (or a read fails) it
// reconnects after a capped exponential backoff with full jitter
// (WithBackoff; WithoutReconnect turns this off), calls room.list, and for
// every room calls room.messages with after_seq = the highest seq it has
// delivered, page by page. Session.Messages delivers each message.dispatch
// once and in seq order per room: live frames wait in the connection's inbox
// while the catch-up runs, those at or below a room's delivered seq are
// dropped, and one that skips a seq makes the session fetch the gap first.
// Session.SendMessage gives each send a client_msg_id and re-sends it with
// the same id after a reconnect until it is answered, so the server stores
// it once.
package client
