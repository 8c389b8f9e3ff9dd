#!/bin/sh
# Runs Debian's hello_xr (package libopenxr-utils), a client we did not
# write, against the headless runtime and checks what the runtime saw.
# Usage: run_hello_xr.sh GRAPHICS WORKDIR [SECONDS]
# Needs XR_RUNTIME_JSON and VK_ICD_FILENAMES in the environment (CTest sets them).
set -u
graphics=$1
work=$2
seconds=${3:-3}
hello=$(command -v hello_xr) || { echo "hello_xr not found (apt-get install libopenxr-utils)"; exit 1; }
rm -rf "$work" && mkdir -p "$work" || exit 1
# Paced at 90 Hz so the run costs little CPU on a shared CI machine.
cat > "$work/config.json" <<JSON
{"frame_rate_hz": 90, "view_size": [256, 256], "event_log": "events.log",
 "capture": {"dir": "captures", "frames": [30]}}
JSON
# hello_xr quits when its standard input closes: sleep holds it open.
sleep "$seconds" | MXR_XRRT_CONFIG="$work/config.json" timeout 60 "$hello" -g "$graphics" > "$work/hello_xr.out" 2>&1
rc=$?
fail() { echo "FAIL: $1"; echo "--- hello_xr output (tail)"; tail -n 40 "$work/hello_xr.out"; echo "--- runtime event log (head)"; head -n 20 "$work/events.log" 2>/dev/null; exit 1; }
[ "$rc" -eq 0 ] || fail "hello_xr -g $graphics exited with $rc"
grep -q "VUID-" "$work/hello_xr.out" && fail "Vulkan validation reported errors"
frames=$(grep -c "^frame .* layers 1 projection" "$work/events.log")
[ "$frames" -ge 30 ] || fail "only $frames frames with a projection layer reached the runtime"
grep -q "^session destroy" "$work/events.log" || fail "hello_xr did not destroy its session"
for v in 0 1; do
  # hello_xr clears to a dark slate colour and draws cubes: the PNG must exist
  # and be larger than a flat image would compress to.
  png="$work/captures/frame30_view$v.png"
  [ -s "$png" ] || fail "no capture $png"
done
echo "hello_xr -g $graphics: $frames frames submitted"
rm -rf "$work"
exit 0
