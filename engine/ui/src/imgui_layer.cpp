#include "engine/ui/imgui_layer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <unordered_set>

#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_vulkan.h>

#include "engine/core/text.h"
#include "engine/platform/window.h"
#include "engine/render/vulkan_renderer.h"

namespace mxr::engine {
namespace {

class ImGuiLayer final : public UiLayer, public OverlaySource {
public:
    static Result<std::unique_ptr<ImGuiLayer>> create(VulkanRenderer& renderer, Window* window, VkExtent2D extent);
    ~ImGuiLayer() override;
    void frame(float deltaSeconds, const std::function<void()>& build) override;
    bool wantsMouse() const override;
    void recordOverlay(VkCommandBuffer cmd) override;
    PixelRect drawnArea() const override;
    std::optional<PixelRect> overlayArea() const override { return drawnArea(); }
    void noteText(std::string_view utf8) override;
    std::size_t extraGlyphs() const override { return m_seen.size(); }
    std::size_t fontRebuilds() const override { return m_rebuilds; }

private:
    Result<void> initBackend();
    Result<void> rebuildFonts();
    ImGuiLayer(VulkanRenderer& renderer, Window* window, VkExtent2D extent)
        : m_renderer(renderer), m_window(window), m_extent(extent) {}
    VulkanRenderer& m_renderer;
    Window* m_window;
    VkExtent2D m_extent;
    VkDescriptorPool m_pool = VK_NULL_HANDLE;
    bool m_glfwBackend = false;
    bool m_vulkanBackend = false;
    bool m_haveFrame = false;
    // Characters beyond ASCII noted so far (ImWchar is 16 bits in Debian's
    // build: the Basic Multilingual Plane only), and texts already looked at
    // (by hash: no allocation per frame once warm).
    std::set<ImWchar> m_seen;
    std::unordered_set<std::size_t> m_notedTexts;
    bool m_fontsDirty = false;
    ImVector<ImWchar> m_ranges;  // must outlive the atlas build
    std::size_t m_rebuilds = 0;
};

Result<std::unique_ptr<ImGuiLayer>> ImGuiLayer::create(VulkanRenderer& renderer, Window* window, VkExtent2D extent) {
    if (!renderer.overlayRenderPass()) {
        return makeError(ErrorCode::kInvalidArgument, "the renderer was created without an overlay");
    }
    std::unique_ptr<ImGuiLayer> layer(new ImGuiLayer(renderer, window, extent));
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no imgui.ini litter in the working folder
    io.DisplaySize = ImVec2(float(extent.width), float(extent.height));
    ImGui::StyleColorsDark();
    ImGui::GetStyle().WindowRounding = 6.0f;

    const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 16};
    VkDescriptorPoolCreateInfo pi{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pi.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
    pi.maxSets = 16;
    pi.poolSizeCount = 1;
    pi.pPoolSizes = &size;
    MXR_TRY_VK(vkCreateDescriptorPool(renderer.gpu().device(), &pi, nullptr, &layer->m_pool));

    if (window) {
        ImGui_ImplGlfw_InitForVulkan(static_cast<GLFWwindow*>(window->nativeHandle()), true);
        layer->m_glfwBackend = true;
    }
    MXR_TRY(layer->initBackend());
    renderer.setOverlaySource(layer.get());
    return layer;
}

Result<void> ImGuiLayer::initBackend() {
    GpuContext& gpu = m_renderer.gpu();
    VulkanRenderer& renderer = m_renderer;
    ImGui_ImplVulkan_InitInfo info{};
    info.Instance = gpu.instance();
    info.PhysicalDevice = gpu.physicalDevice();
    info.Device = gpu.device();
    info.QueueFamily = gpu.queueFamily();
    info.Queue = gpu.queue();
    info.DescriptorPool = m_pool;
    info.Subpass = 0;
    info.MinImageCount = 2;
    info.ImageCount = renderer.framesInFlight();
    info.MSAASamples = VK_SAMPLE_COUNT_1_BIT;
    if (!ImGui_ImplVulkan_Init(&info, renderer.overlayRenderPass())) {
        return makeError(ErrorCode::kGpu, "ImGui Vulkan backend failed to initialise");
    }
    m_vulkanBackend = true;
    MXR_TRY(renderer.immediateSubmit([](VkCommandBuffer cmd) { ImGui_ImplVulkan_CreateFontsTexture(cmd); }));
    ImGui_ImplVulkan_DestroyFontUploadObjects();
    ImGui::GetIO().Fonts->ClearInputData();  // the font files' bytes (the CJK one is 19 MB)
    return {};
}

void ImGuiLayer::noteText(std::string_view utf8) {
    if (!m_notedTexts.insert(std::hash<std::string_view>{}(utf8)).second) return;
    for (char32_t c : decodeUtf8(utf8)) {
        if (c < 0x80 || c > 0xFFFF) continue;
        if (m_seen.insert(ImWchar(c)).second) m_fontsDirty = true;
    }
}

// ImGui 1.86's Vulkan backend makes its font image, view and memory in
// CreateFontsTexture and writes them into its one descriptor set; called
// again it would leak the old ones and rewrite a set that frames in flight
// use. So: wait for those frames, shut the backend down (it frees the font
// objects, pipeline and buffers), reset our pool (the backend never frees
// its set), rebuild the atlas and start the backend again.
Result<void> ImGuiLayer::rebuildFonts() {
    m_fontsDirty = false;
    MXR_TRY(m_renderer.waitIdle());
    ImGui_ImplVulkan_Shutdown();
    m_vulkanBackend = false;
    MXR_TRY_VK(vkResetDescriptorPool(m_renderer.gpu().device(), m_pool, 0));
    ImFontAtlas& fonts = *ImGui::GetIO().Fonts;
    fonts.Clear();
    fonts.AddFontDefault();  // ASCII as before: panels that show only ASCII look the same
    ImFontGlyphRangesBuilder builder;
    bool cjk = false, kana = false, arabic = false, hebrew = false, devanagari = false;
    for (ImWchar c : m_seen) {
        builder.AddChar(c);
        kana = kana || (c >= 0x3040 && c <= 0x30FF);
        cjk = cjk || (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF00 && c <= 0xFFEF);
        arabic = arabic || (c >= 0x0600 && c <= 0x08FF) || (c >= 0xFB50 && c <= 0xFEFF);
        hebrew = hebrew || (c >= 0x0590 && c <= 0x05FF) || (c >= 0xFB1D && c <= 0xFB4F);
        devanagari = devanagari || (c >= 0x0900 && c <= 0x097F) || (c >= 0xA8E0 && c <= 0xA8FF);
    }
    builder.AddChar(0x2026);  // "…"
    m_ranges.clear();
    builder.BuildRanges(&m_ranges);
    // Merged in order: the first font with a glyph for a character gives
    // it. Only the fonts some noted character needs are read.
    const text::FontFiles files = text::debianFontFiles();
    auto merge = [&](text::FontId id) {
        const text::FontFile& f = files[std::size_t(id)];
        std::error_code ec;
        if (!std::filesystem::is_regular_file(f.path, ec)) return;
        ImFontConfig cfg;
        cfg.MergeMode = true;
        cfg.FontNo = f.faceIndex;
        cfg.OversampleH = 1;  // CJK glyphs are many: keep the atlas small
        fonts.AddFontFromFileTTF(f.path.c_str(), 13.0f, &cfg, m_ranges.Data);
    };
    merge(text::FontId::kLatin);
    if (arabic) merge(text::FontId::kArabic);
    if (hebrew) merge(text::FontId::kHebrew);
    if (devanagari) merge(text::FontId::kDevanagari);
    if (cjk) merge(kana ? text::FontId::kJapanese : text::FontId::kChinese);
    if (!fonts.Build()) return makeError(ErrorCode::kInvalidArgument, "ImGui could not build its font atlas");
    ++m_rebuilds;
    return initBackend();
}

ImGuiLayer::~ImGuiLayer() {
    m_renderer.setOverlaySource(nullptr);
    (void)m_renderer.waitIdle();
    if (m_vulkanBackend) ImGui_ImplVulkan_Shutdown();
    if (m_glfwBackend) ImGui_ImplGlfw_Shutdown();
    if (m_pool) vkDestroyDescriptorPool(m_renderer.gpu().device(), m_pool, nullptr);
    ImGui::DestroyContext();
}

void ImGuiLayer::frame(float deltaSeconds, const std::function<void()>& build) {
    if (m_fontsDirty) {
        // On failure panels keep going without the new characters ('?').
        if (!rebuildFonts() && !m_vulkanBackend) {
            // Panels go on with ASCII only ('?' for the rest).
            ImGui::GetIO().Fonts->Clear();
            ImGui::GetIO().Fonts->AddFontDefault();
            (void)initBackend();
        }
    }
    if (!m_vulkanBackend) {
        m_haveFrame = false;
        return;
    }
    ImGui_ImplVulkan_NewFrame();
    if (m_glfwBackend) ImGui_ImplGlfw_NewFrame();
    ImGuiIO& io = ImGui::GetIO();
    // The overlay image has a fixed size; map the window's size onto it.
    io.DisplaySize = ImVec2(float(m_extent.width), float(m_extent.height));
    io.DisplayFramebufferScale = ImVec2(1.0f, 1.0f);
    if (m_window) {
        const VkExtent2D fb = m_window->framebufferSize();
        if (fb.width > 0 && fb.height > 0) {
            io.MousePos.x *= float(m_extent.width) / float(fb.width);
            io.MousePos.y *= float(m_extent.height) / float(fb.height);
        }
    }
    io.DeltaTime = deltaSeconds > 0.0f ? deltaSeconds : 1.0f / 60.0f;
    ImGui::NewFrame();
    if (build) build();
    ImGui::Render();
    m_haveFrame = true;
}

bool ImGuiLayer::wantsMouse() const { return ImGui::GetIO().WantCaptureMouse; }

void ImGuiLayer::recordOverlay(VkCommandBuffer cmd) {
    if (!m_haveFrame) return;
    if (ImDrawData* data = ImGui::GetDrawData()) ImGui_ImplVulkan_RenderDrawData(data, cmd, VK_NULL_HANDLE);
}

// Everything ImGui draws lies in its triangles' bounding boxes, each cut
// to its command's clip rectangle (the clip rectangles alone are no bound:
// a window's background is clipped to the whole display).
PixelRect ImGuiLayer::drawnArea() const {
    const ImDrawData* data = m_haveFrame ? ImGui::GetDrawData() : nullptr;
    if (!data) return PixelRect{};
    float x0 = float(m_extent.width), y0 = float(m_extent.height), x1 = 0.0f, y1 = 0.0f;
    for (int l = 0; l < data->CmdListsCount; ++l) {
        const ImDrawList& list = *data->CmdLists[l];
        for (const ImDrawCmd& c : list.CmdBuffer) {
            if (c.UserCallback || c.ElemCount == 0) continue;
            float bx0 = c.ClipRect.z, by0 = c.ClipRect.w, bx1 = c.ClipRect.x, by1 = c.ClipRect.y;
            for (unsigned e = 0; e < c.ElemCount; ++e) {
                const ImVec2 p = list.VtxBuffer[int(c.VtxOffset + list.IdxBuffer[int(c.IdxOffset + e)])].pos;
                bx0 = std::min(bx0, p.x);
                by0 = std::min(by0, p.y);
                bx1 = std::max(bx1, p.x);
                by1 = std::max(by1, p.y);
            }
            x0 = std::min(x0, std::max(bx0, c.ClipRect.x) - data->DisplayPos.x);
            y0 = std::min(y0, std::max(by0, c.ClipRect.y) - data->DisplayPos.y);
            x1 = std::max(x1, std::min(bx1, c.ClipRect.z) - data->DisplayPos.x);
            y1 = std::max(y1, std::min(by1, c.ClipRect.w) - data->DisplayPos.y);
        }
    }
    x0 = std::max(x0, 0.0f);
    y0 = std::max(y0, 0.0f);
    x1 = std::min(x1, float(m_extent.width));
    y1 = std::min(y1, float(m_extent.height));
    if (x1 <= x0 || y1 <= y0) return PixelRect{};
    const auto left = static_cast<std::uint32_t>(std::floor(x0));
    const auto top = static_cast<std::uint32_t>(std::floor(y0));
    return PixelRect{left, top, static_cast<std::uint32_t>(std::ceil(x1)) - left,
                     static_cast<std::uint32_t>(std::ceil(y1)) - top};
}

}  // namespace

Result<std::unique_ptr<UiLayer>> createImGuiLayer(VulkanRenderer& renderer, Window* window, std::uint32_t width,
                                                  std::uint32_t height) {
    MXR_TRY_ASSIGN(auto layer, ImGuiLayer::create(renderer, window, VkExtent2D{width, height}));
    return std::unique_ptr<UiLayer>(std::move(layer));
}

}  // namespace mxr::engine
