# Host-side targets: tools, unit tests (ASan+UBSan) and libFuzzer targets. Freestanding kernel
# components are compiled a second time here, natively, so the same code is tested on the host.
set(KEEL_HOST_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)
set(KEEL_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
set(KEEL_PUBLIC_INCLUDES ${CMAKE_SOURCE_DIR}/kernel/include)

# keel_host_library(<name> FOR <test|fuzz|tool> SOURCES <files...>)
# A static library of a freestanding component, compiled natively as its consumers compile their
# own sources: for host tests (ASan+UBSan), for fuzz targets (ASan+UBSan and libFuzzer's coverage
# instrumentation; only with KEEL_FUZZ) or for host tools (optimised, no sanitizers). The caller
# links the component's headers (keel_<component>_api) PUBLIC.
function(keel_host_library name)
  cmake_parse_arguments(L "" "FOR" "SOURCES" ${ARGN})
  if(L_FOR STREQUAL "test")
    set(flags -g -O1 -std=gnu11 ${KEEL_HOST_WARNINGS} ${KEEL_SANITIZE})
  elseif(L_FOR STREQUAL "fuzz")
    if(NOT KEEL_FUZZ)
      return()
    endif()
    # Coverage instrumentation without libFuzzer's main: the fuzz target links that.
    set(flags -g -O1 -std=gnu11 ${KEEL_HOST_WARNINGS} -fsanitize=fuzzer-no-link,address,undefined
              -fno-sanitize-recover=all)
  elseif(L_FOR STREQUAL "tool")
    set(flags -O2 -g -std=gnu11 ${KEEL_HOST_WARNINGS})
  else()
    message(FATAL_ERROR "keel_host_library(${name}): FOR test, fuzz or tool")
  endif()
  add_library(${name} STATIC ${L_SOURCES})
  target_compile_options(${name} PRIVATE ${flags})
endfunction()

# keel_host_test(<name> SOURCES <files...> [LABELS <labels...>])
# Builds <name> with ASan+UBSan and registers it with CTest; the test must exit non-zero on any
# failed check.
function(keel_host_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LABELS;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${KEEL_PUBLIC_INCLUDES} ${CMAKE_SOURCE_DIR}/kernel
                                             ${CMAKE_SOURCE_DIR}/tests/host)
  target_compile_options(${name} PRIVATE -g -O1 -std=gnu11 ${KEEL_HOST_WARNINGS} ${KEEL_SANITIZE})
  target_link_options(${name} PRIVATE ${KEEL_SANITIZE})
  target_link_libraries(${name} PRIVATE ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name})
  set(labels unit ${T_LABELS})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 120)
endfunction()

# keel_fuzz_target(<name> SOURCES <files...> CORPUS <dir>)
# A libFuzzer target (ASan+UBSan). CTest runs it for KEEL_FUZZ_SECONDS over a copy of the seed
# corpus; run it longer by hand: ./build/tests/<name> -max_total_time=3600 <corpus-dir>.
# With KEEL_FUZZ=OFF the test is still registered, and CTest reports it as skipped.
function(keel_fuzz_target name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES" ${ARGN})
  if(NOT KEEL_FUZZ)
    add_test(NAME ${name} COMMAND ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_disabled.sh ${name})
    set_tests_properties(${name} PROPERTIES LABELS "fuzz" TIMEOUT 30 SKIP_RETURN_CODE 77)
    return()
  endif()
  add_executable(${name} ${F_SOURCES})
  target_include_directories(${name} PRIVATE ${KEEL_PUBLIC_INCLUDES} ${CMAKE_SOURCE_DIR}/kernel)
  target_compile_options(${name} PRIVATE -g -O1 -std=gnu11 ${KEEL_HOST_WARNINGS}
                                         -fsanitize=fuzzer,address,undefined
                                         -fno-sanitize-recover=all)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}.corpus)
  add_test(NAME ${name}
           COMMAND ${CMAKE_COMMAND} -E env ${CMAKE_SOURCE_DIR}/tests/fuzz/run_fuzz.sh
                   $<TARGET_FILE:${name}> ${F_CORPUS} ${work} ${KEEL_FUZZ_SECONDS})
  math(EXPR limit "${KEEL_FUZZ_SECONDS} + 120")
  set_tests_properties(${name} PROPERTIES LABELS "fuzz" TIMEOUT ${limit})
endfunction()
