#include "engine/render/image_io.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <cstdlib>

namespace mxr::engine {

Result<void> writePng(const std::string& path, const Image& image) {
    if (image.width == 0 || image.rgba.size() != std::size_t(image.width) * image.height * 4) {
        return makeError(ErrorCode::kInvalidArgument, strCat("writing ", path, ": image is empty or malformed"));
    }
    if (!stbi_write_png(path.c_str(), int(image.width), int(image.height), 4, image.rgba.data(), int(image.width) * 4)) {
        return makeError(ErrorCode::kIo, strCat("writing ", path, ": cannot write PNG"));
    }
    return {};
}

Result<Image> readPng(const std::string& path) {
    int w = 0, h = 0, n = 0;
    unsigned char* data = stbi_load(path.c_str(), &w, &h, &n, 4);
    if (!data) {
        return makeError(ErrorCode::kNotFound, strCat("reading ", path, ": ", stbi_failure_reason()));
    }
    Image img;
    img.width = static_cast<std::uint32_t>(w);
    img.height = static_cast<std::uint32_t>(h);
    img.rgba.assign(data, data + std::size_t(w) * h * 4);
    stbi_image_free(data);
    return img;
}

ImageDiff compareImages(const Image& expected, const Image& actual, int threshold) {
    ImageDiff d;
    d.total = std::uint64_t(expected.width) * expected.height;
    if (expected.width != actual.width || expected.height != actual.height) {
        d.differing = d.total ? d.total : 1;
        d.maxChannelDelta = 255;
        return d;
    }
    d.diff = expected;
    for (std::size_t p = 0; p < d.total; ++p) {
        int worst = 0;
        for (int c = 0; c < 4; ++c) {
            worst = std::max(worst, std::abs(int(expected.rgba[p * 4 + c]) - int(actual.rgba[p * 4 + c])));
        }
        d.maxChannelDelta = std::max(d.maxChannelDelta, worst);
        std::uint8_t* out = &d.diff.rgba[p * 4];
        if (worst > threshold) {
            ++d.differing;
            out[0] = 255, out[1] = 0, out[2] = 0, out[3] = 255;
        } else {
            out[0] /= 4, out[1] /= 4, out[2] /= 4, out[3] = 255;
        }
    }
    return d;
}

Vec4 pixelAt(const Image& image, std::uint32_t x, std::uint32_t y) {
    const std::uint8_t* p = &image.rgba[(std::size_t(y) * image.width + x) * 4];
    return Vec4(p[0], p[1], p[2], p[3]) / 255.0f;
}

}  // namespace mxr::engine
