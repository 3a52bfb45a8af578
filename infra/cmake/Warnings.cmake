# orders_set_warnings(<target>): the project's warning set, applied per target
# (no global flags).
function(orders_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wnull-dereference -Wimplicit-fallthrough)
  target_compile_features(${target} PUBLIC cxx_std_20)
endfunction()

# Sanitizers for the whole build, opt-in: -DORDERS_SANITIZE=address,undefined
# (./infra/test.sh --sanitize builds build-asan so). A finding stops the
# process (no recovery), so a test that triggers one fails.
set(ORDERS_SANITIZE "" CACHE STRING "Comma-separated sanitizers for all project targets")
# libFuzzer targets in tests/fuzz, opt-in and clang only (./infra/fuzz.sh).
# Every project target then gets coverage instrumentation for the fuzzer.
option(ORDERS_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)
if(ORDERS_FUZZ AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "ORDERS_FUZZ needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
endif()
function(orders_apply_sanitizers target)
  if(ORDERS_SANITIZE)
    # -O1 -g1: the level the sanitizers are designed for, with line tables (all a report needs);
    # compiles far faster than -O2 -g, and the sanitizer build exists to find bugs, not to be fast.
    target_compile_options(${target} PRIVATE -fsanitize=${ORDERS_SANITIZE} -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer -O1 -g1)
    target_link_options(${target} PRIVATE -fsanitize=${ORDERS_SANITIZE})
  endif()
  if(ORDERS_FUZZ)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()
