#pragma once
// The "Mentorship" window: ImGui calls over a RecordsPanel (between
// ImGuiLayer's NewFrame and Render). Everything it does goes through the
// panel's actions, so the scripted options and tests exercise the same
// paths. Thread: main thread only.
#include <array>

#include "scenes/records_panel.h"

namespace mxr::scenes {

// What only the drawing needs between frames: the feedback being written.
struct RecordsUiState {
    FeedbackDraft draft;
    std::array<char, 4001> text{};  // the server's limit is 4,000 bytes
    int subjectIndex = -1;          // into panel.members(); -1: the default subject
};

// Draws the window with its top-left corner at (x, y) in overlay pixels.
void buildRecordsUi(RecordsPanel& panel, RecordsUiState& ui, float x, float y);

}  // namespace mxr::scenes
