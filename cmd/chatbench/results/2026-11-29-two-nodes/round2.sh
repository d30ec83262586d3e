#!/bin/bash
# Second round: each run waits (up to 4 min) for the 1-minute load average to drop under 4.
set -u
cd /tmp/bench2-out
B=${CHATBENCH:-chatbench}
export RTCHAT_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' RTCHAT_TEST_REDIS=redis://127.0.0.1:6379/0
waitload() {
  for _ in $(seq 48); do
    l=$(cut -d' ' -f1 /proc/loadavg)
    awk -v l="$l" 'BEGIN{exit !(l<4.0)}' && return
    sleep 5
  done
}
for i in 4 5 6; do
  waitload; $B -scenarios fanout,send -dbs postgres,sqlite -nodes 1,2 -markdown -json fs$i.json > fs$i.md 2> fs$i.log
  waitload; $B -scenarios redis -markdown -json redis$i.json > redis$i.md 2> redis$i.log
done
waitload; $B -scenarios send -send-rooms 1 -dbs postgres,sqlite -nodes 1,2 -markdown -json room3.json > room3.md 2> room3.log
echo done > finished2
