// Command custom-consumer is the Echo example app (see echoexample) with
// events and connection hooks of its own, as the original package's custom
// consumer app:
//
//	go run ./examples/custom-consumer   # http://localhost:8080
//
// Events, added with rtchat.WithEvent (user ids are rtchat's, the app's
// example_users.id):
//
//   - message.pin {message_id}: for the admins of the message's room (its
//     creator, admins and moderators; 4002 for others, 4004 for a missing
//     message, 4005 if already pinned). Stored in the app's
//     example_pinned_messages; message.pinned {message_id, pinned_by} goes
//     to the room.
//   - message.flag {message_id, reason?}: for anyone who may read the
//     message (4002 otherwise). Stored in the app's example_message_flags;
//     the caller gets message.flagged {status: "flagged", reason} (reason
//     "No reason provided" when none is given), and the room's admins but
//     the flagger get moderation.alert {message_id, room_id, flagged_by,
//     reason}; other members get nothing.
//   - message.analytics {room_id, timeframe: "24h" | "7d" | "30d"}: for
//     the room's members (4002 otherwise, 4003 for another timeframe); the
//     caller gets message.analytics {room_id, timeframe, message_count,
//     unique_senders}, counted from rtchat's own rtchat_messages table.
//
// Hooks, set with rtchat.WithHooks:
//
//   - around every event: message.send at most 30 times a minute per
//     connection (a sliding window); the 31st is answered 4029 with when to
//     retry, and the connection stays open.
//   - on connect and disconnect: each session's length is logged, and the
//     totals are served at GET /api/sessions/stats {active, ended,
//     total_seconds, longest_seconds} to a signed-in user.
//
// The app creates its tables with its own migrations (migrations/*.sql,
// bun/migrate, bookkept in example_consumer_migrations), after rtchat's.
// The logic lives in plain functions (moderation.go, ratelimit.go,
// sessions.go); adapters.go fits them to rtchat's signatures.
//
// The settings are echoexample's: ADDR, DATABASE_URL (Postgres instead of
// SQLite), SQLITE_PATH, JWT_SECRET, REDIS_URL and ALLOWED_ORIGINS; see
// exampleapp.Config. The limit and the session record are per node.
package main
