// Random microarchitectures for training ("microarchitecture sampling"):
// a space at least as broad as PerfVec's (../shared/reference/perfvec-facts.md)
//
//   clock       1, 2, 2.5, 3.33 or 5 GHz
//   DRAM        17 kinds (DDR3/4/5, LPDDR2/3/5, GDDR5, HBM, WideIO), 1, 2 or 4 channels
//   L1I, L1D    2-4 ways x 4-16 KB per way (8-64 KB), latency 1-4, MSHRs 1-32
//   L2          4-32 ways x 64-256 KB per way, latency 8-23, MSHRs 4-64,
//               inclusive or exclusive (40% each) or neither
//   L3          in about a third: 1-32 MB, 8-16 ways, latency 25-50, any inclusion
//   prefetchers none / next-line / stride per level, degree 1-4
//   in-order    (a third) width 1-3, stage delays 1-3, small buffers
//   out-of-order widths 2-8, ROB 32-384, issue queue 16-128, LQ/SQ 16-96
//   both        functional units and op latencies randomised, predictor
//               bimodal / gshare / TAGE with random sizes, BTB, penalty 6-20
//
// Deterministic: configuration `index` of `seed` is the same whatever the
// count drawn, on any platform (own generator and integer ranges).
#pragma once

#include <cstdint>

#include "stages/model-lib/uarch_config.h"

namespace pv::uarch {

// Named "s<seed>-<index, 4 digits>".
UarchConfig sampleConfig(uint64_t seed, uint32_t index);

}  // namespace pv::uarch
