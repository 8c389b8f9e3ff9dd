#pragma once
// PNG in and out, and the golden-image comparison of ARCHITECTURE.md.
#include <string>

#include "engine/render/renderer.h"

namespace mxr::engine {

Result<void> writePng(const std::string& path, const Image& image);
Result<Image> readPng(const std::string& path);

struct ImageDiff {
    std::uint64_t differing = 0;  // pixels with any channel off by more than the threshold
    std::uint64_t total = 0;
    int maxChannelDelta = 0;
    Image diff;  // differing pixels red over a darkened copy of the expected
    double fraction() const { return total ? double(differing) / double(total) : 1.0; }
};

// Sizes must match (else every pixel differs). threshold is per channel, in
// 0..255 units.
ImageDiff compareImages(const Image& expected, const Image& actual, int threshold = 8);

// RGBA at (x, y), for meaning probes.
Vec4 pixelAt(const Image& image, std::uint32_t x, std::uint32_t y);

}  // namespace mxr::engine
