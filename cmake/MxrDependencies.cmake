# Every dependency comes from a Debian package (tools/dev.sh installs them).
# Only what some target uses is looked for (OpenAL, Opus and speexdsp come
# back with the voice work that uses them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(glm REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_path(MXR_EXPECTED_INCLUDE tl/expected.hpp REQUIRED)

if(MXR_WITH_GPU)
  find_package(Vulkan REQUIRED)
  find_program(GLSLC glslc REQUIRED)
  pkg_check_modules(GLFW REQUIRED IMPORTED_TARGET glfw3)
  pkg_check_modules(IMGUI REQUIRED IMPORTED_TARGET imgui)
  pkg_check_modules(STB REQUIRED IMPORTED_TARGET stb)
  pkg_check_modules(OPENXR REQUIRED IMPORTED_TARGET openxr)
endif()
pkg_check_modules(TINYGLTF REQUIRED IMPORTED_TARGET tinygltf)  # the workspace's model (scenes/files)
pkg_check_modules(ENET REQUIRED IMPORTED_TARGET libenet)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # test and load-generator clients
# Beast and Asio (headers only): the server's HTTP front end; Context: the
# fibers its record writes wait in (server/src/request_fiber.h).
find_package(Boost 1.74 REQUIRED COMPONENTS context)
find_package(OpenSSL REQUIRED)     # TLS for that front end
find_package(ZLIB REQUIRED)        # gzip of its text responses (zlib1g-dev)

if(MXR_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
  if(MXR_BUILD_BENCH)
    find_package(benchmark REQUIRED)
  endif()
endif()
