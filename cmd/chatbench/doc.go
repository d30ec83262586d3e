// Command chatbench is rtchat's load and latency benchmark. It starts the
// example chat in-process on SQLite and Postgres (or targets a running
// server with -url), runs the scenarios idle, fanout, send, catchup and
// storm, and prints every figure beside a baseline measured in the same run:
// a bare melody server for the WebSocket paths and the database's own
// single-row INSERT loop for the write path.
//
//	go run ./cmd/chatbench                       # everything, both databases
//	go run ./cmd/chatbench -scenarios fanout -dbs postgres -markdown
//
// # Several nodes
//
// -nodes takes a list of node counts and runs every in-process scenario
// once at each, on a fresh database each time, so that the figures at two
// nodes stand beside those at one from the same run, with their ratio in a
// "vs 1 node" column:
//
//	go run ./cmd/chatbench -scenarios fanout,send -nodes 1,2 -markdown
//
// N nodes are N rtchat.Chats in this one process on the same database, each
// with its own listener, node id (chatbench-node-1...), Redis client and
// Redis broker on a channel prefix of the run's own (-redis, default
// $REDIS_URL, $RTCHAT_TEST_REDIS or redis://127.0.0.1:6379/0). At one node
// the chat keeps the default in-memory broker, as without -nodes: the ratio
// is what going from one node to two costs, the Redis hop included. Load
// user n connects to node (n-1) mod N + 1, so the fan-out's sender is on
// node 1 and its members alternate, and the send scenario's senders
// alternate too. On Postgres each node has its own pool, as a process of
// its own would; on SQLite the nodes share the one connection (see
// nodes.go). Presence stays per node until a shared presence manager is
// plugged in where nodes.go marks it. Memory and goroutines are measured
// per process, so with N nodes the idle figures are per connection over all
// of them. Without -nodes (or with -nodes 1) the output is as it always
// was.
//
// # Redis
//
// The redis scenario runs only when named (-scenarios redis): one
// publishing node and two subscribing nodes, each with its own client,
// carry broker events of the size of a message.dispatch through one Redis
// for -redis-duration with -redis-publishers goroutines publishing, and it
// reports the events per second each subscriber received, the CPU this
// process spends per event publishing and per event and node receiving,
// the JSON decode alone, and the Redis server's CPU per event. Its baseline
// is go-redis PUBLISH and SUBSCRIBE of the same bytes without encoding or
// decoding.
//
// See BENCHMARKS.md at the repository root for what each figure means and
// SCALING.md for what they say about one node and one Redis.
package main
