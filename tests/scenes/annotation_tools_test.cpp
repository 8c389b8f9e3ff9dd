// The annotation tools without a GPU: pointer rays on the workspace, the
// editor's gestures turned into annotations on a replica, what others may
// not change, the component's controller input and refusals, the drawing
// cache, and the workspace file's annotations.
#include "scenes/annotation_tools.h"
#include "scenes/procedure_card.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <glm/gtc/quaternion.hpp>
#include <set>

#include "engine/render/mesh_builder.h"

namespace mxr::test {
namespace annotation_tools_test {

using net::AnnotationKind;

// A bench: a 1.2 x 0.9 x 0.6 block standing on the floor (top at y = 0.9).
std::vector<scenes::ModelPart> bench() {
    scenes::ModelPart part;
    part.mesh = engine::makeBox();
    part.transform =
        glm::translate(Mat4(1.0f), Vec3(0.0f, 0.45f, 0.0f)) * glm::scale(Mat4(1.0f), Vec3(1.2f, 0.9f, 0.6f));
    return {part};
}

// Straight down onto the workspace point (x, z).
scenes::Ray down(float x, float z) { return scenes::Ray{Vec3(x, 2.0f, z), Vec3(0.0f, -1.0f, 0.0f)}; }

struct Rig {
    net::AnnotationReplica replica;
    scenes::WorkspaceSurface surface{bench(), Vec2(1.4f, 0.8f)};
    scenes::AnnotationEditor editor{replica};
    Rig() { replica.setSelf(1, true); }
    void at(float x, float z, bool pressed) {
        const scenes::Ray r = down(x, z);
        editor.pointer({r, surface.hit(r), pressed});
    }
    // A press at the first point, moves through the others, let go at the last.
    void drag(std::initializer_list<Vec2> path) {
        for (const Vec2& p : path) at(p.x, p.y, true);
        const Vec2 last = *(path.end() - 1);
        at(last.x, last.y, false);
    }
    const net::Annotation& only() const {
        EXPECT_EQ(replica.view().live().size(), 1u);
        return replica.view().live().begin()->second;
    }
};

void expectNear(const Vec3& a, const Vec3& b, float tol = 1e-4f) {
    EXPECT_NEAR(a.x, b.x, tol);
    EXPECT_NEAR(a.y, b.y, tol);
    EXPECT_NEAR(a.z, b.z, tol);
}

TEST(AnnotationRays, ThePixelRayFollowsTheFieldOfView) {
    engine::ViewInfo view;
    view.pose.position = Vec3(1.0f, 1.6f, 2.0f);
    view.pose.orientation = glm::angleAxis(glm::radians(90.0f), Vec3(0, 1, 0));  // looking down -X
    view.fov = Fov::symmetric(1.0f, 2.0f);
    const scenes::Ray centre = scenes::rayThroughPixel(view, Vec2(640, 360), Vec2(1280, 720));
    expectNear(centre.origin, view.pose.position);
    expectNear(centre.direction, Vec3(-1, 0, 0));
    // The top edge's centre is half the vertical field of view up.
    const scenes::Ray top = scenes::rayThroughPixel(view, Vec2(640, 0), Vec2(1280, 720));
    EXPECT_NEAR(std::asin(top.direction.y), 0.5f, 1e-4f);
    // The left edge is to the left: looking down -X, left is +Z.
    EXPECT_GT(scenes::rayThroughPixel(view, Vec2(0, 360), Vec2(1280, 720)).direction.z, 0.5f);
    // Into a workspace turned 90 degrees and moved: its own axes.
    Pose ws{Vec3(-1.0f, 0.0f, 2.0f), glm::angleAxis(glm::radians(90.0f), Vec3(0, 1, 0))};
    const scenes::Ray local = scenes::toWorkspace(centre, ws);
    expectNear(local.origin, Vec3(0.0f, 1.6f, 2.0f));
    expectNear(local.direction, Vec3(0, 0, -1));
}

TEST(WorkspaceSurface, TheModelsTopElseTheFloorNearTheFootprintElseNothing) {
    const scenes::WorkspaceSurface s(bench(), Vec2(1.4f, 0.8f));
    const auto top = s.hit(down(0.2f, 0.1f));
    ASSERT_TRUE(top);
    expectNear(top->point, Vec3(0.2f, 0.9f, 0.1f));
    expectNear(top->normal, Vec3(0, 1, 0));
    const auto floor = s.hit(down(0.9f, 0.0f));  // beside the bench
    ASSERT_TRUE(floor);
    expectNear(floor->point, Vec3(0.9f, 0.0f, 0.0f));
    EXPECT_FALSE(s.hit(down(3.0f, 0.0f)));                           // far from the footprint
    EXPECT_FALSE(s.hit(scenes::Ray{Vec3(0, 2, 0), Vec3(0, 1, 0)}));  // up, away
    // From the front, the bench's front face, facing back at the ray.
    const auto front = s.hit(scenes::Ray{Vec3(0, 0.5f, 2.0f), Vec3(0, 0, -1)});
    ASSERT_TRUE(front);
    expectNear(front->point, Vec3(0, 0.5f, 0.3f));
    expectNear(front->normal, Vec3(0, 0, 1));
}

TEST(AnnotationEditor, ADragMakesAnArrowAndAClickPointsDownAtTheSpot) {
    Rig rig;
    rig.editor.setColour(6);
    rig.drag({{-0.3f, 0.0f}, {0.0f, 0.05f}, {0.3f, 0.1f}});
    const net::Annotation& a = rig.only();
    EXPECT_EQ(a.kind, AnnotationKind::kArrow);
    EXPECT_EQ(a.values.colour, 6);
    expectNear(a.values.position, Vec3(-0.3f, 0.91f, 0.0f));
    expectNear(a.values.end, Vec3(0.3f, 0.91f, 0.1f));
    EXPECT_EQ(rig.editor.selected(), a.id);  // what was made is selected
    Rig click;
    click.drag({{0.1f, 0.1f}});
    const net::Annotation& b = click.only();
    expectNear(b.values.end, Vec3(0.1f, 0.905f, 0.1f));
    expectNear(b.values.position, Vec3(0.1f, 0.905f + scenes::kDefaultArrowLength, 0.1f));
}

TEST(AnnotationEditor, ShapesLabelsAndMarkersFromClicksAndDrags) {
    Rig rig;
    rig.editor.setTool(scenes::AnnotationTool::kMarker);
    rig.drag({{0.0f, 0.0f}});
    rig.drag({{0.2f, 0.0f}});
    rig.editor.setTool(scenes::AnnotationTool::kSphere);
    rig.drag({{-0.2f, 0.0f}, {-0.2f, 0.1f}});
    rig.editor.setTool(scenes::AnnotationTool::kBox);
    rig.drag({{-0.4f, -0.2f}, {0.0f, 0.2f}});
    rig.editor.setTool(scenes::AnnotationTool::kLabel);
    rig.editor.setLabelText("Oil here");
    rig.drag({{0.4f, 0.0f}});
    std::vector<const net::Annotation*> all;
    for (const auto& [id, a] : rig.replica.view().live()) all.push_back(&a);
    ASSERT_EQ(all.size(), 5u);
    EXPECT_EQ(all[0]->values.number, 1);
    EXPECT_EQ(all[1]->values.number, 2);  // numbered in order
    EXPECT_EQ(all[2]->kind, AnnotationKind::kSphere);
    EXPECT_NEAR(all[2]->values.radius, 0.1f, 1e-4f);
    EXPECT_EQ(all[3]->kind, AnnotationKind::kBox);
    expectNear(all[3]->values.extents, Vec3(0.2f, 0.1f, 0.2f));  // 40 x 40 cm, half as high
    expectNear(all[3]->values.position, Vec3(-0.2f, 1.0f, 0.0f));
    EXPECT_EQ(all[4]->values.text, "Oil here");
    expectNear(all[4]->values.position, Vec3(0.4f, 0.96f, 0.0f));
}

TEST(AnnotationEditor, InkKeepsPointsAtLeastFiveMillimetresApartAndIsPreviewedUntilLetGo) {
    Rig rig;
    rig.editor.setTool(scenes::AnnotationTool::kInk);
    for (int i = 0; i <= 33; ++i) rig.at(0.003f * float(i), 0.0f, true);  // 10 cm in 3 mm steps
    ASSERT_TRUE(rig.editor.draft());
    EXPECT_EQ(rig.editor.draft()->kind, AnnotationKind::kInk);
    EXPECT_TRUE(rig.replica.view().live().empty());  // not sent while drawing
    rig.at(0.099f, 0.0f, false);
    EXPECT_FALSE(rig.editor.draft());
    const net::Annotation& a = rig.only();
    ASSERT_EQ(a.values.points.size(), 17u);  // 0, 6, 12, ... 96 mm: 3 mm apart is too close
    expectNear(a.values.position, Vec3(0.0f, 0.903f, 0.0f));
    expectNear(a.values.points.front(), Vec3(0.0f));
    expectNear(a.values.points.back(), Vec3(0.096f, 0.0f, 0.0f), 1e-3f);
}

TEST(AnnotationEditor, SelectAndDragMovesByWhatThePointerMovedOnTheSurface) {
    Rig rig;
    rig.drag({{-0.3f, 0.0f}, {0.3f, 0.0f}});  // an arrow along x at z = 0
    const net::AnnotationId id = rig.only().id;
    rig.editor.setTool(scenes::AnnotationTool::kSelect);
    rig.at(0.5f, 0.25f, false);
    rig.at(0.5f, 0.25f, true);  // nothing there: nothing selected
    rig.at(0.5f, 0.25f, false);
    EXPECT_FALSE(rig.editor.selected());
    rig.drag({{0.0f, 0.0f}, {0.0f, 0.1f}, {0.05f, 0.2f}});
    EXPECT_EQ(rig.editor.selected(), id);
    expectNear(rig.only().values.position, Vec3(-0.25f, 0.91f, 0.2f));
    expectNear(rig.only().values.end, Vec3(0.35f, 0.91f, 0.2f));
    rig.editor.setColour(3);  // recolours the selection
    EXPECT_EQ(rig.only().values.colour, 3);
    rig.editor.remove();
    EXPECT_TRUE(rig.replica.view().live().empty());
    EXPECT_TRUE(rig.replica.view().isDeleted(id));
}

// A sender to the host that keeps what is sent.
net::AnnotationReplica::Sender recordInto(std::vector<net::AnnotationOp>& sent) {
    return [&sent](const net::AnnotationOp& op) {
        sent.push_back(op);
        return true;
    };
}

// Someone else's annotation, as the host relays it.
net::AnnotationId othersArrow(net::AnnotationReplica& r, net::AuthorId author) {
    net::AnnotationOp op;
    op.type = net::AnnotationOpType::kCreate;
    op.id = net::makeAnnotationId(author, 1);
    op.stamp = {1, author};
    op.kind = AnnotationKind::kArrow;
    op.fields = net::fieldsOf(AnnotationKind::kArrow);
    op.values.position = Vec3(-0.3f, 0.91f, 0.0f);
    op.values.end = Vec3(0.3f, 0.91f, 0.0f);
    r.onRelayed(op);
    return op.id;
}

TEST(AnnotationEditor, OthersAnnotationsAreSelectedButNotChangedAndTheUserIsTold) {
    std::vector<net::AnnotationOp> sent;
    net::AnnotationReplica replica(recordInto(sent));
    replica.setSelf(2, false);
    const net::AnnotationId theirs = othersArrow(replica, 7);
    scenes::WorkspaceSurface surface(bench(), Vec2(1.4f, 0.8f));
    scenes::AnnotationEditor editor(replica);
    editor.setTool(scenes::AnnotationTool::kSelect);
    for (const auto& [p, pressed] :
         std::vector<std::pair<Vec2, bool>>{{{0.0f, 0.0f}, true}, {{0.0f, 0.1f}, true}, {{0.0f, 0.2f}, false}}) {
        editor.pointer({down(p.x, p.y), surface.hit(down(p.x, p.y)), pressed});
    }
    EXPECT_EQ(editor.selected(), theirs);
    editor.setColour(4);
    editor.remove();
    EXPECT_TRUE(sent.empty());
    const net::Annotation* a = replica.view().find(theirs);
    ASSERT_NE(a, nullptr);
    expectNear(a->values.position, Vec3(-0.3f, 0.91f, 0.0f));
    EXPECT_EQ(a->values.colour, net::kDefaultAnnotationColour);
    const auto messages = editor.takeMessages();
    ASSERT_EQ(messages.size(), 3u);  // move, recolour, delete: each said
    EXPECT_NE(messages[0].find("cannot move annotation 7:1: it is person 7's"), std::string::npos) << messages[0];
    EXPECT_NE(messages[1].find("cannot recolour"), std::string::npos);
    EXPECT_NE(messages[2].find("cannot delete"), std::string::npos);
    // A moderator may.
    replica.setSelf(2, true);
    editor.remove();
    EXPECT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].type, net::AnnotationOpType::kDelete);
}

