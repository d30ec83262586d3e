// Command custom-message is the Echo example app (see echoexample) with a
// Message model of its own, as the original package's custom message app:
//
//	go run ./examples/custom-message   # http://localhost:8080
//
// Every message has three more fields (Message, in message.go), set by
// message.send's extra_fields and shown as top-level keys of every message
// shape: message.dispatch, room.messages history, a reply's parent, the
// notifications of a new connection.
//
//   - priority: "low", "normal", "high", "urgent" or "critical"; "normal"
//     when not given.
//   - metadata: any JSON object; {} when not given (as the original's
//     JSONField(default=dict)); null is refused.
//   - is_pinned: a boolean; false when not given.
//
// For example:
//
//	{"type": "message.send", "request_id": "1", "data": {"room_id": "…", "content": "the database is down",
//	  "extra_fields": {"priority": "critical", "metadata": {"ticket": "OPS-1"}, "is_pinned": true}}}
//
// A value that does not fit is 4003 naming the field (extra_fields.priority:
// "Must be one of: low normal high urgent critical.") and nothing is stored.
// The sender changes them with message.modify's update, alone or with the
// content: {"action": "update", "message_id": "…", "extra_fields":
// {"priority": "low", "is_pinned": false}}. Changing the fields alone is
// not an edit (is_edited unchanged, no edit history); with a new content it
// is. The room gets messagemodification.dispatch with the whole message.
// Everything else is rtchat's, unchanged (docs/protocol.md).
//
// The columns are the app's: its own migration (migrate.go,
// migrations/pg and migrations/sqlite, bun/migrate, bookkept in
// example_message_migrations) adds them to rtchat_messages after rtchat's
// migration and before serving, so a database of echoexample becomes this
// app's, its messages getting the defaults. On Postgres metadata is JSONB,
// on SQLite JSON text. The migration runs once: a restart finds nothing to
// do, and nodes starting at once on one Postgres wait for each other on an
// advisory lock.
//
// The settings are echoexample's: ADDR, DATABASE_URL (Postgres instead of
// SQLite), SQLITE_PATH, JWT_SECRET, REDIS_URL and ALLOWED_ORIGINS; see
// exampleapp.Config.
package main
