#include "stages/runtime/version.h"

#include "schema/checkpoint.capnp.h"
#include "schema/model.capnp.h"
#include "schema/stream.capnp.h"

#ifndef PV_VERSION
#error "PV_VERSION is defined by the build from the file VERSION"
#endif

namespace pv::runtime {

const char* projectVersion() { return PV_VERSION; }

std::string versionText(const std::string& program) {
  return program + " (perfvec) " + PV_VERSION + "\n" +
         "stream schema " + std::to_string(wire::SCHEMA_VERSION) + ", model format " +
         std::to_string(wire::MODEL_FORMAT_VERSION) + ", training checkpoint format " +
         std::to_string(wire::CHECKPOINT_FORMAT_VERSION) + "\n";
}

}  // namespace pv::runtime
