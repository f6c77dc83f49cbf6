// Pipeline files: what parses, what is refused and where the error points,
// parameter binding and substitution, and the files shipped in pipelines/.

#include "launcher/pipeline_file.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>

#include "launcher/test_support.h"

namespace pv::launch {
namespace {

constexpr const char* kValid = R"([pipeline]
name = "demo"
description = "a test"

[params]
trace = "t.txt"
out = { default = "-", help = "where" }
uarch = { help = "required" }
count = 3
flag = true

[[stage]]
name = "tap"
run = "pv-trace-tap"
args = ["{trace}", "--uarch", "{uarch}"]

[[stage]]
name = "last"
run = "pv-cat"
args = ["-o", "{out}", "--label={uarch}-{count}"]
description = "prints"
)";

// The error a text raises, or "" when it parses.
std::string errorOf(const std::string& text) {
  try {
    parsePipeline(text, "p.toml");
  } catch (const PipelineError& e) {
    return e.what();
  }
  return "";
}

TEST(PipelineFile, parsesNamesParamsInFileOrderAndStagesWithPositions) {
  PipelineSpec spec = parsePipeline(kValid, "p.toml");
  EXPECT_EQ(spec.name, "demo");
  EXPECT_EQ(spec.description, "a test");
  ASSERT_EQ(spec.params.size(), 5u);
  EXPECT_EQ(spec.params[0].name, "trace");
  EXPECT_EQ(spec.params[0].defaultValue, "t.txt");
  EXPECT_EQ(spec.params[0].pos.line, 6u);
  EXPECT_EQ(spec.params[1].name, "out");
  EXPECT_EQ(spec.params[1].defaultValue, "-");
  EXPECT_EQ(spec.params[1].help, "where");
  EXPECT_EQ(spec.params[2].name, "uarch");
  EXPECT_FALSE(spec.params[2].defaultValue.has_value());
  EXPECT_EQ(spec.params[3].defaultValue, "3");
  EXPECT_EQ(spec.params[4].defaultValue, "true");
  ASSERT_EQ(spec.stages.size(), 2u);
  EXPECT_EQ(spec.stages[0].name, "tap");
  EXPECT_EQ(spec.stages[0].pos.line, 13u);
  EXPECT_EQ(spec.stages[0].run.text, "pv-trace-tap");
  ASSERT_EQ(spec.stages[0].args.size(), 3u);
  EXPECT_EQ(spec.stages[0].args[2].text, "{uarch}");
  EXPECT_EQ(spec.stages[0].args[2].pos.line, 15u);
  EXPECT_EQ(spec.stages[1].description, "prints");
}

TEST(PipelineFile, theSecurityTableGivesEveryStageItsCurveKeysWithParametersSubstituted) {
  PipelineSpec spec = parsePipeline(
      "[pipeline]\nname = \"x\"\n[params]\nkeys = \"k\"\n[security]\n"
      "curve_secret = \"{keys}/p.key\"\ncurve_authorized = \"{keys}/clients\"\n"
      "[[stage]]\nname = \"a\"\nrun = \"b\"\n",
      "p.toml");
  EXPECT_EQ(securityArgs(spec, bindParams(spec, {"keys=/x"})),
            (std::vector<std::string>{"--curve-secret", "/x/p.key", "--curve-authorized",
                                      "/x/clients"}));
  PipelineSpec none = parsePipeline("[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\n",
                                    "p.toml");
  EXPECT_TRUE(securityArgs(none, {}).empty());
}

TEST(PipelineFile, aSecurityTableWithoutASecretKeyOrWithUnknownKeysIsRefused) {
  EXPECT_EQ(errorOf("[pipeline]\nname = \"x\"\n[security]\ncurve_authorized = \"a\"\n"
                    "[[stage]]\nname = \"a\"\nrun = \"b\"\n"),
            "p.toml:3:1: [security] needs curve_secret (this pipeline's key pair, from pv-launch --keygen)");
  EXPECT_NE(errorOf("[pipeline]\nname = \"x\"\n[security]\ncurve_secrte = \"a\"\n"
                    "[[stage]]\nname = \"a\"\nrun = \"b\"\n")
                .find("unknown key 'curve_secrte' in [security]"),
            std::string::npos);
}

TEST(PipelineFile, charactersTomlPlusPlusCannotClassifyAreRefusedBeforeItSeesThem) {
  // toml++ 3.3.0 reaches __builtin_unreachable() on `\u00e9 = 1` (tests/fuzz).
  const std::string refused = " is refused (the TOML library, toml++ 3.3.0, has undefined behaviour on it)";
  EXPECT_EQ(errorOf("[pipeline]\nname = \"x\"\n\u00e9 = 1\n"), "p.toml:3:1: TOML: character U+00E9" + refused);
  EXPECT_EQ(errorOf("[pipeline]\nname = \"x\"\nstall_timeout = 12\"\u00e9\"\n"),
            "p.toml:3:20: TOML: character U+00E9" + refused);
  EXPECT_EQ(errorOf("# caf\u00e9\n[pipeline]\nname = \"x\"\n"), "p.toml:1:6: TOML: character U+00E9" + refused);
  // Other characters are left to toml++.
  PipelineSpec spec = parsePipeline(
      "# \u65e5\n[pipeline]\nname = \"x\"\ndescription = \"\u65e5 \\\" '''\"\n"
      "[[stage]]\nname = \"a\"\nrun = '''b\u65e5'''\n",
      "p.toml");
  EXPECT_EQ(spec.stages[0].run.text, "b\u65e5");
}

TEST(PipelineFile, tomlSyntaxErrorsNameTheFileLineAndColumn) {
  std::string e = errorOf("[pipeline]\nname = \"x\"\n\n[[stage]]\nname = \"a\nrun = \"b\"\n");
  EXPECT_EQ(e.rfind("p.toml:5:", 0), 0u) << e;
  EXPECT_NE(e.find("TOML: "), std::string::npos) << e;
}

TEST(PipelineFile, duplicateTomlKeysAreSyntaxErrorsAtTheirLine) {
  std::string e = errorOf("[pipeline]\nname = \"x\"\nname = \"y\"\n");
  EXPECT_EQ(e.rfind("p.toml:3:", 0), 0u) << e;
}

TEST(PipelineFile, unknownKeysAreRefusedAtTheirLine) {
  EXPECT_EQ(errorOf("[pipeline]\nname = \"x\"\n[stages]\n"),
            "p.toml:3:2: unknown key 'stages' in the file (allowed: pipeline, params, stage, security)");
  std::string e =
      errorOf("[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\nargz = []\n");
  EXPECT_EQ(
      e.rfind("p.toml:6:1: unknown key 'argz' in stage 1 (allowed: name, run, args, description, "
              "memory_limit, host, address)",
              0),
      0u)
      << e;
  e = errorOf("[pipeline]\nname = \"x\"\nversion = 2\n[[stage]]\nname = \"a\"\nrun = \"b\"\n");
  EXPECT_EQ(e.rfind("p.toml:3:1: unknown key 'version' in [pipeline]", 0), 0u) << e;
  e = errorOf(
      "[pipeline]\nname = \"x\"\n[params]\na = { default = \"1\", hlep = \"h\" }\n"
      "[[stage]]\nname = \"a\"\nrun = \"b\"\n");
  EXPECT_EQ(e.rfind("p.toml:4:22: unknown key 'hlep' in parameter 'a'", 0), 0u) << e;
}

TEST(PipelineFile, duplicateStageNamesAreRefusedAtTheSecond) {
  std::string e = errorOf(
      "[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\n[[stage]]\nname = \"a\"\n"
      "run = \"c\"\n");
  EXPECT_EQ(e, "p.toml:7:8: duplicate stage name 'a' (first at line 4)");
}

TEST(PipelineFile, undefinedParametersAreRefusedWhereTheyAreUsed) {
  std::string e = errorOf(
      "[pipeline]\nname = \"x\"\n[params]\ntrace = \"t\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\n"
      "args = [\"{trace}\",\n  \"{trcae}\"]\n");
  EXPECT_EQ(e, "p.toml:9:3: stage 'a': args[1] uses undefined parameter 'trcae' (defined: trace)");
  e = errorOf("[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"{tool}\"\n");
  EXPECT_EQ(
      e, "p.toml:5:7: stage 'a': run uses undefined parameter 'tool' (the file has no [params])");
}

TEST(PipelineFile, emptyPipelinesAreRefused) {
  EXPECT_EQ(errorOf("[pipeline]\nname = \"x\"\n"), "p.toml: empty pipeline: no [[stage]] tables");
  EXPECT_EQ(errorOf("stage = []\n[pipeline]\nname = \"x\"\n"),
            "p.toml:1:9: empty pipeline: no [[stage]] tables");
  EXPECT_EQ(errorOf("[[stage]]\nname = \"a\"\nrun = \"b\"\n"),
            "p.toml: no [pipeline] table (it needs at least name = \"...\")");
}

TEST(PipelineFile, wrongShapesAndTypesAreRefused) {
  auto withStage = [](const std::string& stage) {
    return errorOf("[pipeline]\nname = \"x\"\n[[stage]]\n" + stage);
  };
  EXPECT_EQ(withStage("run = \"b\"\n"), "p.toml:3:1: stage 1 has no 'name'");
  EXPECT_EQ(withStage("name = \"a\"\n"), "p.toml:3:1: stage 'a' has no 'run'");
  EXPECT_EQ(withStage("name = \"a\"\nrun = 3\n"),
            "p.toml:5:7: stage 'a''s run must be a string, not an integer");
  EXPECT_EQ(withStage("name = \"a\"\nrun = \"b\"\nargs = \"-x\"\n"),
            "p.toml:6:8: stage 'a': args must be an array of strings, not a string");
  EXPECT_EQ(withStage("name = \"a\"\nrun = \"b\"\nargs = [\"-x\", 2]\n"),
            "p.toml:6:15: stage 'a': each of args must be a string, not an integer");
  EXPECT_EQ(withStage("name = \"a b\"\nrun = \"b\"\n"),
            "p.toml:4:8: stage 1: name 'a b' must be non-empty and hold only letters, digits, '_' "
            "and '-'");
  EXPECT_EQ(errorOf("[pipeline]\nname = \"x\"\n[stage]\nname = \"a\"\nrun = \"b\"\n"),
            "p.toml:3:1: 'stage' must be an array of tables: begin each stage with [[stage]]");
  EXPECT_EQ(errorOf("[pipeline]\nname = \"x\"\n[params]\nscale = 1.5\n[[stage]]\nname = \"a\"\n"
                    "run = \"b\"\n"),
            "p.toml:4:9: parameter 'scale' must be a string, an integer, a boolean or a table "
            "{ default = ..., help = ... }, not a float");
}

TEST(PipelineFile, outputOptionsBeforeTheLastStageAreRefused) {
  std::string e = errorOf(
      "[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\nargs = [\"-o\", \"f\"]\n"
      "[[stage]]\nname = \"c\"\nrun = \"d\"\n");
  EXPECT_EQ(e,
            "p.toml:6:9: stage 'a' is not the last stage, so pv-launch wires its output to "
            "stage 'c'; remove '-o'");
  EXPECT_NE(errorOf("[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\n"
                    "args = [\"--output=f\"]\n[[stage]]\nname = \"c\"\nrun = \"d\"\n"),
            "");
  // The last stage's output is the pipeline's: allowed.
  EXPECT_EQ(errorOf("[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\n"
                    "[[stage]]\nname = \"c\"\nrun = \"d\"\nargs = [\"-o\", \"f\"]\n"),
            "");
}

TEST(PipelineFile, bracesMustBalanceAndSplatsBeWholeArguments) {
  auto withArg = [](const std::string& arg) {
    return errorOf(
        "[pipeline]\nname = \"x\"\n[params]\np = \"v\"\n[[stage]]\nname = \"a\"\n"
        "run = \"b\"\nargs = ['" +
        arg + "']\n");
  };
  EXPECT_EQ(withArg("{p"),
            "p.toml:8:9: stage 'a': args[0]: unbalanced '{' (write '{{' for a "
            "literal brace)");
  EXPECT_EQ(withArg("p}"),
            "p.toml:8:9: stage 'a': args[0]: unbalanced '}' (write '}}' for a "
            "literal brace)");
  EXPECT_EQ(withArg("x{*p}"),
            "p.toml:8:9: stage 'a': args[0]: '{*p}' must be a whole argument "
            "(it expands to several)");
  EXPECT_NE(withArg("{ p }").find("is not a parameter reference"), std::string::npos);
  EXPECT_EQ(withArg("{{p}}"), "");
  EXPECT_EQ(withArg("{*p}"), "");
}

TEST(PipelineFile, bindParamsTakesDefaultsAndOverrides) {
  PipelineSpec spec = parsePipeline(kValid, "p.toml");
  ParamValues v = bindParams(spec, {"uarch=o3", "out=f.pvs=x"});
  EXPECT_EQ(v.at("trace"), "t.txt");
  EXPECT_EQ(v.at("uarch"), "o3");
  EXPECT_EQ(v.at("out"), "f.pvs=x");  // the first '=' separates
  EXPECT_EQ(bindParams(spec, {"uarch="}).at("uarch"), "");
}

TEST(PipelineFile, bindParamsRefusesUnknownRepeatedMalformedAndMissing) {
  PipelineSpec spec = parsePipeline(kValid, "p.toml");
  auto usage = [&](const std::vector<std::string>& a) {
    try {
      bindParams(spec, a);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(
      usage({"uarch=a", "tarce=x"}),
      "unknown parameter 'tarce' for pipeline demo (parameters: trace, out, uarch, count, flag)");
  EXPECT_EQ(usage({"uarch=a", "uarch=b"}), "parameter 'uarch' is given twice");
  EXPECT_EQ(usage({"uarch"}), "'uarch' is not a parameter assignment KEY=VALUE");
  EXPECT_EQ(usage({"=x"}), "'=x' is not a parameter assignment KEY=VALUE");
  EXPECT_EQ(usage({}),
            "pipeline demo needs a value for uarch (give KEY=VALUE after the file; "
            "see --describe)");
}

TEST(PipelineFile, resolveSubstitutesEveryParameter) {
  PipelineSpec spec = parsePipeline(kValid, "p.toml");
  auto commands = resolve(spec, bindParams(spec, {"uarch=o3", "trace=run/trace.txt"}));
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0].run, "pv-trace-tap");
  EXPECT_EQ(commands[0].args, (std::vector<std::string>{"run/trace.txt", "--uarch", "o3"}));
  EXPECT_EQ(commands[1].args, (std::vector<std::string>{"-o", "-", "--label=o3-3"}));
}

TEST(PipelineFile, splatsExpandToWordsAndEmptyToNothing) {
  PipelineSpec spec = parsePipeline(
      "[pipeline]\nname = \"x\"\n[params]\nt = \"a b\"\nextra = \"\"\n[[stage]]\nname = \"a\"\n"
      "run = \"b\"\nargs = [\"--labels\", \"{*extra}\", \"{*t}\", \"{extra}\"]\n",
      "p.toml");
  auto commands = resolve(spec, bindParams(spec, {}));
  EXPECT_EQ(commands[0].args, (std::vector<std::string>{"--labels", "a", "b", ""}));
  commands = resolve(spec, bindParams(spec, {"extra=  --uarch  o3 ", "t=x/trace.txt"}));
  EXPECT_EQ(commands[0].args, (std::vector<std::string>{"--labels", "--uarch", "o3", "x/trace.txt",
                                                        "  --uarch  o3 "}));
}

TEST(PipelineFile, resolveRefusesAnOutputOptionSplicedIntoAnEarlierStage) {
  PipelineSpec spec = parsePipeline(
      "[pipeline]\nname = \"x\"\n[params]\nextra = \"\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\n"
      "args = [\"{*extra}\"]\n[[stage]]\nname = \"c\"\nrun = \"d\"\n",
      "p.toml");
  EXPECT_NO_THROW(resolve(spec, bindParams(spec, {"extra=--batch-size 3"})));
  try {
    resolve(spec, bindParams(spec, {"extra=-o f"}));
    FAIL() << "no error";
  } catch (const PipelineError& e) {
    EXPECT_EQ(e.pos().line, 8u);
    EXPECT_NE(std::string(e.what()).find("'{*extra}' gave it '-o'"), std::string::npos);
  }
}

TEST(PipelineFile, argumentsAfterDoubleDashBelongToTheProgram) {
  // pv-trace-tap --valgrind -- cc1 ... -o /dev/null: the program's -o is not
  // the stage's output.
  PipelineSpec spec = parsePipeline(
      "[pipeline]\nname = \"x\"\n[params]\ncmd = \"\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\n"
      "args = [\"--valgrind\", \"--\", \"{*cmd}\", \"-o\"]\n[[stage]]\nname = \"c\"\nrun = \"d\"\n",
      "p.toml");
  auto commands = resolve(spec, bindParams(spec, {"cmd=/usr/bin/vpxenc -o /dev/null -optimize"}));
  EXPECT_EQ(commands[0].args, (std::vector<std::string>{"--valgrind", "--", "/usr/bin/vpxenc", "-o",
                                                        "/dev/null", "-optimize", "-o"}));
  PipelineSpec spliced = parsePipeline(
      "[pipeline]\nname = \"x\"\n[params]\ncmd = \"\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\n"
      "args = [\"{*cmd}\"]\n[[stage]]\nname = \"c\"\nrun = \"d\"\n",
      "p.toml");
  EXPECT_NO_THROW(resolve(spliced, bindParams(spliced, {"cmd=-- prog -o x"})));
  EXPECT_THROW(resolve(spliced, bindParams(spliced, {"cmd=-o x -- prog"})), PipelineError);
}

TEST(PipelineFile, missingFilesAreReported) {
  try {
    loadPipeline("/nonexistent/p.toml");
    FAIL() << "no error";
  } catch (const PipelineError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/p.toml: cannot open: No such file or directory");
  }
}

TEST(PipelineFile, theShippedPipelinesParseAndResolveWithTheirDefaults) {
  // Required parameters (a model file, a command) get a value; everything
  // else resolves with its default, and every parameter has help text.
  const std::string dir = testing::repoRoot() + "/pipelines";
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    PipelineSpec spec = loadPipeline(entry.path().string());
    std::vector<std::string> required;
    for (const auto& p : spec.params) {
      EXPECT_FALSE(p.help.empty()) << p.name;
      if (!p.defaultValue) required.push_back(p.name + "=value-of-" + p.name);
    }
    if (!required.empty()) {
      EXPECT_THROW(bindParams(spec, {}), std::exception);
    }
    auto commands = resolve(spec, bindParams(spec, required));
    EXPECT_GE(commands.size(), 1u);
    ++count;
  }
  EXPECT_GE(count, 6);
}

