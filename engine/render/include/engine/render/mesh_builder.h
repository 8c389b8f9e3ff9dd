#pragma once
// Procedural meshes for rooms and placeholder avatars: unit-sized, centred at
// the origin, scaled by the instance transform. CPU only; no GPU needed.
#include "engine/render/renderer.h"

namespace mxr::engine {

MeshData makeBox();                            // 1 x 1 x 1 cube
MeshData makeSphere(int rings = 16, int segments = 24);  // diameter 1
MeshData makeCylinder(int segments = 24);      // diameter 1, height 1, along Y
MeshData makeQuad();                           // 1 x 1 in XY, facing +Z

}  // namespace mxr::engine
