// Package model holds rtchat's bun models, its schema migrations and the store
// queries that need more than one line.
//
// Every table is prefixed "rtchat_" so rtchat can live in the app's own
// database beside the app's tables. Users are not stored here: they belong to
// the app and are referred to by int64 id.
//
// Database errors are mapped at this edge: callers see ErrNotFound,
// ErrConflict and ErrUnavailable (with errors.Is), never a driver type.
package model
