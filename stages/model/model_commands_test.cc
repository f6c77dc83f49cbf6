// pv-model's commands: info's text and JSON byte for byte on a small model,
// init's file (the untrained model, whole or not at all).

#include "stages/model/model_commands.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "stages/core/stage_error.h"
#include "tests/composition/process.h"

namespace pv {
namespace {

using testing::ScratchDir;
using testing::slurp;
using testing::spit;

// A trained-looking model: two targets, three microarchitectures (one with
// more parameters than the text lists), a parametric model.
Model described() {
  Model m;
  m.name = "tiny";
  m.description = "a \"small\" model";
  m.architecture = {"lstm", 2, 3, 1, 4, 32};
  m.featureColumns = {"a", "b"};
  m.targetNames = {"fetch", "commit"};
  m.tensors = {{"w", {2}, {0.5f, 1}}, {"b", {1}, {0}}};
  m.contentHash = "xxh3-128:c";
  m.encoderHash = "xxh3-128:e";
  m.training.programs = {"matmul", "chase"};
  m.training.heldOutUarchs = {"s5-0002"};
  m.training.uarchSource = "sample --seed 5 --count 3";
  m.training.instructions = 1234;
  m.training.steps = 60;
  m.training.epochs = 1.5;
  m.training.workers = 1;
  m.training.validationLoss = 0.123456;
  m.uarchModel.inputs = {"core.width", "l1d.size"};
  m.uarchModel.layers = {{"w0", {1}, {1}}};
  Microarchitecture many{"wide", {}, 0, {}, "tuned"};
  for (int i = 0; i < 9; ++i) many.params.emplace_back("p" + std::to_string(i), std::to_string(i));
  m.uarchs = {{"s5-0000", {{"core.width", "4"}, {"l1d.size", "32KiB"}}, 3.2, {}, "trained"},
              {"plain", {}, 0, {}, ""},
              many};
  return m;
}

TEST(ModelInfo, textListsTheModelAndItsTraining) {
  EXPECT_EQ(formatModelInfo(described(), "m.pvm", "text"),
            "model        m.pvm\n"
            "name         tiny\n"
            "description  a \"small\" model\n"
            "content      xxh3-128:c\n"
            "encoder      xxh3-128:e\n"
            "architecture lstm 1 x 3, window 4, trained chunked, K = 32\n"
            "features     2\n"
            "weights      3 in 2 tensors\n"
            "targets      fetch, commit\n"
            "trained      60 steps (1.50 epochs, 1 worker) on 1234 records of 2 programs: matmul, chase\n"
            "held out     uarchs: s5-0002\n"
            "uarch set    sample --seed 5 --count 3\n"
            "validation   loss 0.1235\n"
            "parametric   MLP from 2 configuration inputs to M_u\n"
            "M_u          of any sign (a prediction can be negative)\n"
            "uarchs       3\n"
            "  s5-0000 [trained] @ 3.2 GHz core.width=4 l1d.size=32KiB\n"
            "  plain\n"
            "  wide [tuned] (9 parameters; --format json lists them)\n");
  Model untrained = described();
  untrained.training = {};
  untrained.architecture.chunk = 0;
  untrained.description.clear();
  const std::string text = formatModelInfo(untrained, "m.pvm", "text");
  EXPECT_NE(text.find("architecture lstm 1 x 3, window 4, exact\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("trained "), std::string::npos) << text;
  EXPECT_EQ(text.find("description"), std::string::npos) << text;
}

TEST(ModelInfo, jsonIsOneObjectWithEveryParameter) {
  Model m = described();
  m.uarchs.resize(2);
  EXPECT_EQ(formatModelInfo(m, "dir/m.pvm", "json"),
            "{\"file\":\"dir/m.pvm\",\"name\":\"tiny\",\"description\":\"a \\\"small\\\" model\","
            "\"content_hash\":\"xxh3-128:c\",\"encoder_hash\":\"xxh3-128:e\","
            "\"architecture\":{\"kind\":\"lstm\",\"features\":2,\"hidden\":3,\"layers\":1,\"window\":4,\"chunk\":32},"
            "\"weights\":3,\"targets\":[\"fetch\",\"commit\"],\"non_negative_uarchs\":false,"
            "\"uarchs\":[{\"name\":\"s5-0000\",\"origin\":\"trained\",\"clock_ghz\":3.2,"
            "\"params\":{\"core.width\":\"4\",\"l1d.size\":\"32KiB\"}},"
            "{\"name\":\"plain\",\"origin\":\"\",\"clock_ghz\":0.0,\"params\":{}}]}\n");
}

TEST(ModelInit, writesTheUntrainedModel) {
  ScratchDir dir;
  encode::UntrainedModelOptions o;
  o.hidden = 4;
  o.layers = 1;
  o.window = 4;
  o.chunk = 4;
  o.uarchs = {"fast@3"};
  const std::string line = initModel(o, dir / "m.pvm");
  const Model expected = encode::makeUntrainedModel(o);
  EXPECT_EQ(line, "wrote " + (dir / "m.pvm") + " (" + expected.encoderHash + ")");
  const Model written = loadModel(dir / "m.pvm");
  EXPECT_EQ(written.contentHash, expected.contentHash);
  EXPECT_EQ(written.uarchs, expected.uarchs);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(ModelInit, aFailureLeavesTheOutputAsItWas) {
  ScratchDir dir;
  spit(dir / "m.pvm", "an earlier model");
  encode::UntrainedModelOptions o;
  o.hidden = 4;
  o.window = 4;
  o.stats = dir / "missing.csv";
  EXPECT_THROW(initModel(o, dir / "m.pvm"), StageError);
  EXPECT_EQ(slurp(dir / "m.pvm"), "an earlier model");
  try {
    o.stats.clear();
    initModel(o, dir / "no/folder/m.pvm");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "no/folder/m.pvm") + ": cannot create: No such file or directory");
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

}  // namespace
}  // namespace pv