// The component, driven like the loop drives it (no GPU, no ImGui).
struct ComponentRig {
    net::AnnotationReplica replica;
    scenes::WorkspaceDef def;
    xr::HeadlessOptions headlessOptions;
    std::unique_ptr<xr::XrSystem> system = xr::makeHeadlessSystem(headlessOptions, Logger());
    std::unique_ptr<scenes::WorkspaceComponent> workspace;
    scenes::WorkspaceMeshes meshes;
    scenes::SceneMeshes sceneMeshes;
    std::vector<std::string> printed;
    // The play space half a metre along x in the room: the controllers'
    // poses are moved by it.
    scenes::LocalPlayer player{Pose{Vec3(0.5f, 0.0f, 0.0f), Quat(1, 0, 0, 0)}, {}};
    std::unique_ptr<scenes::AnnotationComponent> tools;
    xr::InputState input;

    explicit ComponentRig(net::AnnotationReplica::Sender send = {}) : replica(std::move(send)) {
        def.pose.position = Vec3(2.0f, 0.0f, -1.0f);
        workspace = std::make_unique<scenes::WorkspaceComponent>(def, meshes, nullptr, *system, false,
                                                                 [](const std::string&) {});
        tools = std::make_unique<scenes::AnnotationComponent>(
            replica, *workspace, scenes::WorkspaceSurface(bench(), def.size), sceneMeshes, xr::BlendMode::kOpaque,
            &player, [this](const std::string& l) { printed.push_back(l); });
        input.hands[0].tracked = input.hands[1].tracked = true;
        // The right hand over the bench's middle (room (2, 1.5, -1)), pointing straight down.
        input.hands[1].aim = Pose{Vec3(1.5f, 1.5f, -1.0f), glm::angleAxis(glm::radians(-90.0f), Vec3(1, 0, 0))};
    }
    engine::FrameScene frame() {
        FrameContextHolder h{input};
        tools->update(h.ctx);
        engine::FrameScene scene;
        tools->contribute(h.ctx, scene);
        return scene;
    }
    struct FrameContextHolder {
        explicit FrameContextHolder(const xr::InputState& in) : ctx(in, 1.0 / 90.0, 0.0, {}) {}
        scenes::FrameContext ctx;
    };
};

