// In-memory form of a stream header (schema/stream.capnp: StreamHeader).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pv {

enum class PayloadKind { kInstructions, kFeatures };

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

  bool labelled() const { return !uarchNames.empty(); }
  // Floats of label data per record.
  size_t labelWidth() const { return uarchNames.size() * targetNames.size(); }
  bool operator==(const StreamHeader&) const = default;
};

}  // namespace pv
