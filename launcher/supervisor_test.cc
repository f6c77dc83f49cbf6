// Supervision: progress lines, stderr splitting, choosing the stage to
// blame, and real processes (sh, sleep) failing, lingering and interrupted.

#include "launcher/supervisor.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sys/wait.h>

#include "launcher/test_support.h"

namespace pv::launch {
namespace {

using namespace std::chrono_literals;

TEST(Progress, stageProgressLinesParse) {
  auto p = parseProgressLine("pv-feature: 123456 records, 1.23 M/s, 4.5 s   ");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->records, 123456u);
  EXPECT_EQ(p->rest, "");
  p = parseProgressLine("pv-feature: 7 records, 0.00 M/s, 0.0 s");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->records, 7u);
  p = parseProgressLine("pv-x: 7 records, 0.00 M/s, 0.0 s   pv-x: in:line 3: bad");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rest, "pv-x: in:line 3: bad");
  EXPECT_FALSE(parseProgressLine("pv-x: in:line 3: bad"));
  EXPECT_FALSE(parseProgressLine("pv-x: 7 records"));
  EXPECT_FALSE(parseProgressLine(": 7 records, 0.00 M/s, 0.0 s"));
  EXPECT_FALSE(parseProgressLine("a b: 7 records, 0.00 M/s, 0.0 s"));
  EXPECT_FALSE(parseProgressLine("pv-x: 7 records, 0.00 M/s, 0.0 sx"));
}

struct Collected {
  std::vector<std::string> lines;
  std::vector<uint64_t> progress;
};

StderrSplitter splitter(Collected& c, bool parseProgress = true) {
  return StderrSplitter(
      parseProgress, [&c](std::string_view l) { c.lines.emplace_back(l); },
      [&c](uint64_t r) { c.progress.push_back(r); });
}

TEST(Progress, splitterSeparatesProgressFromMessages) {
  Collected c;
  auto s = splitter(c);
  s.feed("\rpv-a: 10 records, 0.01 M/s, 0.2 s   ");
  EXPECT_EQ(c.progress, (std::vector<uint64_t>{10}));  // before the next update comes
  s.feed("\rpv-a: 20 records, 0.01 M/s, 0.4 s   pv-a: x:line 2: oops\n");
  s.feed("warn");
  s.feed("ing\r\n\rpv-a: 30 records, 0.01 M/s, 0.5 s\n");
  s.feed("tail");
  s.finish();
  EXPECT_EQ(c.progress, (std::vector<uint64_t>{10, 20, 30}));
  EXPECT_EQ(c.lines, (std::vector<std::string>{"pv-a: x:line 2: oops", "warning", "tail"}));
}

TEST(Progress, withoutProgressEveryLineIsForwarded) {
  Collected c;
  auto s = splitter(c, false);
  s.feed("pv-a: 10 records, 0.01 M/s, 0.2 s\nnext\n");
  s.finish();
  EXPECT_TRUE(c.progress.empty());
  EXPECT_EQ(c.lines, (std::vector<std::string>{"pv-a: 10 records, 0.01 M/s, 0.2 s", "next"}));
}

// However the bytes are cut, the same lines and the same final count come out.
RC_GTEST_PROP(Progress, splittingDoesNotDependOnChunks, ()) {
  const int updates = *rc::gen::inRange(0, 20);
  std::string text;
  std::vector<std::string> messages;
  uint64_t last = 0;
  for (int i = 0; i < updates; ++i) {
    last += *rc::gen::inRange<uint64_t>(0, 1000000);
    text += "\rpv-s: " + std::to_string(last) + " records, 1.00 M/s, 0.5 s   ";
    if (*rc::gen::inRange(0, 4) == 0) {
      messages.push_back("pv-s: message " + std::to_string(i));
      text += messages.back() + "\n";
    }
  }
  Collected c;
  auto s = splitter(c);
  size_t at = 0;
  while (at < text.size()) {
    size_t n = *rc::gen::inRange<size_t>(1, 64);
    s.feed(std::string_view(text).substr(at, n));
    at += n;
  }
  s.finish();
  RC_ASSERT(c.lines == messages);
  if (updates > 0) RC_ASSERT(!c.progress.empty() && c.progress.back() == last);
}

