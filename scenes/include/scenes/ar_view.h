#pragma once
// The AR view (ARCHITECTURE.md): on a see-through display, or over the
// cameras' image, the room's geometry is not drawn (the real room is
// there) and the clear is transparent, so only people, annotations and
// panels appear. On additive displays black is transparent: dark plates
// and panel fills vanish and dim text is lost, so labels lose their plates
// and brighten, and panels are drawn as bright outlines and text.
//
// Thread: main thread (the UI style is Dear ImGui's current context).
#include "engine/render/renderer.h"
#include "scenes/room.h"
#include "xr/xr_system.h"

namespace mxr::scenes {

// The room as an AR view needs it: its lights and ambient (people stay
// lit), no objects or room labels, and a transparent clear (alpha 0).
void appendSeeThroughRoom(const Room& room, engine::FrameScene& scene);

// After every component contributed: labels without plates, their text
// and the scene's lines lifted to at least kAdditiveMinLuminance.
constexpr float kAdditiveMinLuminance = 0.6f;
void makeLegibleOnAdditive(engine::FrameScene& scene);

// Dear ImGui's style for the current context on this blend mode: additive
// gets transparent window and frame fills with bright borders and text;
// the others keep the default (dark) style.
void applyUiStyle(xr::BlendMode mode);

// ImGui::SetNextWindowBgAlpha for panels, except under the additive style,
// whose windows keep no fill at all (a fill would be an invisible black
// box that hides nothing and costs contrast around the outline).
void setNextPanelBgAlpha(float alpha);

}  // namespace mxr::scenes
