// Package consumer runs one WebSocket connection's life: origin check,
// registration in the fan-out index, reading frames in order, dispatching
// them to the event map, turning errors into error frames, writing through a
// bounded buffer, closing connections silent for longer than the inactivity
// threshold, telling the presence manager of every connection, and leaving
// the index on disconnect. It also runs the session sweeper and shuts the
// node's connections down on Close.
//
// It holds no SQL and no business rules: those are the handlers'.
package consumer
