// Package protocol holds the wire vocabulary of rtchat that both the server
// packages and the Go client share: the frame envelopes, the event names, the
// protocol error type and its codes.
//
// It imports nothing from rtchat, so the client can use it without pulling in
// the server.
package protocol
