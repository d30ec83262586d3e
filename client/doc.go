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
package client