StageEnd ended(int order, int code, StageEnd::Kind kind = StageEnd::kExited) {
  StageEnd s;
  s.kind = kind;
  s.code = code;
  s.endOrder = order;
  return s;
}

TEST(Culprit, theFirstStageToFailOnItsOwnIsBlamed) {
  // tap fails; feature and reuse forward its error (and may end first).
  std::vector<StageEnd> s = {ended(2, 1), ended(0, 1), ended(1, 1)};
  s[1].reportedUpstream = s[2].reportedUpstream = true;
  EXPECT_EQ(findCulprit(s), 0u);
  // reuse cannot write its output; tap dies of SIGPIPE, feature is stopped.
  s = {ended(1, SIGPIPE, StageEnd::kSignalled), ended(2, SIGTERM, StageEnd::kSignalled),
       ended(0, 1)};
  s[1].stopped = StageEnd::kAfterFailure;
  EXPECT_EQ(findCulprit(s), 2u);
  // Two real failures: the first to end.
  s = {ended(1, 1), ended(0, 3), ended(2, 0)};
  EXPECT_EQ(findCulprit(s), 1u);
  // Only a lingering stage.
  s = {ended(1, SIGTERM, StageEnd::kSignalled), ended(0, 0)};
  s[0].stopped = StageEnd::kLingered;
  EXPECT_EQ(findCulprit(s), 0u);
  s = {ended(0, 0), ended(1, 0)};
  EXPECT_EQ(findCulprit(s), std::nullopt);
}

TEST(Culprit, endsDescribeThemselves) {
  EXPECT_EQ(ended(0, 1).describe(), "exit status 1");
  EXPECT_EQ(ended(0, SIGKILL, StageEnd::kSignalled).describe(), "killed by SIGKILL");
  StageEnd s = ended(0, SIGTERM, StageEnd::kSignalled);
  s.stopped = StageEnd::kInterrupted;
  EXPECT_EQ(s.describe(), "killed by SIGTERM, stopped by pv-launch on interrupt");
}

ProcessSpec sh(const std::string& name, const std::string& script) {
  return {name, "/bin/sh", {"sh", "-c", script}};
}

SuperviseOptions fast() {
  SuperviseOptions o;
  o.grace = 200ms;
  o.lingerTimeout = 300ms;
  return o;
}

TEST(Supervise, successfulStagesEndOk) {
  SignalRelay signals;
  auto outcome = supervise({sh("a", "exit 0"), sh("b", "true")}, fast(), signals);
  EXPECT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome.culprit);
  EXPECT_EQ(outcome.interrupt, 0);
}

TEST(Supervise, aFailureStopsTheOthersAndKeepsItsLastLines) {
  SignalRelay signals;
  auto start = std::chrono::steady_clock::now();
  auto outcome = supervise({sh("a", "exec sleep 30"), sh("b", "echo one >&2; echo two >&2; exit 3"),
                            sh("c", "exec sleep 30")},
                           fast(), signals);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(outcome.ok());
  ASSERT_EQ(outcome.culprit, 1u);
  EXPECT_EQ(outcome.stages[1].code, 3);
  EXPECT_EQ(outcome.stages[1].tail, (std::deque<std::string>{"one", "two"}));
  for (size_t i : {0u, 2u}) {
    EXPECT_EQ(outcome.stages[i].kind, StageEnd::kSignalled);
    EXPECT_EQ(outcome.stages[i].code, SIGTERM);
    EXPECT_EQ(outcome.stages[i].stopped, StageEnd::kAfterFailure);
  }
}

TEST(Supervise, stagesThatIgnoreSigtermAreKilled) {
  SignalRelay signals;
  auto outcome =
      supervise({sh("stubborn", "trap '' TERM; while :; do sleep 0.05; done"), sh("b", "exit 1")},
                fast(), signals);
  EXPECT_EQ(outcome.culprit, 1u);
  EXPECT_EQ(outcome.stages[0].kind, StageEnd::kSignalled);
  EXPECT_EQ(outcome.stages[0].code, SIGKILL);
}

TEST(Supervise, aStageLingeringAfterItsConsumerEndedIsStopped) {
  SignalRelay signals;
  auto outcome =
      supervise({sh("producer", "exec sleep 30"), sh("consumer", "exit 0")}, fast(), signals);
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.culprit, 0u);
  EXPECT_EQ(outcome.stages[0].stopped, StageEnd::kLingered);
}