TEST(AnnotationComponent, TheRightTriggerDrawsTheLeftStickPicksTheToolAndColourTheLeftTriggerDeletes) {
    ComponentRig rig;
    rig.replica.setSelf(1, true);
    rig.input.hands[1].select = true;
    rig.frame();
    rig.input.hands[1].select = false;
    rig.frame();
    ASSERT_EQ(rig.replica.view().live().size(), 1u);
    EXPECT_EQ(rig.replica.view().live().begin()->second.kind, AnnotationKind::kArrow);
    // At the bench's middle: the workspace's origin, on its top.
    expectNear(rig.replica.view().live().begin()->second.values.end, Vec3(0.0f, 0.905f, 0.0f));
    // Squeeze + trigger places the workspace: no annotation.
    rig.input.hands[1].squeeze = rig.input.hands[1].select = true;
    rig.frame();
    rig.input.hands[1].squeeze = rig.input.hands[1].select = false;
    rig.frame();
    EXPECT_EQ(rig.replica.view().live().size(), 1u);
    // Flick right twice (one flick until the stick returns): label, then box.
    rig.input.hands[0].thumbstick = Vec2(0.9f, 0.0f);
    rig.frame();
    rig.frame();
    rig.input.hands[0].thumbstick = Vec2(0.0f);
    rig.frame();
    rig.input.hands[0].thumbstick = Vec2(0.9f, 0.0f);
    rig.frame();
    rig.input.hands[0].thumbstick = Vec2(0.0f, 0.9f);  // and the next colour
    rig.frame();
    rig.input.hands[0].thumbstick = Vec2(0.0f);
    EXPECT_EQ(rig.tools->editor().tool(), scenes::AnnotationTool::kBox);
    EXPECT_EQ(rig.tools->editor().colour(), net::kDefaultAnnotationColour + 1);
    EXPECT_EQ(rig.printed.back(), "annotations: tool box, colour sky blue");
    // The tool and colour are shown by the right hand.
    const engine::FrameScene scene = rig.frame();
    ASSERT_FALSE(scene.labels.empty());
    EXPECT_EQ(scene.labels.back().text, "box - sky blue");
    // The left trigger deletes what the right ray points at.
    rig.input.hands[0].select = true;
    rig.frame();
    rig.input.hands[0].select = false;
    EXPECT_TRUE(rig.replica.view().live().empty());
}

