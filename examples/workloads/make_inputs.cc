// pv-workload-inputs: writes the workload suite's inputs into a folder
// (examples/workloads/README.md). The same bytes on every machine and run.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "examples/workloads/workload_inputs.h"
#include "stages/runtime/tool.h"

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-workload-inputs", "Writes the inputs of perfvec's workload suite (text corpus, sort records, y4m "
      "video, ppm image, SQL script) into a folder. The bytes follow from fixed seeds: "
      "identical on every machine and every run.");
  CLI::App& app = tool.cli();
  std::string dir;
  bool list = false;
  app.add_option("-o,--out", dir, "Folder to write the files to (created when missing)");
  app.add_flag("--list", list, "Print each file's name, size, XXH3-64 and description; write nothing");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  return tool.guard([&] {
    if (dir.empty() && !list) throw pv::runtime::UsageError("give -o DIR (or --list)");
    auto files = pv::workloads::generateInputs();
    if (!list) return pv::workloads::writeInputs(dir, files);
    for (const auto& f : files)
      std::printf("%-12s %9zu %s  %s\n", f.name.c_str(), f.bytes.size(), pv::workloads::hashHex(f.bytes).c_str(),
                  f.description.c_str());
  });
}
