// pv-cat's flow: a stream printed to a file gives the printer's text; a
// stream that turns out truncated leaves no file (and an earlier one as it
// was).

#include "stages/cat/cat_command.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "stages/core/stage_error.h"
#include "stages/runtime/stream.h"
#include "tests/composition/process.h"

namespace pv {
namespace {

using testing::ScratchDir;
using testing::slurp;
using testing::spit;

StreamHeader header() {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.source = "test";
  h.featureColumns = {"a", "b"};
  h.uarchNames = {"u"};
  h.targetNames = {"commit"};
  return h;
}

// Three batches of two rows: values 10 x row + column, label = row.
std::vector<FeatureBatch> batches() {
  std::vector<FeatureBatch> out;
  for (uint64_t b = 0; b < 3; ++b) {
    FeatureBatch batch;
    batch.firstIndex = 2 * b;
    batch.columns = 2;
    for (uint64_t r = 2 * b; r < 2 * b + 2; ++r) {
      batch.values.insert(batch.values.end(), {10.0f * r, 10.0f * r + 1});
      batch.labels.push_back(static_cast<float>(r));
    }
    out.push_back(batch);
  }
  return out;
}

void writeStream(const std::string& path) {
  auto w = runtime::StreamWriter::open(path);
  w->writeHeader(header());
  for (auto b : batches()) w->write(b);
  w->writeEnd(6);
  w->close();
}

TEST(CatCommand, printsTheStreamToAFile) {
  ScratchDir dir;
  writeStream(dir / "f.pvs");
  for (bool labels : {false, true}) {
    CatOptions o;
    o.input = dir / "f.pvs";
    o.output = dir / "f.csv";
    o.format = PrintFormat::kCsv;
    o.labels = labels;
    catStream(o);
    std::string expected;
    StreamPrinter printer(PrintFormat::kCsv, labels ? PrintWhat::kLabels : PrintWhat::kRecords);
    printer.begin(header(), expected);
    for (const auto& b : batches()) printer.print(b, expected);
    EXPECT_EQ(slurp(dir / "f.csv"), expected);
  }
  CatOptions o;
  o.input = dir / "f.pvs";
  o.output = dir / "h.txt";
  o.headerOnly = true;
  catStream(o);
  std::string expected;
  StreamPrinter::describe(header(), PrintFormat::kText, expected);
  EXPECT_EQ(slurp(dir / "h.txt"), expected);
}

TEST(CatCommand, aTruncatedStreamLeavesNoFile) {
  ScratchDir dir;
  writeStream(dir / "f.pvs");
  const std::string whole = slurp(dir / "f.pvs");
  spit(dir / "cut.pvs", whole.substr(0, whole.size() - 30));
  spit(dir / "old.txt", "earlier text\n");
  for (const std::string output : {"old.txt", "new.txt"}) {
    CatOptions o;
    o.input = dir / "cut.pvs";
    o.output = dir / output;
    EXPECT_THROW(catStream(o), StageError);
  }
  EXPECT_EQ(slurp(dir / "old.txt"), "earlier text\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "new.txt"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 3);  // f, cut, old
}

}  // namespace
}  // namespace pv