// Hand tracking: the right thumb and index tips together draw, as the
// trigger does (the left pinch places the workspace).
TEST(AnnotationComponent, TheRightPinchDrawsLikeTheTrigger) {
    ComponentRig rig;
    rig.replica.setSelf(1, true);
    xr::HandJoints& hand = rig.input.joints[1];
    hand.valid = true;
    hand.poses[5].position = Vec3(0.10f, 1.0f, -0.3f);   // thumb tip
    hand.poses[10].position = Vec3(0.13f, 1.0f, -0.3f);  // index tip, 3 cm away: not a pinch
    rig.frame();
    rig.frame();
    EXPECT_TRUE(rig.replica.view().live().empty());
    hand.poses[10].position = Vec3(0.11f, 1.0f, -0.3f);  // 1 cm: a pinch
    rig.frame();
    hand.poses[10].position = Vec3(0.13f, 1.0f, -0.3f);
    rig.frame();
    ASSERT_EQ(rig.replica.view().live().size(), 1u);
    EXPECT_EQ(rig.replica.view().live().begin()->second.kind, AnnotationKind::kArrow);
}

TEST(AnnotationComponent, TheHostsRefusalIsPrintedOnceAndKeptForTheToolWindow) {
    std::vector<net::AnnotationOp> sent;
    ComponentRig rig(recordInto(sent));
    rig.replica.setSelf(3, false);
    rig.input.hands[1].select = true;
    rig.frame();
    rig.input.hands[1].select = false;
    rig.frame();
    ASSERT_EQ(sent.size(), 1u);
    rig.replica.onRefused(sent[0].id, "the room has 500 annotations, the most it keeps");
    rig.frame();
    rig.frame();
    const auto refusalLines = std::count_if(rig.printed.begin(), rig.printed.end(), [](const std::string& l) {
        return l.find("the room refused a change") != std::string::npos &&
               l.find("500 annotations") != std::string::npos;
    });
    EXPECT_EQ(refusalLines, 1);
    ASSERT_EQ(rig.tools->refusals().size(), 1u);
    EXPECT_NE(rig.tools->refusals()[0].find("500 annotations"), std::string::npos);
    EXPECT_TRUE(rig.replica.view().live().empty());  // the refused arrow is gone
}

