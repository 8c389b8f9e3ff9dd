#!/usr/bin/env bash
# Room relay benchmark: 16, 50 and 200 bots in one room at 45 Hz, walking.
# Reports the room host's CPU (one process, one network thread: percent of
# one core), downstream kbit/s per visible avatar per viewer (UDP payload,
# ENet headers included, measured by every bot), and p95 interpolation error
# and delay measured by 4 observer bots.
#
#   tools/bot/bench_rooms.sh [build dir (build/dev)] [seconds per run (20)]
#
# The bots share the machine with the host: on a 2-core machine the 200-bot
# run is limited by the bot process (decrypting 200 x 199 avatars at up to
# 22.5 Hz), which inflates its error figures; the host's own CPU is what the
# goal is about.
set -euo pipefail
build=${1:-build/dev}
seconds=${2:-20}
warmup=6
host_bin=$build/tools/roomhost/mentorxr-roomhost
bot_bin=$build/tools/bot/mentorxr-bot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-6s %-14s %-14s %-26s %-14s %-14s %-12s %s\n' bots host_cpu_mean host_cpu_peak kbit/s/avatar/viewer p95_error_mm p95_head_mm delay_ms disconnected
for n in 16 50 200; do
  "$host_bin" --port 0 --allow-guests --room bench --open-demo --capacity 256 --max-peers 512 \
      --max-per-address 512 --stats --seconds $((seconds + 4)) > "$tmp/host.out" 2> "$tmp/host.err" &
  hpid=$!
  for _ in $(seq 50); do grep -q 'listening udp=' "$tmp/host.out" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/^listening udp=//p' "$tmp/host.out")
  "$bot_bin" --server "127.0.0.1:$port" --room bench --bots "$n" --seconds "$seconds" --warmup "$warmup" \
      --motion walking > "$tmp/bot.out" 2> "$tmp/bot.err" || true
  wait "$hpid" || true
  summary=$(grep '^summary' "$tmp/bot.out")
  val() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$summary"; }
  # Host CPU over the seconds when every bot was in (after the warm-up).
  read -r mean peak < <(awk -v from="$warmup" -v to="$seconds" \
      '/^stats/ { split($2,t,"="); split($3,c,"="); sub("%","",c[2]);
                  if (t[2] > from && t[2] <= to) { s += c[2]; k++; if (c[2] > p) p = c[2] } }
       END { if (k) printf "%.1f %.1f\n", s/k, p; else print "0 0" }' "$tmp/host.out")
  printf '%-6s %-14s %-14s %-26s %-14s %-14s %-12s %s\n' "$n" "$mean%" "$peak%" "$(val kbit_per_avatar_per_viewer)" \
      "$(val p95_error_mm)" "$(val p95_head_mm)" "$(val interp_delay_ms)" "$(val disconnected)"
done
