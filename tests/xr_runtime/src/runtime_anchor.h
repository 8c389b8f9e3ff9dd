#pragma once
// XR_MSFT_spatial_anchor and XR_MSFT_spatial_anchor_persistence in the
// headless runtime (runtime_anchor.cpp). Thread: entry points take the
// registry's mutex like every other.
#include <vector>

#include "runtime.h"

namespace mxr::xrrt {

void addAnchorProcs(std::vector<ProcEntry>& table);

}  // namespace mxr::xrrt