TEST(Supervise, pipesJoinConsecutiveStages) {
  testing::ScratchDir dir;
  SignalRelay signals;
  SuperviseOptions o = fast();
  o.pipes = true;
  auto outcome = supervise(
      {sh("a", "printf 'x\\ny\\n'"), sh("b", "tr xy XY"), sh("c", "cat > " + (dir / "out"))}, o,
      signals);
  EXPECT_TRUE(outcome.ok());
  EXPECT_EQ(testing::slurp(dir / "out"), "X\nY\n");
}

TEST(Supervise, progressLinesUpdateCountsAndAreNotForwarded) {
  SignalRelay signals;
  SuperviseOptions o = fast();
  o.progress = true;
  auto outcome =
      supervise({sh("a",
                    "printf '\\rpv-a: 5 records, 0.00 M/s, 0.1 s   ' >&2; "
                    "printf '\\rpv-a: 42 records, 0.00 M/s, 0.2 s\\n' >&2; echo done >&2")},
                o, signals);
  EXPECT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.stages[0].records, 42u);
  EXPECT_EQ(outcome.stages[0].tail, (std::deque<std::string>{"done"}));
}

TEST(Supervise, missingExecutablesFailWithTheReason) {
  SignalRelay signals;
  auto outcome =
      supervise({ProcessSpec{"ghost", "/nonexistent/pv-ghost", {"pv-ghost"}}}, fast(), signals);
  ASSERT_EQ(outcome.culprit, 0u);
  EXPECT_EQ(outcome.stages[0].code, 127);
  ASSERT_FALSE(outcome.stages[0].tail.empty());
  EXPECT_EQ(outcome.stages[0].tail.back(),
            "pv-launch: cannot run /nonexistent/pv-ghost: No such file or directory");
}

TEST(Supervise, aStageThatCannotStartStopsTheOnesBeforeAndStartsNoMore) {
  SignalRelay signals;
  const ProcessSpec ghost{"ghost", "/nonexistent/pv-ghost", {"pv-ghost"}};
  auto outcome = supervise({sh("a", "exec sleep 30"), ghost, sh("c", "exec sleep 30")}, fast(), signals);
  ASSERT_EQ(outcome.culprit, 1u);
  EXPECT_EQ(outcome.stages[1].describe(), "exit status 127");
  EXPECT_EQ(outcome.stages[0].describe(), "killed by SIGTERM, stopped by pv-launch after the failure");
  EXPECT_EQ(outcome.stages[2].kind, StageEnd::kNotStarted);
}

TEST(Supervise, stagesStartWithSigpipeAtItsDefaultThoughTheLauncherIgnoresIt) {
  SignalRelay signals;  // ignores SIGPIPE in this process
  auto outcome = supervise({sh("a", "kill -PIPE $$; exit 0")}, fast(), signals);
  EXPECT_EQ(outcome.stages[0].kind, StageEnd::kSignalled);
  EXPECT_EQ(outcome.stages[0].code, SIGPIPE);
}

TEST(Supervise, aSigtermToTheLauncherStopsEveryStage) {
  SignalRelay signals;
  // The second stage signals its parent, the supervising test process.
  auto outcome = supervise({sh("a", "exec sleep 30"), sh("b", "kill -TERM $PPID; exec sleep 30")},
                           fast(), signals);
  EXPECT_EQ(outcome.interrupt, SIGTERM);
  EXPECT_FALSE(outcome.ok());
  for (const auto& s : outcome.stages) {
    EXPECT_EQ(s.kind, StageEnd::kSignalled);
    EXPECT_EQ(s.stopped, StageEnd::kInterrupted);
  }
}

TEST(Supervise, aStoppedStageIsBlamedForTheStall) {
  SignalRelay signals;
  SuperviseOptions o = fast();
  o.stallTimeout = 500ms;
  auto start = std::chrono::steady_clock::now();
  auto outcome = supervise({sh("a", "exec sleep 30"), sh("b", "kill -STOP $$; exec sleep 30"),
                            sh("c", "exec sleep 30")},
                           o, signals);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ASSERT_EQ(outcome.culprit, 1u);
  EXPECT_EQ(outcome.fault(), PipelineOutcome::kHung);
  EXPECT_EQ(outcome.stages[1].stopped, StageEnd::kStalled);
  EXPECT_NE(outcome.stages[1].stallNote.find("stopped"), std::string::npos);
  EXPECT_EQ(outcome.stages[1].kind, StageEnd::kSignalled);  // SIGTERM reached it (SIGCONT)
  EXPECT_EQ(outcome.stages[1].code, SIGTERM);
}