// "The workspace's free annotations can be saved into a procedure step":
// moved out of the room into the card's current step, drawn from there
// while that step is shown, and written in the workspace file's format.
TEST(AnnotationComponent, FreeAnnotationsAreKeptInTheCurrentStepAndDrawnWithIt) {
    ComponentRig rig;
    rig.replica.setSelf(1, true);
    net::AnnotationValues arrow;
    arrow.colour = 5;
    arrow.position = Vec3(0.1f, 1.0f, 0.0f);
    arrow.end = Vec3(0.2f, 0.95f, 0.05f);
    ASSERT_TRUE(rig.replica.create(AnnotationKind::kArrow, arrow));
    net::AnnotationValues ink;
    ink.position = Vec3(-0.2f, 0.91f, 0.1f);
    ink.points = {Vec3(0.0f), Vec3(0.05f, 0.0f, 0.0f), Vec3(0.1f, 0.0f, 0.02f)};
    ASSERT_TRUE(rig.replica.create(AnnotationKind::kInk, ink));
    ManualClock clock;
    scenes::ProcedureCard card(clock, "", false);
    scenes::ProcedureDef procedure;
    procedure.title = "Two steps";
    procedure.steps.resize(2);
    procedure.steps[0].title = "First";
    procedure.steps[1].title = "Second";
    card.load(procedure);
    rig.tools->setProcedure(&card);
    rig.frame();
    const std::size_t roomLines = rig.tools->view().lineCount();
    EXPECT_EQ(rig.tools->stepView().lineCount(), 0u);

    EXPECT_EQ(rig.tools->keepInCurrentStep(), 2u);
    EXPECT_TRUE(rig.replica.view().live().empty());  // moved, not copied
    ASSERT_EQ(card.currentStep()->annotationCount, 2u);
    auto kept = scenes::parseAnnotationList(card.currentStep()->annotationsJson, "step", "annotations");
    ASSERT_TRUE(kept) << kept.error().message;
    ASSERT_EQ(kept->size(), 2u);
    EXPECT_EQ((*kept)[0].kind, AnnotationKind::kArrow);
    EXPECT_EQ((*kept)[0].values.colour, 5);
    expectNear((*kept)[0].values.end, arrow.end);
    EXPECT_EQ((*kept)[1].kind, AnnotationKind::kInk);
    ASSERT_EQ((*kept)[1].values.points.size(), 3u);
    expectNear((*kept)[1].values.position + (*kept)[1].values.points[2], ink.position + ink.points[2]);
    rig.frame();
    EXPECT_EQ(rig.tools->stepView().lineCount(), roomLines);  // the same drawing, now the step's
    EXPECT_EQ(rig.tools->view().lineCount(), 0u);
    // The next step has none of them; back, and they are drawn again.
    card.next();
    rig.frame();
    EXPECT_EQ(rig.tools->stepView().lineCount(), 0u);
    card.back();
    rig.frame();
    EXPECT_EQ(rig.tools->stepView().lineCount(), roomLines);
    // Nothing left to keep: said.
    EXPECT_EQ(rig.tools->keepInCurrentStep(), 0u);
    EXPECT_NE(rig.printed.back().find("nothing to keep"), std::string::npos);
}

