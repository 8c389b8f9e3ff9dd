#!/usr/bin/env bash
# Re-bless the golden images from this machine's lavapipe output, in a commit
# of its own. Look at every changed image first (git diff --stat, the file
# tool); output on other CPUs or on NVIDIA is reported, never blessed.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/dev.sh build dev
export VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
# Every golden image: the renderer's (label golden) and the VR eyes (label xr).
# CI refuses MXR_GOLDEN_UPDATE (tests/support/golden.h); so does this script.
if [[ -n "${CI:-}" ]]; then
  echo "bless_golden: refusing to re-bless in CI (CI is set)" >&2
  exit 1
fi
(cd build/dev && MXR_GOLDEN_UPDATE=1 ctest -L 'golden|xr' --output-on-failure)
git add tests/golden
if git diff --cached --quiet -- tests/golden; then
  echo "bless_golden: references unchanged"
else
  git commit -m "Re-bless golden images (lavapipe, $(date -u +%Y-%m-%d))" -- tests/golden
fi
