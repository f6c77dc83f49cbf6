// Conversion between the in-memory types (stages/core) and the wire schema
// (schema/stream.capnp). Decoders validate what they read against the
// header (sizes of blobs and side columns, register limits) and throw
// pv::StageError describing the inconsistency; `where` names the input and
// position for those messages.
#pragma once

#include <string>

#include "schema/stream.capnp.h"
#include "stages/core/feature_batch.h"
#include "stages/core/instruction.h"
#include "stages/core/representation.h"
#include "stages/core/stage_error.h"
#include "stages/core/stream_header.h"

namespace pv::runtime {

struct Where {
  std::string input;
  std::string position;
};

void encodeHeader(const StreamHeader& header, wire::StreamHeader::Builder out);
StreamHeader decodeHeader(wire::StreamHeader::Reader in, const Where& where);

void encodeBatch(const InstructionBatch& batch, wire::InstructionBatch::Builder out);
void decodeBatch(wire::InstructionBatch::Reader in, const StreamHeader& header,
                 const Where& where, InstructionBatch& out);

void encodeBatch(const FeatureBatch& batch, wire::FeatureBatch::Builder out);
void decodeBatch(wire::FeatureBatch::Reader in, const StreamHeader& header,
                 const Where& where, FeatureBatch& out);

void encodeBatch(const RepresentationBatch& batch, wire::RepresentationBatch::Builder out);
void decodeBatch(wire::RepresentationBatch::Reader in, const StreamHeader& header,
                 const Where& where, RepresentationBatch& out);

// The program message alone: its intervals are messages of their own
// (StreamWriter writes them first); decoding accepts the legacy form with
// intervals inside.
void encodeBatch(const ProgramRepresentation& program, wire::ProgramRepresentation::Builder out);
void decodeBatch(wire::ProgramRepresentation::Reader in, const StreamHeader& header,
                 const Where& where, ProgramRepresentation& out);
void encodeBatch(const IntervalRepresentation& interval, wire::Interval::Builder out);
void decodeBatch(wire::Interval::Reader in, const StreamHeader& header, const Where& where,
                 IntervalRepresentation& out);

}  // namespace pv::runtime