TEST(AnnotationView, RebuiltOnlyWhenTheRevisionChangesAndAdditiveDrawsBlackWhiteWithoutFills) {
    net::AnnotationReplica replica;
    replica.setSelf(1, true);
    net::AnnotationValues v;
    v.colour = 0;  // black
    v.position = Vec3(0.0f, 1.0f, 0.0f);
    v.radius = 0.1f;
    ASSERT_TRUE(replica.create(AnnotationKind::kSphere, v));
    scenes::AnnotationView view;
    scenes::SceneMeshes meshes;
    const Pose ws;
    for (int i = 0; i < 3; ++i) view.update(replica.view(), {replica.revision(), ws, false, 0});
    EXPECT_EQ(view.builds(), 1u);
    engine::FrameScene opaque;
    view.append(meshes, opaque);
    ASSERT_EQ(opaque.instances.size(), 1u);  // the translucent fill
    EXPECT_LT(opaque.instances[0].color.a, 0.5f);
    EXPECT_EQ(Vec3(opaque.lines.at(0).color), Vec3(0.0f));
    view.update(replica.view(), {replica.revision(), ws, true, 0});
    EXPECT_EQ(view.builds(), 2u);
    engine::FrameScene additive;
    view.append(meshes, additive);
    EXPECT_TRUE(additive.instances.empty());
    EXPECT_EQ(additive.lines.at(0).color, Vec4(1.0f));
    v.position.x = 0.2f;
    ASSERT_TRUE(
        replica.update(replica.view().live().begin()->first, net::fieldBit(net::AnnotationField::kPosition), v));
    view.update(replica.view(), {replica.revision(), ws, true, 0});
    EXPECT_EQ(view.builds(), 3u);
}

