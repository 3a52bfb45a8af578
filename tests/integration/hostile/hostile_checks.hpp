#pragma once
// The checks every hostile-input test ends with: the answer is a refusal
// without internal text (or the server closed the connection), and the
// service process is unharmed: it still answers, and its open descriptors
// and resident memory come back to where they were before the attack.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <orders/testing/eventually.hpp>

#include "raw_http.hpp"

namespace orders::testing::hostile {

using namespace std::chrono_literals;

struct ProcessBaseline {
  int descriptors = -1;
  long resident_kib = -1;
};

inline ProcessBaseline Measure(pid_t pid) { return {OpenDescriptors(pid), ResidentKib(pid)}; }

// Status 0 stands for "closed the connection without an answer".
inline constexpr int kClosed = 0;

// Sends `bytes` on a fresh connection and reads until the server answers and
// closes, or `wait` passes. Returns the status of the first answer (kClosed
// when the server closed without one, -1 when it neither answered nor closed).
inline int SendHostile(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds wait = 10s) {
  RawConnection connection(port);
  EXPECT_TRUE(connection.connected());
  connection.Send(bytes);  // the server may close before it has read everything
  const std::string answer = connection.Read(wait);
  const auto responses = SplitResponses(answer);
  const std::string leaked = InternalTextIn(answer);
  EXPECT_EQ(leaked, "") << "internal text in the answer:\n" << answer;
  if (!responses.empty()) {
    const auto& head = responses.front().head;
    if (responses.front().status >= 400 && responses.front().body.size() > 0) {
      EXPECT_NE(head.find("application/problem+json"), std::string::npos) << answer;
    }
    return responses.front().status;
  }
  if (!answer.empty()) ADD_FAILURE() << "an answer that is not HTTP:\n" << answer;
  return connection.ClosedByServer(wait) ? kClosed : -1;
}

inline void ExpectStatusIn(int status, const std::set<int>& allowed, const std::string& what) {
  EXPECT_TRUE(allowed.count(status)) << what << ": got " << status << " (0 = closed without an answer, -1 = "
                                     << "neither answered nor closed)";
}

// Under ASan (./infra/test.sh --sanitize) freed memory sits in the allocator's
// quarantine instead of being reused, so resident memory grows with churn alone.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr long kResidentSlackKib = 96 * 1024;
#else
inline constexpr long kResidentSlackKib = 8 * 1024;
#endif

// Descriptors back to the baseline (a little slack for the service's own
// Kafka/PostgreSQL connections), resident memory within `slack_kib`.
inline void ExpectBackToBaseline(pid_t pid, const ProcessBaseline& baseline, long slack_kib = kResidentSlackKib) {
  int descriptors = -1;
  EXPECT_TRUE(Eventually(
      [&] {
        descriptors = OpenDescriptors(pid);
        return descriptors >= 0 && descriptors <= baseline.descriptors + 2;
      },
      15s, 100ms))
      << "open descriptors " << descriptors << ", before " << baseline.descriptors;
  const long resident = ResidentKib(pid);
  EXPECT_LE(resident, baseline.resident_kib + slack_kib)
      << "resident memory " << resident << " KiB, before " << baseline.resident_kib << " KiB";
}

// `count` connections at once each send `request`; returns how many were
// refused: answered with a status `refused_status` accepts, or closed without
// an answer.
template <class RefusedStatus>
int CountRefusedConcurrently(std::uint16_t port, const std::string& request, int count, RefusedStatus refused_status) {
  std::vector<std::thread> senders;
  std::atomic<int> refused{0};
  for (int i = 0; i < count; ++i) {
    senders.emplace_back([&] {
      RawConnection connection(port);
      connection.Send(request);
      const auto responses = SplitResponses(connection.Read(10s));
      if ((responses.empty() && connection.ClosedByServer(10s)) ||
          (!responses.empty() && refused_status(responses[0].status))) {
        ++refused;
      }
    });
  }
  for (auto& sender : senders) sender.join();
  return refused.load();
}

// `count` connections that each send one byte of `head` per second
// (slowloris) until the server closes them or `limit` passes, while a normal
// client asks `probe` once a second and must be answered. How fast it was
// answered is printed, not asserted: the bound below only says "answered at
// all" (a machine shared with other work, or ASan, makes any tight figure a
// test of the machine). Returns how many slow connections the server had
// closed by the end.
template <class Probe>
int RunSlowloris(std::uint16_t port, int count, const std::string& head, std::chrono::seconds limit, Probe probe) {
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < count; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port));
    EXPECT_TRUE(slow.back()->connected());
  }
  const auto start = std::chrono::steady_clock::now();
  std::size_t sent = 0;
  int closed = 0;
  int probes = 0;
  auto slowest = std::chrono::steady_clock::duration::zero();
  while (std::chrono::steady_clock::now() - start < limit) {
    closed = 0;
    for (auto& connection : slow) {
      if (connection->ClosedByServer()) {
        ++closed;
        continue;
      }
      connection->Send(head.substr(sent % head.size(), 1));
    }
    ++sent;
    if (closed == count) break;
    const auto asked = std::chrono::steady_clock::now();
    EXPECT_TRUE(probe()) << "a normal request failed during the attack";
    const auto took = std::chrono::steady_clock::now() - asked;
    EXPECT_LT(took, 15s) << "a normal request was not answered during the attack";
    slowest = std::max(slowest, took);
    ++probes;
    std::this_thread::sleep_for(1s);  // the attack's pace, not a wait for a result
  }
  const auto slowest_ms = std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count();
  std::printf("slowloris: %d probes answered during the attack, slowest in %lld ms; %d of %d slow connections closed\n",
              probes, static_cast<long long>(slowest_ms), closed, count);
  ::testing::Test::RecordProperty("slowest_probe_ms", std::to_string(slowest_ms));
  return closed;
}

}  // namespace orders::testing::hostile
