#!/usr/bin/env bash
# MentorXR developer entry point.
#   tools/dev.sh run   [client args...]  install, build, start server, two bots and a client in room demo
#   tools/dev.sh test                    install, build, run every test (not soak/bench)
#   tools/dev.sh setup                   install the Debian packages only
#   tools/dev.sh build [preset]          configure and build (dev by default)
#   tools/dev.sh bench                   build and run the benchmarks (label bench)
#   tools/dev.sh soak                    run the long suites (label soak)
#   tools/dev.sh test-web                the web app's full browser suite (labels web, web_full)
#   tools/dev.sh install-url-handler     open mentorxr:// links (the web app's "Open in MentorXR") in this client
#   tools/dev.sh fuzz [seconds]          fuzz the network decoders and file readers (default 60 s each)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# Every dependency is a Debian package (bookworm). Runtime test doubles too:
# lavapipe (mesa-vulkan-drivers), Xvfb, the validation layers, hello_xr.
PACKAGES=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev git
  libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers glslc vulkan-tools
  libglfw3-dev libimgui-dev libstb-dev libglm-dev libtinygltf-dev fonts-dejavu-core
  # names in any script: FreeType, HarfBuzz (hb-shape for the shaping test), Noto per script (engine/README.md)
  libfreetype-dev libharfbuzz-dev libharfbuzz-bin fonts-noto-core fonts-noto-cjk
  libopenxr-dev libopenxr-loader1 libopenxr-utils openxr-layer-corevalidation
  libenet-dev libopus-dev libopenal-dev libopenal-data libspeexdsp-dev libwebrtc-audio-processing-dev libsodium-dev espeak-ng
  # matching and scheduling (server/README.md "Matching"): time zones from tzdata, LEMON flows, libical
  libhowardhinnant-date-dev tzdata liblemon-dev libical-dev
  libsqlite3-dev sqlite3 libcpp-httplib-dev nlohmann-json3-dev libcli11-dev libexpected-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev libboost-context-dev libssl-dev openssl zlib1g-dev
  # the session server's allocator (server/README.md "Allocator")
  libjemalloc-dev
  xvfb xauth curl
  chromium libjs-chart.js
)

log() { printf '\033[1mdev.sh:\033[0m %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else log "need root (or sudo) to run: $*"; exit 1
  fi
}

setup() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${#missing[@]} missing packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  web_setup
}

