#pragma once
// FUZZ_CHECK(condition, message): a violated invariant aborts the run, so
// libFuzzer reports it as a crash and saves the input that caused it.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, message)                                                                         \
  do {                                                                                                         \
    if (!(condition)) {                                                                                        \
      std::fprintf(stderr, "invariant violated at %s:%d: %s (%s)\n", __FILE__, __LINE__, message, #condition); \
      std::abort();                                                                                            \
    }                                                                                                          \
  } while (0)
