// Package presence tracks which users are online: a user is online while at
// least one of their connections is live, on any node.
//
// Manager is the small interface the rest of rtchat uses; Memory is the
// implementation for a single process (the default). A shared
// implementation (for example on Redis) lets several nodes agree on who is
// online; rtchat.WithPresence installs one.
package presence
