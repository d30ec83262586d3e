// Package consumer runs one WebSocket connection's life: origin check,
// registration in the fan-out index, reading frames in order, dispatching
// them to the event map, turning errors into error frames, writing through a
// bounded buffer, and leaving the index on disconnect.
//
// It holds no SQL and no business rules: those are the handlers'.
package consumer