TEST(WorkspaceAnnotations, TheDemoBenchShipsThemAndBadOnesNameTheField) {
    auto def = scenes::loadWorkspace(MXR_DEMO_WORKSPACE);
    ASSERT_TRUE(def) << def.error().message;
    net::AnnotationReplica replica;
    replica.setSelf(1, true);
    ASSERT_TRUE(scenes::addWorkspaceAnnotations(replica, *def, MXR_DEMO_WORKSPACE));
    std::set<AnnotationKind> kinds;
    for (const auto& [id, a] : replica.view().live()) kinds.insert(a.kind);
    EXPECT_EQ(kinds.size(), 5u);  // arrow, label, marker, box, ink
    const std::pair<const char*, const char*> bad[] = {
        {R"([{"kind": "arrow", "colour": "red", "position": [0,1,0], "end": [0,1,1]}])", "annotations[0].colour"},
        {R"([{"kind": "blob"}])", "annotations[0].kind"},
        {R"([{"kind": "label", "position": [0,1,0]}])", "annotations[0].text"},
        {R"([{"kind": "sphere", "position": [0,1,0], "radius": 0.1, "end": [0,0,0]}])", "unknown field \"end\""},
        {R"([{"kind": "ink", "points": [[0,1,0], [0,1]]}])", "annotations[0].points[1]"},
        {R"({"kind": "box"})", "annotations: expected an array"},
    };
    for (const auto& [json, field] : bad) {
        const auto r = scenes::parseWorkspace(strCat(R"({"name": "w", "annotations": )", json, "}"), "w.json");
        ASSERT_FALSE(r) << json;
        EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
    }
    // Out of range values are named too.
    auto tooFar = scenes::parseWorkspace(
        R"({"name": "w", "annotations": [{"kind": "marker", "position": [0,1,0], "number": 0}]})", "w.json");
    ASSERT_FALSE(tooFar);
    EXPECT_NE(tooFar.error().message.find("annotations[0].number"), std::string::npos) << tooFar.error().message;
}

}  // namespace annotation_tools_test
}  // namespace mxr::test
