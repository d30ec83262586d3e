// Command custom-permission is the Echo example app (see echoexample) with
// a permission handler of its own, as the original package's custom
// permission app: rooms can be archived, and only the app's VIP users send
// in them and manage their members.
//
//	VIP_USERS=alice,bob go run ./examples/custom-permission   # http://localhost:8080
//
// A room is archived when its preferences say "archived": true, set by an
// admin with room.create's extra_fields.property.preferences or room.modify
// update's property.preferences (docs/protocol.md). In an archived room:
//
//   - message.send and message.typing answer 4002 to everyone but the VIP
//     members, admins included, whatever the room's lock and grants;
//   - VIP members add and remove members and administer the room
//     (room.add_members, room.remove_members, room.modify but delete, which
//     stays the creator's), as admins do; the creator and the admins keep
//     their protection (a VIP does not remove them);
//   - everything else, room.info and room.messages included, follows the
//     default rules, so members still read the room and admins can
//     un-archive it.
//
// VIP_USERS is a comma-separated list of usernames (the app's
// example_users.username; blanks around names are ignored). A room that is
// not archived follows rtchat's default rules for everyone.
//
// The other settings are echoexample's: ADDR, DATABASE_URL (Postgres
// instead of SQLite), SQLITE_PATH, JWT_SECRET, REDIS_URL and
// ALLOWED_ORIGINS; see exampleapp.Config.
package main