# The web tests' npm packages (playwright-core, axe-core; pinned by
# web/tests/package-lock.json), with the machine's Node.js and its npm.
web_setup() {
  if ! command -v npm >/dev/null; then log "no npm (Node.js): the web tests will be skipped"; return; fi
  if [[ ! -f web/tests/node_modules/.package-lock.json || web/tests/package-lock.json -nt web/tests/node_modules/.package-lock.json ]]; then
    (cd web/tests && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

jobs() { nproc 2>/dev/null || echo 2; }

build() {
  local preset=${1:-dev}
  shift || true
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(jobs)" "$@"
}

# The software stack tests run on: lavapipe, validation layers, headless audio.
test_env() {
  export VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
  export ALSOFT_DRIVERS=null
  export LP_NUM_THREADS=${LP_NUM_THREADS:-2}
}

run_tests() {
  test_env
  local t0=$SECONDS
  build dev
  log "dev build done in $((SECONDS - t0)) s; running tests"
  # The soak slice (180 s of bots and writers through a restart, light on
  # CPU) runs beside the rest rather than in its pool: in the pool it held a
  # slot for 3 minutes, and every serial test waited for it.
  local slice_log=$ROOT/build/dev/soak-slice.log slice_pid status=0
  (cd build/dev && ctest --output-on-failure -R '^SoakSlice[.]' --timeout 600 >"$slice_log" 2>&1) &
  slice_pid=$!
  (cd build/dev && ctest --output-on-failure -j "$(jobs)" -LE 'soak|bench|web_full' -E '^SoakSlice[.]' --timeout 600) ||
    status=1
  wait "$slice_pid" || status=1
  log "soak slice: $(grep -E 'tests passed|tests failed' "$slice_log" || echo 'no result')"
  if ((status)); then
    cat "$slice_log"
    return 1
  fi
  log "dev tests done at $((SECONDS - t0)) s; sanitizer build (core, net, server)"
  build asan
  (cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j "$(jobs)" -LE 'soak|bench|golden|window|xr|web' --timeout 600)
  log "sanitizer tests done at $((SECONDS - t0)) s; fuzzing the decoders and file readers briefly"
  fuzz "${MXR_FUZZ_SECONDS:-15}"
  log "all tests done in $((SECONDS - t0)) s"
}

# libFuzzer over every network decoder and file reader (clang, address+UB sanitizers): the
# seed corpus replayed by ctest, then a short run from it per target.
fuzz() {
  local seconds=$1
  if [[ ! -f build/fuzz/CMakeCache.txt ]]; then
    CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DMXR_FUZZ=ON -DMXR_WITH_GPU=OFF \
      -DMXR_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build build/fuzz -j "$(jobs)" --target mxr_fuzz_all
  (cd build/fuzz && ctest --output-on-failure -L fuzz)
  # One fuzzer per core at a time: each is single-threaded.
  local t pids=() status=0
  for t in message avatar ticket sealed replay handshake voice wav annotation workspace procedure gltf; do
    fuzz_one "$t" "$seconds" &
    pids+=($!)
    if ((${#pids[@]} >= $(jobs))); then
      wait "${pids[0]}" || status=1
      pids=("${pids[@]:1}")
    fi
  done
  for t in "${pids[@]}"; do wait "$t" || status=1; done
  return $status
}

fuzz_one() {
  local t=$1 seconds=$2
  mkdir -p "build/fuzz/work/$t"
  if "build/fuzz/tests/net/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=1024 -print_final_stats=0 \
    "build/fuzz/work/$t" "tests/net/fuzz/corpus/$t" 2>"build/fuzz/work/$t.log"; then
    log "fuzz_$t: $(tail -1 "build/fuzz/work/$t.log")"
  else
    tail -40 "build/fuzz/work/$t.log"
    log "fuzz_$t found a crash (reproducer in build/fuzz)"
    return 1
  fi
}

SERVER_PID=
BOTS_PID= BOTS2_PID=
stop_server() {
  for pid in $BOTS_PID $BOTS2_PID $SERVER_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# A shared room to look at: the session server, two walking bots in its
# demo room, and the client joining it as a guest. MENTORXR_HTTP_PORT and
# MENTORXR_UDP_PORT choose the ports (0: free ones), MENTORXR_NAME the
# guest name; arguments go to the client.
run_main() {
  build dev
  local client=build/dev/scenes/mentorxr server=build/dev/server/mentorxr-server bot=build/dev/tools/bot/mentorxr-bot
  if [[ ! -x $client || ! -x $server || ! -x $bot ]]; then
    log "not built yet ($client, $server or $bot missing)"
    exit 1
  fi
  local data=${XDG_DATA_HOME:-$HOME/.local/share}/mentorxr
  mkdir -p "$data"
  # The server's stdout is only its "listening" line; keep it off the
  # terminal's pipe so nothing waits on a server that outlives the client.
  : >"$data/server.out"
  "$server" --data "$data" --http-port "${MENTORXR_HTTP_PORT:-8080}" --port "${MENTORXR_UDP_PORT:-7777}" \
    --allow-guests >"$data/server.out" &
  SERVER_PID=$!
  trap stop_server EXIT INT TERM
  local line= i
  for i in $(seq 100); do
    line=$(grep -m1 '^listening ' "$data/server.out" || true)
    [[ -n $line ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { log "the session server did not start (see above)"; exit 1; }
    sleep 0.1
  done
  [[ -n $line ]] || { log "the session server printed no listening line"; exit 1; }
  local http=${line#*http=}; http=${http%% *}
  local udp=${line#*udp=}; udp=${udp%% *}
  # Two guests walking in the demo room and talking in turns (a mentor and
  # a mentee, assets/audio, made with espeak-ng), so a newcomer sees and
  # hears a living room.
  "$bot" --server "127.0.0.1:$udp" --room demo --bots 1 --name Ada --motion walking --seconds 86400 \
    --observers 0 --speak "$ROOT/assets/audio/demo_mentor.wav" >"$data/bots.out" 2>&1 &
  BOTS_PID=$!
  "$bot" --server "127.0.0.1:$udp" --room demo --bots 1 --name Ben --motion walking --seconds 86400 \
    --observers 0 --speak "$ROOT/assets/audio/demo_mentee.wav" >"$data/bots2.out" 2>&1 &
  BOTS2_PID=$!
  local me=${MENTORXR_NAME:-${USER:-guest}}
  local address
  address=$(hostname -I 2>/dev/null | awk '{print $1}')
  log "session server and web app on http://127.0.0.1:$http/, rooms on udp $udp (pid $SERVER_PID, data in $data;"
  log "  the first start prints a one-time admin password; API: server/README.md)"
  log "two walking, talking bots are in room demo; you join it as guest \"$me\" (M mutes you)"
  log "a second person joins from another machine (UDP port $udp open to it) with:"
  log "  mentorxr --server ${address:-THIS-MACHINE-IP}:$udp --room demo --guest THEIR-NAME"
  # No GPU driver installed beyond Mesa: use whatever the loader finds, which
  # includes lavapipe as the last resort. --mode auto unless one is given.
  local mode=(--mode auto) a
  for a in "$@"; do [[ $a == --mode || $a == --mode=* ]] && mode=(); done
  "$client" "${mode[@]}" --server "127.0.0.1:$udp" --room demo --guest "$me" "$@"
}

cmd=${1:-help}
shift || true
case $cmd in
  setup) setup ;;
  build) setup; build "$@" ;;
  test) setup; run_tests ;;
  run) setup; run_main "$@" ;;
  bench)
    setup; test_env; build dev
    (cd build/dev && ctest -L bench -V) ;;
  fuzz) setup; fuzz "${1:-60}" ;;
  install-url-handler)
    # A desktop entry for x-scheme-handler/mentorxr, run in a terminal
    # (the client asks for the password there).
    apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
    mkdir -p "$apps"
    printf '[Desktop Entry]\nType=Application\nName=MentorXR\nExec=%s %%u\nTerminal=true\nNoDisplay=true\nMimeType=x-scheme-handler/mentorxr;\n' \
      "$ROOT/tools/mentorxr-open-url" >"$apps/mentorxr-url.desktop"
    command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
    command -v xdg-mime >/dev/null && xdg-mime default mentorxr-url.desktop x-scheme-handler/mentorxr || true
    log "installed $apps/mentorxr-url.desktop for mentorxr:// links" ;;
  test-web)
    setup; build dev --target mentorxr-server
    (cd build/dev && ctest --output-on-failure -L 'web' -V) ;;
  soak)
    setup; test_env; build dev
    (cd build/dev && ctest -L soak --output-on-failure) ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; [[ $cmd == help ]] ;;
esac
