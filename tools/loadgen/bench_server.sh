#!/usr/bin/env bash
# The session server's throughput figures (issue 12): the load generator's
# README phases against a fresh server, TLS off and on, several rounds
# interleaved so a drift of the machine lands on both.
#
#   tools/loadgen/bench_server.sh [build dir (build/dev)] [rounds (3)] [seconds per phase (5)]
#
# Each run starts `mentorxr-server` on a fresh --data folder (test password
# hashing, so the setup's 200+ logins are cheap; the measured requests hash
# nothing), TLS with a fresh P-256 self-signed certificate, and prints the
# load generator's table with the load average before it. A benchmark: it
# reports, it never fails on a figure. Nothing else should run meanwhile.
set -euo pipefail
build=${1:-build/dev}
rounds=${2:-3}
seconds=${3:-5}
server=${SERVER:-$build/server/mentorxr-server}  # SERVER=path compares another build
loadgen=$build/tools/loadgen/mentorxr-loadgen
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
run() {  # $1: off|on
  local data=$tmp/data-$1-$RANDOM tls=() gen=()
  mkdir -p "$data"
  if [[ $1 == on ]]; then
    tls=(--tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem")
    gen=(--tls)
  fi
  "$server" --data "$data" --http-port 0 --password-hash-cost test \
    --init-admin admin@example.org:adminpassword "${tls[@]}" > "$data/out" 2>&1 &
  local pid=$!
  local port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening http=\([0-9]*\).*/\1/p' "$data/out" | head -1)
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$data/out"; exit 1; }
  echo "== TLS $1, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  "$loadgen" --port "$port" --admin admin@example.org:adminpassword "${gen[@]}" \
    --write-clients 200 --read-clients 16,200 --open-writes 200:10000 --open-reads 200:20000 \
    --seconds "$seconds" --server-pid "$pid"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
for r in $(seq "$rounds"); do
  echo "# round $r"
  run off
  run on
done
