// Package redis is the presence manager of many nodes: which users are
// online, across every node of a chat, kept in Redis, with a cap on each
// user's connections across nodes. Users import it as presenceredis:
//
//	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
//	chat, err := rtchat.New(db,
//		rtchat.WithBroker(redisbroker.New(client)),
//		rtchat.WithPresence(presenceredis.New(client)),
//		rtchat.WithNodeID("node-1"), // stable per node, unique in the cluster
//	)
//
// # Data
//
// Every key is under one hash tag, "{<prefix>}" (WithPrefix), so each Lua
// script touches one slot of a Redis Cluster:
//
//	{p}:u:<user>     HASH connection id -> node id
//	{p}:n:<node>     SET of "<user>:<connection id>"
//	{p}:alive:<node> the node's liveness, with a PX time-to-live
//	{p}:nodes        SET of the registered nodes
//
// Connect, Disconnect, Online, the refresh, the reaping and a node's
// resync are each one Lua script, so each is atomic across nodes: two
// nodes connecting one user's first two connections at once report one
// first, and the connection cap (the limit given to Connect) holds across
// nodes. A connection counts (as online, and against the cap) only while
// its node's liveness key exists.
//
// # Liveness and reaping
//
// Manager implements presence.Cluster. Start registers the node; it then
// refreshes its liveness every TTL/3 (WithTTL, default 15s) and, every
// TTL/2, reaps the registered nodes whose liveness lapsed: their
// connections are forgotten and the users left without one are reported
// to the onChange given to Start (rtchat announces them offline and closes
// the dead node's session rows). The check and the unregistering are one
// script, so a dead node is reaped by exactly one live node. The users of
// a crashed node are thus offline within about 1.5 TTL.
//
// # A node cut off from Redis
//
// The manager keeps a local copy of its node's live connections. A node
// that cannot reach Redis keeps serving: Connect and Disconnect return the
// client's error, the local copy is updated anyway, and once Redis answers
// again the node writes its connections back in one script (a resync),
// reporting through onChange the users thereby online again (after being
// reaped) or offline (their connection closed meanwhile). A node that was
// cut off longer than the TTL has been reaped meanwhile, and its users
// were shown offline by then.
//
// Limits: during a lapse shorter than a reaping round a node's users may
// be shown offline (Online) without being announced; a connection over the
// cap that was admitted while Redis was unreachable stays admitted; a
// resync and a reaping run one script over all of a node's connections,
// which blocks Redis for a while on a node holding very many.
//
// The *goredis.Client belongs to the caller: Stop leaves it open.
package redis