// Any text survives escaping its braces and substituting.
RC_GTEST_PROP(PipelineFile, escapedTextSubstitutesToItself, (const std::string& text)) {
  std::string escaped;
  for (char c : text) {
    escaped += c;
    if (c == '{' || c == '}') escaped += c;
  }
  RC_ASSERT(substitute(escaped, {}) == text);
}

// Parameters substitute wherever they sit in a template.
RC_GTEST_PROP(PipelineFile, parametersSubstituteAnywhere,
              (const std::string& before, const std::string& value, const std::string& after)) {
  auto plain = [](const std::string& s) { return s.find_first_of("{}") == std::string::npos; };
  RC_PRE(plain(before) && plain(after));
  RC_ASSERT(substitute(before + "{p}" + after + "{p}", {{"p", value}}) ==
            before + value + after + value);
}

// An unknown key anywhere in any stage is reported at its own line.
RC_GTEST_PROP(PipelineFile, unknownKeysAreReportedAtTheirLine, ()) {
  const int stages = *rc::gen::inRange(1, 6);
  const int bad = *rc::gen::inRange(0, stages);
  const std::string key = "k" + std::to_string(*rc::gen::inRange(0, 1000));
  std::string text = "[pipeline]\nname = \"x\"\n";
  uint32_t line = 3, badLine = 0;
  for (int i = 0; i < stages; ++i) {
    text += "\n[[stage]]\nname = \"s" + std::to_string(i) + "\"\n";
    line += 3;  // blank, [[stage]], name
    const int keys = *rc::gen::inRange(0, 3);
    for (int k = 0; k <= keys; ++k) {
      if (i == bad && k == keys / 2) {
        text += key + " = \"?\"\n";
        badLine = line++;
      }
      if (k == 0) {
        text += "run = \"r\"\n";
        ++line;
      }
      if (k == 1) {
        text += "args = [\"a\"]\n";
        ++line;
      }
    }
  }
  try {
    parsePipeline(text, "p.toml");
    RC_FAIL("no error");
  } catch (const PipelineError& e) {
    RC_ASSERT(e.pos().line == badLine);
    RC_ASSERT(e.message().find("unknown key '" + key + "'") != std::string::npos);
  }
}

