// Package presence tracks which users are online: a user is online while at
// least one of their connections is live, on any node.
//
// Manager is the small interface the rest of rtchat uses; Memory is the
// implementation for a single process (the default). A shared
// implementation (for example on Redis) lets several nodes agree on who is
// online; rtchat.WithPresence installs one. Such an implementation also
// implements Cluster, so that the users of a node that stopped without
// disconnecting them go offline; package presence/redis is one.
package presence
