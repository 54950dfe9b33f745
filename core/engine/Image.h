#pragma once
// The engine's image type (public, torch-free): init images, masks, control images, results.
#include <cstdint>
#include <vector>

namespace qd
{

// 8-bit RGB, row-major, tightly packed (width * height * 3 bytes).
struct Image {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> pixels;
    bool empty() const { return pixels.empty(); }
    bool operator==(const Image& o) const
    {
        return width == o.width && height == o.height && pixels == o.pixels;
    }
    bool operator!=(const Image& o) const { return !(*this == o); }
};

} // namespace qd
