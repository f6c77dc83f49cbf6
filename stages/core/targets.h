// The 16 PerfVec training targets of an instruction, in the order labelled
// streams carry them (StreamHeader::targetNames): six time increments in
// 0.1 ns, then nine cache-level indicators and the mispredict flag. The
// gem5 label builder (pv-trace-tap --labels) and pv-uarch both write them.
#pragma once

#include <string>
#include <vector>

namespace pv {

enum Target : int {
  kTargetFetch = 0,
  kTargetCommit,
  kTargetStoreCommit,
  kTargetDecode,
  kTargetRename,
  kTargetDispatch,
  kTargetL1Fetch,
  kTargetL1Load,
  kTargetL1Store,
  kTargetL2Fetch,
  kTargetL2Load,
  kTargetL2Store,
  kTargetMemFetch,
  kTargetMemLoad,
  kTargetMemStore,
  kTargetMispredict,
  kTargetCount,
};

// Names of the targets, in order.
inline std::vector<std::string> targetNames() {
  return {"fetch",    "commit",   "store_commit", "decode",  "rename",
          "dispatch", "l1_fetch", "l1_load",      "l1_store", "l2_fetch",
          "l2_load",  "l2_store", "mem_fetch",    "mem_load", "mem_store",
          "mispredict"};
}

}  // namespace pv