TEST(PipelineFile, faultKeysAreReadAndChecked) {
  PipelineSpec spec = parsePipeline(
      "[pipeline]\nname = \"x\"\nstall_timeout = 2.5\nmemory_limit = \"1G\"\n"
      "[[stage]]\nname = \"a\"\nrun = \"b\"\nmemory_limit = 1048576\n"
      "[[stage]]\nname = \"c\"\nrun = \"d\"\n",
      "p.toml");
  EXPECT_EQ(spec.stallTimeout, 2.5);
  EXPECT_EQ(spec.memoryLimit, 1ull << 30);
  EXPECT_EQ(spec.stages[0].memoryLimit, 1ull << 20);
  EXPECT_FALSE(spec.stages[1].memoryLimit);
  std::string e = errorOf("[pipeline]\nname = \"x\"\nstall_timeout = \"soon\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\n");
  EXPECT_EQ(e.rfind("p.toml:3:17: [pipeline] stall_timeout must be a number of seconds", 0), 0u) << e;
  e = errorOf("[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\nmemory_limit = \"lots\"\n");
  EXPECT_EQ(e.rfind("p.toml:6:16: stage 'a': memory_limit must be a size", 0), 0u) << e;
}

TEST(PipelineFile, memorySizesParse) {
  EXPECT_EQ(parseMemorySize("512M"), 512ull << 20);
  EXPECT_EQ(parseMemorySize("4G"), 4ull << 30);
  EXPECT_EQ(parseMemorySize("1.5k"), 1536u);
  EXPECT_EQ(parseMemorySize("100"), 100u);
  EXPECT_FALSE(parseMemorySize(""));
  EXPECT_FALSE(parseMemorySize("0"));
  EXPECT_FALSE(parseMemorySize("-1G"));
  EXPECT_FALSE(parseMemorySize("G"));
  EXPECT_FALSE(parseMemorySize("12X"));
}

}  // namespace
}  // namespace pv::launch