TEST(Supervise, aBusyStageWithoutProgressIsBlamedForTheStall) {
  SignalRelay signals;
  SuperviseOptions o = fast();
  o.stallTimeout = 1500ms;
  auto outcome = supervise({sh("a", "exec sleep 30"), sh("spin", "while :; do :; done")}, o, signals);
  ASSERT_EQ(outcome.culprit, 1u);
  EXPECT_EQ(outcome.fault(), PipelineOutcome::kHung);
  EXPECT_NE(outcome.stages[1].stallNote.find("CPU"), std::string::npos) << outcome.stages[1].stallNote;
}

TEST(Supervise, aReaderOfAFinishedProducerIsBlamedForTheStall) {
  SignalRelay signals;
  SuperviseOptions o = fast();
  o.stallTimeout = 500ms;
  auto outcome = supervise({sh("src", "exit 0"), sh("reader", "exec sleep 30"), sh("sink", "exec sleep 30")},
                           o, signals);
  ASSERT_EQ(outcome.culprit, 1u);
  EXPECT_NE(outcome.stages[1].stallNote.find("'src' before it has ended"), std::string::npos)
      << outcome.stages[1].stallNote;
}

TEST(Supervise, progressKeepsAStallTimeoutAway) {
  SignalRelay signals;
  SuperviseOptions o = fast();
  o.stallTimeout = 600ms;
  // Reports progress every 0.2 s for 1.5 s: longer than the timeout, never quiet that long.
  auto outcome = supervise(
      {sh("a", "i=0; while [ $i -lt 8 ]; do i=$((i+1)); printf '\\rpv-a: %d records, 0.00 M/s, 0.1 s   ' $i >&2; "
               "sleep 0.2; done")},
      o, signals);
  EXPECT_TRUE(outcome.ok()) << outcome.stages[0].describe();
}

TEST(Supervise, aMemoryLimitMakesAllocationsFailAndIsReported) {
  SignalRelay signals;
  ProcessSpec p = sh("hog", "x=$(head -c 300000000 /dev/zero | tr '\\0' a); echo ${#x}");
  p.memoryLimit = 64ull << 20;
  auto outcome = supervise({p}, fast(), signals);
  ASSERT_EQ(outcome.culprit, 0u);
  EXPECT_FALSE(outcome.ok());
  // sh says "Cannot allocate memory" / "out of memory" in some form, or dies.
  if (outcome.stages[0].kind == StageEnd::kExited) {
    EXPECT_EQ(outcome.fault(), PipelineOutcome::kOutOfMemory)
        << (outcome.stages[0].tail.empty() ? "" : outcome.stages[0].tail.back());
  }
}

TEST(Supervise, faultsAreClassified) {
  PipelineOutcome o;
  o.stages.resize(1);
  o.culprit = 0;
  o.stages[0].kind = StageEnd::kSignalled;
  o.stages[0].code = SIGSEGV;
  EXPECT_EQ(o.fault(), PipelineOutcome::kCrashed);
  o.stages[0].code = SIGPIPE;
  EXPECT_EQ(o.fault(), PipelineOutcome::kFailed);
  o.stages[0].kind = StageEnd::kExited;
  o.stages[0].code = 1;
  EXPECT_EQ(o.fault(), PipelineOutcome::kFailed);
  o.stages[0].outOfMemory = true;
  EXPECT_EQ(o.fault(), PipelineOutcome::kOutOfMemory);
  o.stages[0].stopped = StageEnd::kLingered;
  EXPECT_EQ(o.fault(), PipelineOutcome::kHung);
  EXPECT_TRUE(mentionsOutOfMemory("pv-encode: out of memory (std::bad_alloc)"));
  EXPECT_FALSE(mentionsOutOfMemory("pv-encode: x.pvs:message 3: truncated"));
}

}  // namespace
}  // namespace pv::launch
