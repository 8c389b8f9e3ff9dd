#!/usr/bin/env bash
# Voice forwarding benchmark (issue 13, point 8): N talkers to N listeners in
# one room (default 50), every bot talking all the time with pre-encoded
# Opus packets (`mentorxr-bot --speak-preencoded`: one second of espeak-ng
# speech encoded once, DTX off, replayed at 100 frames/s with fresh sequence
# numbers and timestamps), walking and posting avatars at 45 Hz. Each
# listener gets the K = 8 streams the host picks.
#
# Reports the room host's CPU (mentorxr-roomhost: one process, one network
# thread, percent of one core, avatars included; mean and peak over the
# seconds after the warm-up, from the host's own /proc-based stats line),
# voice frames in and out per second at the host, and per talker the bytes
# per second it puts on the wire: bot upstream with voice minus the same
# run's avatar-only upstream (UDP payload with ENet headers; add 28 bytes of
# UDP/IP per datagram for the link).
#
#   tools/bot/bench_voice.sh [build dir (build/dev)] [seconds (20)] [bots (50)] [goal % of one core (25)]
#
# Exit code 1 when a bot failed or the host missed frames (so the figure is
# not from a starved load generator) or the mean is over the goal.
set -euo pipefail
build=${1:-build/dev}
seconds=${2:-20}
bots=${3:-50}
goal=${4:-25}
warmup=6
host_bin=$build/tools/roomhost/mentorxr-roomhost
bot_bin=$build/tools/bot/mentorxr-bot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -w "$tmp/say.wav" "Welcome to the workshop. Today we practise the weld on the left side of the frame, slowly and steadily."

run() {  # $1: voice|novoice
  "$host_bin" --port 0 --allow-guests --room bench --open-demo --capacity 256 --max-peers 512 \
      --max-per-address 512 --stats --seconds $((seconds + 4)) > "$tmp/host.out" 2> "$tmp/host.err" &
  local hpid=$!
  for _ in $(seq 50); do grep -q 'listening udp=' "$tmp/host.out" 2>/dev/null && break; sleep 0.1; done
  local port
  port=$(sed -n 's/^listening udp=//p' "$tmp/host.out")
  rm -f "$tmp/known_servers"
  local extra=()
  [[ $1 == voice ]] && extra=(--speak-preencoded "$tmp/say.wav")
  "$bot_bin" --server "127.0.0.1:$port" --known-servers "$tmp/known_servers" --room bench --bots "$bots" \
      --seconds "$seconds" --warmup "$warmup" --motion walking "${extra[@]}" > "$tmp/bot.out" 2> "$tmp/bot.err" || true
  wait "$hpid" || true
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }

cpu() {  # host CPU mean and peak over the seconds after the warm-up
  awk -v from="$warmup" -v to="$seconds" \
    '/^stats/ { split($2,t,"="); split($3,c,"="); sub("%","",c[2]);
                if (t[2] > from && t[2] <= to) { s += c[2]; k++; if (c[2] + 0 > p + 0) p = c[2] + 0 } }
     END { if (k) printf "%.1f %.1f\n", s/k, p; else print "0 0" }' "$tmp/host.out"
}

run novoice
base_out=$(field bytes_out_per_client_s "$(grep '^summary' "$tmp/bot.out")")
read -r base_mean base_peak < <(cpu)
run voice
bot_summary=$(grep '^summary' "$tmp/bot.out")
host_summary=$(grep '^summary' "$tmp/host.out")
read -r mean peak < <(cpu)
echo "avatars only (same bots, no voice): host_cpu_mean=${base_mean}% host_cpu_peak=${base_peak}%"
voice_in=$(field voice_in "$host_summary")
voice_out=$(field voice_out "$host_summary")
voice_dropped=$(field voice_dropped "$host_summary")
failed=$(field failed "$bot_summary")
disconnected=$(field disconnected "$bot_summary")
voice_out_bytes=$(field bytes_out_per_client_s "$bot_summary")
printf '%-6s %-14s %-14s %-18s %-18s %-20s %-22s %s\n' talkers host_cpu_mean host_cpu_peak frames_in_per_s \
    frames_out_per_s bytes_per_s_per_talker kbit_per_s_per_talker failed+disconnected
awk -v n="$bots" -v mean="$mean" -v peak="$peak" -v sec="$seconds" -v vin="$voice_in" -v vout="$voice_out" \
    -v up="$voice_out_bytes" -v base="$base_out" -v bad="$((failed + disconnected))" 'BEGIN {
  printf "%-6s %-14s %-14s %-18.0f %-18.0f %-20.0f %-22.1f %s\n", n, mean "%", peak "%", vin / sec, vout / sec,
      up - base, (up - base) * 8 / 1000, bad }'
echo "host: $host_summary"
# Frames are sent for ~$seconds of the host's $((seconds + 4)): at 100/s per talker, at least 80% of that must arrive.
ok=$(awk -v n="$bots" -v vin="$voice_in" -v sec="$seconds" -v mean="$mean" -v goal="$goal" -v drop="$voice_dropped" \
    'BEGIN { print (vin >= 0.8 * n * 100 * (sec - 1) && mean < goal && drop == 0) ? 1 : 0 }')
if [[ $ok != 1 || $((failed + disconnected)) != 0 ]]; then
  echo "bench_voice: FAILED (goal ${goal}% of one core, every frame admitted, no bot lost)" >&2
  exit 1
fi
