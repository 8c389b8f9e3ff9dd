# mxr_warnings(target): the house warning set, errors on our code only.
function(mxr_warnings target)
  # Vulkan/OpenXR structs are written {sType} with the rest zeroed on purpose.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror -Wno-missing-field-initializers)
endfunction()

# mxr_library(name SOURCES ... [PUBLIC_LINKS ...] [PRIVATE_LINKS ...])
# A module library with public headers in include/.
function(mxr_library name)
  cmake_parse_arguments(A "" "" "SOURCES;PUBLIC_LINKS;PRIVATE_LINKS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                     PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${A_PUBLIC_LINKS} PRIVATE ${A_PRIVATE_LINKS})
  mxr_warnings(${name})
endfunction()

# mxr_test(name LABELS l1 [l2] SOURCES ... LINKS ... [SERIAL] [TIMEOUT s] [COST c])
# One gtest executable registered as one CTest test per gtest case. COST
# (seconds, roughly) makes ctest start a long test first on a fresh
# checkout, before it has timings of its own, so it does not run alone at
# the end of a parallel run.
function(mxr_test name)
  cmake_parse_arguments(A "SERIAL" "TIMEOUT;COST" "SOURCES;LINKS;LABELS;ENV" ${ARGN})
  add_executable(${name} ${A_SOURCES})
  # Test files share heavy headers (gtest, nlohmann/json, the module's
  # own) and instantiate the same templates: compiled as unity translation
  # units of up to 8 files they take a fraction of the CPU (CI minutes).
  # A test file's helpers therefore live in an anonymous namespace with
  # names of their own, or in a namespace named after the file.
  set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  target_link_libraries(${name} PRIVATE ${A_LINKS} GTest::gtest GTest::gtest_main)
  mxr_warnings(${name})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  set(props TIMEOUT ${A_TIMEOUT})
  if(A_SERIAL)
    list(APPEND props RUN_SERIAL TRUE)
  endif()
  if(A_COST)
    list(APPEND props COST ${A_COST})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_LIST ${name}_TESTS PROPERTIES ${props})
  # List-valued properties (several labels or environment variables) would be
  # split by gtest_discover_tests' PROPERTIES, so they are set after
  # discovery, when ctest reads this file.
  file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${name}_properties.cmake CONTENT
    "set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"${A_LABELS}\" ENVIRONMENT \"${A_ENV}\")\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${CMAKE_CURRENT_BINARY_DIR}/${name}_properties.cmake)
endfunction()

# mxr_shaders(target DIR dir SOURCES a.vert b.frag ...): compile GLSL to
# SPIR-V with glslc at build time into ${CMAKE_BINARY_DIR}/shaders and make
# target depend on them.
function(mxr_shaders target)
  cmake_parse_arguments(A "" "DIR" "SOURCES" ${ARGN})
  set(out_dir ${CMAKE_BINARY_DIR}/shaders)
  file(MAKE_DIRECTORY ${out_dir})
  set(outputs)
  foreach(src IN LISTS A_SOURCES)
    set(in ${A_DIR}/${src})
    set(out ${out_dir}/${src}.spv)
    add_custom_command(OUTPUT ${out}
      COMMAND ${GLSLC} --target-env=vulkan1.3 -O -Werror -MD -MF ${out}.d -o ${out} ${in}
      DEPENDS ${in} DEPFILE ${out}.d
      COMMENT "glslc ${src}")
    list(APPEND outputs ${out})
  endforeach()
  # Embed the SPIR-V into the target so binaries run from anywhere.
  set(embedded ${CMAKE_CURRENT_BINARY_DIR}/${target}_shaders.cpp)
  string(REPLACE ";" "|" inputs "${outputs}")
  add_custom_command(OUTPUT ${embedded}
    COMMAND ${CMAKE_COMMAND} -DOUT=${embedded} -DNAMESPACE=mxr::engine::shaders
            -DINPUTS=${inputs} -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
    VERBATIM
    DEPENDS ${outputs} ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
    COMMENT "embedding SPIR-V for ${target}")
  target_sources(${target} PRIVATE ${embedded})
endfunction()
