// In-memory form of a stream header (schema/stream.capnp: StreamHeader).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pv {

enum class PayloadKind { kInstructions, kFeatures, kWindows, kRepresentations, kProgram };

struct StreamHeader {
  PayloadKind payload = PayloadKind::kInstructions;
  std::string source;                // what the data came from
  std::vector<std::string> stages;   // producing chain, oldest first
  std::vector<std::string> featureColumns;
  std::vector<uint16_t> pendingColumns;  // still to be filled (NaN)
  bool hasAddresses = false;
  std::vector<std::string> targetNames;  // labelled streams only
  std::vector<std::string> uarchNames;
  std::string modelId;
  uint32_t window = 0;             // windows: W (instructions per window)
  uint32_t chunk = 0;              // windows: K (instructions per chunk)
  uint32_t representationDim = 0;  // representations / program
  bool perInstruction = false;     // representations: a row per instruction

  bool labelled() const { return !uarchNames.empty(); }
  // Floats of label data per record.
  size_t labelWidth() const { return uarchNames.size() * targetNames.size(); }
  bool operator==(const StreamHeader&) const = default;
};

}  // namespace pv
