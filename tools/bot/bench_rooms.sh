#!/usr/bin/env bash
# Room relay benchmark: 16, 50 and 200 bots in one room at 45 Hz, walking.
# Reports the room host's CPU (one process, one network thread: percent of
# one core), downstream kbit/s per visible avatar per viewer (UDP payload,
# ENet headers included, measured by every bot), and p95 interpolation error
# and delay measured by 4 observer bots.
#
#   tools/bot/bench_rooms.sh [build dir (build/dev)] [seconds per run (20)] [roomhost|server] \
#                            [room sizes ("16 50 200")] [voice: off|one|all (off)]
#
# Voice: "one" makes the first bot talk, "all" every bot (one second of
# espeak-ng speech, Opus-encoded once and replayed without pauses:
# `mentorxr-bot --speak-preencoded`). kbit/s per avatar per viewer is then
# the avatars' share: each bot's downstream minus what the voice it received
# would have cost on its own (ClientStats::voiceBytesIn: every frame as a
# sealed VoiceDown alone in an ENet datagram); voice_kbit is that voice
# figure per bot.
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
sizes=${4:-16 50 200}
voice=${5:-off}
warmup=6
host_bin=$build/tools/roomhost/mentorxr-roomhost
server_bin=$build/server/mentorxr-server
bot_bin=$build/tools/bot/mentorxr-bot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
talk=()
if [[ $voice != off ]]; then
  espeak-ng -w "$tmp/say.wav" "Welcome to the workshop. Today we practise the weld on the left side of the frame, slowly and steadily."
  talk=(--speak-preencoded "$tmp/say.wav")
  [[ $voice == one ]] && talk+=(--talkers 1)
fi
printf '%-6s %-14s %-14s %-26s %-14s %-14s %-12s %-12s %s\n' bots host_cpu_mean host_cpu_peak kbit/s/avatar/viewer p95_error_mm p95_head_mm delay_ms disconnected voice_kbit
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
for n in $sizes; do
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
      --seconds "$seconds" --warmup "$warmup" --motion walking "${talk[@]}" > "$tmp/bot.out" 2> "$tmp/bot.err" || true
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
  voice_kbit=$(awk -v b="$(val voice_bytes_in_per_client_s)" 'BEGIN { printf "%.1f", (b + 0) * 8 / 1000 }')
  printf '%-6s %-14s %-14s %-26s %-14s %-14s %-12s %-12s %s\n' "$n" "$mean%" "$peak%" "$(val kbit_per_avatar_per_viewer)" \
      "$(val p95_error_mm)" "$(val p95_head_mm)" "$(val interp_delay_ms)" "$(val disconnected)" "$voice_kbit"
done
