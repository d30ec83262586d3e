#!/bin/bash
set -u
cd /tmp/bench2-out
B=${CHATBENCH:-chatbench}
export RTCHAT_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' RTCHAT_TEST_REDIS=redis://127.0.0.1:6379/0
for i in 1 2 3; do
  $B -scenarios fanout,send -dbs postgres,sqlite -nodes 1,2 -markdown -json fs$i.json > fs$i.md 2> fs$i.log
  $B -scenarios redis -markdown -json redis$i.json > redis$i.md 2> redis$i.log
done
for i in 1 2; do
  $B -scenarios idle -dbs postgres -markdown -json idle$i.json > idle$i.md 2> idle$i.log
  $B -scenarios send -send-rooms 1 -dbs postgres,sqlite -nodes 1,2 -markdown -json room$i.json > room$i.md 2> room$i.log
done
echo done > finished
