#pragma once
// The "Mentorship" window: ImGui calls over a RecordsPanel (between
// ImGuiLayer's NewFrame and Render). Everything it does goes through the
// panel's actions, so the scripted options and tests exercise the same
// paths. Thread: main thread only.
#include <array>

#include "scenes/records_panel.h"
#include "scenes/client_component.h"

namespace mxr::scenes {

// What only the drawing needs between frames: the feedback being written.
struct RecordsUiState {
    FeedbackDraft draft;
    std::array<char, 4001> text{};  // the server's limit is 4,000 bytes
    int subjectIndex = -1;          // into panel.members(); -1: the default subject
};

// Where the window goes in the overlay image (pixels, top-left origin).
struct RecordsUiPlacement {
    float x = 0.0f;
    float y = 0.0f;
    float width = 0.0f;   // 0: sized to its content (desktop)
    float height = 0.0f;  // with width: fixed (the VR panel's lower part)
    float fontScale = 1.0f;
    const UiContext* ui = nullptr;  // where shown text is noted (UiContext::note); may be null
};

void buildRecordsUi(RecordsPanel& panel, RecordsUiState& ui, const RecordsUiPlacement& where);

}  // namespace mxr::scenes
