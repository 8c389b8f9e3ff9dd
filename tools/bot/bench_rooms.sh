#!/usr/bin/env bash
# Room relay benchmark: 16, 50 and 200 bots in one room at 45 Hz, walking.
# Reports the room host's CPU (one process, one network thread: percent of
# one core), downstream kbit/s per visible avatar per viewer (UDP payload,
# ENet headers included, measured by every bot), and p95 interpolation error
# and delay measured by 4 observer bots.
#
#   tools/bot/bench_rooms.sh [build dir (build/dev)] [seconds per run (20)] [roomhost|server]
#
# With "server" the bots join the open demo room of mentorxr-server
# (--allow-guests) instead of the standalone mentorxr-roomhost; the host CPU
# is then the whole server process (its ENet thread plus idle HTTP and store
# threads), sampled from /proc once a second.
#
# The bots share the machine with the host: on a 2-core machine the 200-bot
# run is limited by the bot process (decrypting 200 x 199 avatars at up to
# 22.5 Hz), which inflates its error figures; the host's own CPU is what the
# goal is about.
set -euo pipefail
build=${1:-build/dev}
seconds=${2:-20}
kind=${3:-roomhost}
warmup=6
host_bin=$build/tools/roomhost/mentorxr-roomhost
server_bin=$build/server/mentorxr-server
bot_bin=$build/tools/bot/mentorxr-bot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-6s %-14s %-14s %-26s %-14s %-14s %-12s %s\n' bots host_cpu_mean host_cpu_peak kbit/s/avatar/viewer p95_error_mm p95_head_mm delay_ms disconnected
# CPU of process $1 as "stats t=SECONDS cpu=PERCENT%" lines, once a second.
sample_cpu() {
  local pid=$1 hz t=0 prev now
  hz=$(getconf CLK_TCK)
  prev=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || return 0
  while sleep 1; do
    now=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || return 0
    t=$((t + 1))
    echo "stats t=$t cpu=$(awk -v a="$prev" -v b="$now" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) * 100 / hz }')%"
    prev=$now
  done
}
for n in 16 50 200; do
  if [[ $kind == server ]]; then
    rm -rf "$tmp/data"
    "$server_bin" --data "$tmp/data" --http-port 0 --port 0 --allow-guests --room-capacity 256 --max-peers 512 \
        --max-peers-per-address 512 --password-hash-cost test > "$tmp/server.out" 2> "$tmp/host.err" &
    hpid=$!
    for _ in $(seq 100); do grep -q 'listening http=' "$tmp/server.out" 2>/dev/null && break; sleep 0.1; done
    port=$(sed -n 's/^listening http=[0-9]* udp=//p' "$tmp/server.out")
    room=demo
    sample_cpu "$hpid" > "$tmp/host.out" &
    spid=$!
  else
    "$host_bin" --port 0 --allow-guests --room bench --open-demo --capacity 256 --max-peers 512 \
        --max-per-address 512 --stats --seconds $((seconds + 4)) > "$tmp/host.out" 2> "$tmp/host.err" &
    hpid=$!
    for _ in $(seq 50); do grep -q 'listening udp=' "$tmp/host.out" 2>/dev/null && break; sleep 0.1; done
    port=$(sed -n 's/^listening udp=//p' "$tmp/host.out")
    room=bench
  fi
  # Each run's host has a fresh key: a fresh known-servers file pins it.
  rm -f "$tmp/known_servers"
  "$bot_bin" --server "127.0.0.1:$port" --known-servers "$tmp/known_servers" --room "$room" --bots "$n" \
      --seconds "$seconds" --warmup "$warmup" --motion walking > "$tmp/bot.out" 2> "$tmp/bot.err" || true
  if [[ $kind == server ]]; then
    kill "$spid" 2>/dev/null || true
    kill "$hpid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
  fi
  wait "$hpid" || true
  summary=$(grep '^summary' "$tmp/bot.out")
  val() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$summary"; }
  # Host CPU over the seconds when every bot was in (after the warm-up).
  read -r mean peak < <(awk -v from="$warmup" -v to="$seconds" \
      '/^stats/ { split($2,t,"="); split($3,c,"="); sub("%","",c[2]);
                  if (t[2] > from && t[2] <= to) { s += c[2]; k++; if (c[2] + 0 > p + 0) p = c[2] + 0 } }
       END { if (k) printf "%.1f %.1f\n", s/k, p; else print "0 0" }' "$tmp/host.out")
  printf '%-6s %-14s %-14s %-26s %-14s %-14s %-12s %s\n' "$n" "$mean%" "$peak%" "$(val kbit_per_avatar_per_viewer)" \
      "$(val p95_error_mm)" "$(val p95_head_mm)" "$(val interp_delay_ms)" "$(val disconnected)"
done
