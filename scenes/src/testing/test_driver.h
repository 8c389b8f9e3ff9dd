#pragma once
// The scripted test driver: a component that is no part of the product.
// It drives the Mentorship panel without a mouse (--set-goal-progress,
// --send-feedback), holds the frame count until --await-people others are
// visible and every scripted answer is in (bounded by the connect timeout,
// else exit code 1), and writes --dump-state at the end. It reads the
// product components through their accessors and changes them only through
// the actions a user has (the panel's Save and Send).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "scenes/client_components.h"
#include "scenes/procedure_component.h"

namespace mxr::scenes {

struct TestDriverOptions {
    std::size_t awaitPeople = 0;
    std::vector<std::pair<std::int64_t, int>> setGoalProgress;
    std::optional<FeedbackDraft> sendFeedback;
    std::string dumpStatePath;
    Nanos connectTimeout = 0;
    bool panelInDump = true;  // the VR panel's state in the dump (not with --no-ui)
    std::vector<std::string> procedureScript;  // the step card's actions, in order
};

// What the driver reads; any may be null (offline, desktop).
struct TestDriverTargets {
    const LocalPlayerComponent* local = nullptr;
    PresenceComponent* presence = nullptr;
    RecordsComponent* records = nullptr;
    const VrPanelComponent* panel = nullptr;
    ProcedureComponent* procedure = nullptr;
};

class TestDriver final : public ClientComponent {
public:
    TestDriver(TestDriverOptions options, TestDriverTargets targets, LineSink print);
    void update(FrameContext& frame) override;
    void shutdown(ShutdownContext& end) override;

private:
    void runScript();
    // The next step card action when it can run; true once all have.
    bool runProcedureScript();
    Result<void> writeState(const ShutdownContext& end) const;

    TestDriverOptions m_options;
    TestDriverTargets m_targets;
    LineSink m_print;
    bool m_scriptSent = false;
    bool m_released = false;  // stopped holding the count (for good)
    std::size_t m_procedureAction = 0;  // the next of procedureScript
    bool m_awaitSaid = false;           // "awaiting the end" printed
};

}  // namespace mxr::scenes
