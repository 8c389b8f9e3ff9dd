#!/bin/sh
# Runs Debian's hello_xr (package libopenxr-utils), a client we did not
# write, against the headless runtime and checks what the runtime saw.
#
# Usage: run_hello_xr.sh GRAPHICS WORKDIR MODE
#   MODE exit:  the runtime asks the session to exit at frame 60 (exit_at_frame);
#               hello_xr must end the session and quit by itself. No timing involved.
#   MODE stdin: hello_xr quits when its standard input closes after 3 s.
# Needs XR_RUNTIME_JSON and VK_ICD_FILENAMES in the environment (CTest sets them).
set -u
graphics=$1
work=$2
mode=$3
hello=$(command -v hello_xr) || { echo "hello_xr not found (apt-get install libopenxr-utils)"; exit 1; }
rm -rf "$work" && mkdir -p "$work" || exit 1
fail() {
  echo "FAIL: $1"
  echo "--- hello_xr output (tail)"; tail -n 40 "$work/hello_xr.out"
  echo "--- runtime event log (head)"; head -n 20 "$work/events.log" 2>/dev/null
  exit 1
}

if [ "$mode" = exit ]; then
  cat > "$work/config.json" <<JSON
{"frame_rate_hz": 0, "view_size": [256, 256], "event_log": "events.log",
 "exit_at_frame": 60, "capture": {"dir": "captures", "frames": [30]}}
JSON
  # hello_xr must quit on EXITING while its standard input stays open: a
  # FIFO kept open by a background writer (killed below) holds it.
  mkfifo "$work/stdin" || exit 1
  sleep 120 > "$work/stdin" &
  holder=$!
  MXR_XRRT_CONFIG="$work/config.json" timeout 60 "$hello" -g "$graphics" < "$work/stdin" > "$work/hello_xr.out" 2>&1
  rc=$?
  kill "$holder" 2>/dev/null
  [ "$rc" -eq 0 ] || fail "hello_xr -g $graphics exited with $rc (124: it did not quit on EXITING)"
  grep -q "^session runtime_exit frame 60" "$work/events.log" || fail "the runtime did not ask for exit at frame 60"
  grep -q "^session end" "$work/events.log" || fail "hello_xr did not call xrEndSession"
  min=55
  capture=30
else
  # Paced at 90 Hz so the run costs little CPU on a shared CI machine.
  cat > "$work/config.json" <<JSON
{"frame_rate_hz": 90, "view_size": [256, 256], "event_log": "events.log",
 "capture": {"dir": "captures", "frames": [5]}}
JSON
  # hello_xr quits when its standard input closes: sleep holds it open.
  sleep 3 | MXR_XRRT_CONFIG="$work/config.json" timeout 60 "$hello" -g "$graphics" > "$work/hello_xr.out" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || fail "hello_xr -g $graphics exited with $rc"
  min=6
  capture=5
fi

grep -q "VUID-" "$work/hello_xr.out" && fail "a validation layer reported errors"
frames=$(grep -c "^frame .* layers 1 projection" "$work/events.log")
[ "$frames" -ge "$min" ] || fail "only $frames frames with a projection layer reached the runtime"
grep -q "^session destroy" "$work/events.log" || fail "hello_xr did not destroy its session"
for v in 0 1; do
  png="$work/captures/frame${capture}_view$v.png"
  [ -s "$png" ] || fail "no capture $png"
done
echo "hello_xr -g $graphics ($mode): $frames frames submitted"
rm -rf "$work"
exit 0
