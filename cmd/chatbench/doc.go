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
// See BENCHMARKS.md at the repository root for what each figure means.
package main
