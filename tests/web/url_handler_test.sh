#!/usr/bin/env bash
# tools/mentorxr-open-url turns a mentorxr:// link into the client's
# arguments, and refuses links that would add options or other commands.
set -u
tool=$1
fails=0
check() {  # expected-output url
  local got
  got=$(MENTORXR_CLIENT=/bin/echo "$tool" "$2" 2>/dev/null)
  if [[ $got != "$1" ]]; then echo "FAIL: $2 -> '$got', want '$1'"; fails=$((fails + 1)); else echo "ok: $2"; fi
}
refuse() {  # url
  if MENTORXR_CLIENT=/bin/echo "$tool" "$1" >/dev/null 2>&1; then echo "FAIL: accepted $1"; fails=$((fails + 1)); else echo "ok: refused $1"; fi
}
check '--server 127.0.0.1:7777 --room mentorship-3 --login ben@example.org' \
  'mentorxr://join?server=127.0.0.1%3A7777&room=mentorship-3&login=ben%40example.org'
check '--server mentors.example.org:7777 --room demo' 'mentorxr://join?server=mentors.example.org:7777&room=demo'
refuse 'mentorxr://join?server=127.0.0.1:7777&room=demo%20--mode%20vr'
refuse 'mentorxr://join?server=127.0.0.1:7777&room=a;touch${IFS}/tmp/x'
refuse 'mentorxr://join?server=--help:1&room=demo'
refuse 'mentorxr://join?server=127.0.0.1:7777&room=demo&frames=1'
refuse 'mentorxr://join?server=127.0.0.1:7777&room=demo&login=%2D%2Dhelp'
refuse 'https://example.org/'
echo "$((8 - fails)) passed, $fails failed"
[[ $fails -eq 0 ]]
