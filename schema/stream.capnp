# perfvec stream schema: the one message type every stage reads and writes.
#
# A stream is a sequence of `Message`s:
#
#     header  (batch)*  (end | error)
#
# * The header comes first, exactly once, and describes every batch after it.
# * Batches carry thousands of records each (default 4096) so that framing
#   costs nothing per record. A stream carries one payload kind only.
# * `end` closes a complete stream; a reader that reaches the end of the
#   transport without having seen `end` must treat the stream as truncated.
# * `error` replaces `end` when an upstream stage failed: downstream stages
#   forward it unchanged and exit non-zero, so the first failure reaches the
#   end of the chain.
#
# Framing: on pipes and files each Message uses Cap'n Proto's standard stream
# framing (segment table + segments; capnp::writeMessage), optionally inside a
# zstd frame (files ending in .zst). On ZeroMQ sockets each Message is one
# ZeroMQ message holding the flat (single segment table) encoding.
#
# Units: ticks are gem5 ticks (picoseconds); labels are in 0.1 ns.

@0x97fa9772abfdebe6;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pv::wire");

const schemaVersion :UInt32 = 1;

struct Message {
  union {
    header @0 :StreamHeader;
    instructions @1 :InstructionBatch;
    features @2 :FeatureBatch;
    end @3 :EndOfStream;
    error @4 :StreamError;
    representations @5 :RepresentationBatch;
    program @6 :ProgramRepresentation;
    interval @7 :Interval;
  }
}

enum PayloadKind {
  instructions @0;     # InstructionBatch messages
  features @1;         # FeatureBatch messages
  windows @2;          # FeatureBatch messages with context rows (pv-window)
  representations @3;  # RepresentationBatch messages (pv-encode)
  program @4;          # ProgramRepresentation messages (pv-aggregate)
}

struct StreamHeader {
  schemaVersion @0 :UInt32;      # = schemaVersion; readers reject others
  payload @1 :PayloadKind;
  source @2 :Text;               # what the data came from (files, program)
  stages @3 :List(Text);         # producing chain, oldest first
  featureColumns @4 :List(Text); # names of the feature columns (features only)
  pendingColumns @5 :List(UInt16);
  # Columns a later stage still has to fill (NaN until then), e.g. the
  # reuse distances that pv-reuse-distance computes.
  hasAddresses @6 :Bool;
  # FeatureBatch carries pc / dataAddr / access side columns (needed by
  # pv-reuse-distance; dropped once it has run).
  targetNames @7 :List(Text);    # label targets, e.g. "fetch", "commit", ...
  uarchNames @8 :List(Text);     # one label block per microarchitecture
  modelId @9 :Text;              # content hash of the model, where relevant
  window @10 :UInt32;            # windows: instructions per window W (self included)
  chunk @11 :UInt32;             # windows: instructions per chunk K
  representationDim @12 :UInt32; # representations / program: width of R
  perInstruction @13 :Bool;      # representations: one row per instruction
                                 # (otherwise one partial sum per chunk)
}

struct RegId {
  regClass @0 :UInt8;
  index @1 :UInt16;
}

# The timing fields of a gem5 record (training labels, absent at inference).
struct Timing {
  fetchTick @0 :UInt64;          # absolute
  robOutLatency @1 :Int64;       # the rest relative to fetchTick
  retireLatency @2 :Int64;
  decodeLatency @3 :Int64;
  renameLatency @4 :Int64;
  dispatchLatency @5 :Int64;
  issueLatency @6 :Int64;
  hasStoreTiming @7 :Bool;       # store-queue instructions only
  storeLatency @8 :Int64;
  sqOutLatency @9 :Int64;
}

# One committed instruction: every field of the PerfVec gem5 record
# (numbers in comments are the field numbers of the text format).
struct Instruction {
  isFault @0 :Bool;              # 1
  sqIndex @1 :Int32;             # 2 (-1: not a store-queue instruction)
  timing @2 :Timing;             # 3-9 (+ store fields); null when absent
  opClass @3 :UInt16;            # 10, gem5 OpClass number
  flags @4 :UInt16;              # 11-23 as bits 0-12, see stages/core/instruction.h
  effAddrValid @5 :Bool;         # 24
  dataAddr @6 :UInt64;           # 25
  accessSize @7 :UInt32;         # 26
  dataDepth @8 :Int8;            # 27 (-1 none, 0 L1, 1 L2, 2 memory)
  dataWalkDepth0 @9 :Int8;       # 28-30
  dataWalkDepth1 @10 :Int8;
  dataWalkDepth2 @11 :Int8;
  dataWalkAddr0 @12 :UInt64;     # 31-33
  dataWalkAddr1 @13 :UInt64;
  dataWalkAddr2 @14 :UInt64;
  dataWriteback0 @15 :UInt32;    # 34-36
  dataWriteback1 @16 :UInt32;
  dataWriteback2 @17 :UInt32;
  pc @18 :UInt64;                # 37
  branching @19 :Bool;           # 38 (taken)
  mispredicted @20 :Bool;        # 39
  fetchDepth @21 :Int8;          # 40
  instWalkDepth0 @22 :Int8;      # 41-43
  instWalkDepth1 @23 :Int8;
  instWalkDepth2 @24 :Int8;
  instWalkAddr0 @25 :UInt64;     # 44-46
  instWalkAddr1 @26 :UInt64;
  instWalkAddr2 @27 :UInt64;
  instWriteback0 @28 :UInt32;    # 47-48
  instWriteback1 @29 :UInt32;
  srcRegs @30 :List(RegId);      # 49 + pairs (at most 8)
  dstRegs @31 :List(RegId);      # 50 + pairs (at most 6)
}

struct InstructionBatch {
  firstIndex @0 :UInt64;         # stream position of the first instruction
  instructions @1 :List(Instruction);
  labels @2 :Data;
  # Labelled streams only: little-endian float32, row-major
  # [instruction][uarch][target] (header.uarchNames x header.targetNames).
}

struct FeatureBatch {
  firstIndex @0 :UInt64;         # stream position of the first row
  rowCount @1 :UInt32;
  columnCount @2 :UInt32;
  values @3 :Data;               # little-endian float32, row-major rowCount x columnCount
  pc @4 :List(UInt64);           # side columns, present iff header.hasAddresses
  dataAddr @5 :List(UInt64);
  access @6 :Data;               # one AccessKind byte per row (stages/core/feature_batch.h)
  labels @7 :Data;               # as in InstructionBatch
  contextRows @8 :UInt32;
  # windows only: the first contextRows rows of `values` are context (the
  # W-1 rows before the batch's first own row; zeros at stream start) and
  # are not records of this batch: rowCount counts own rows only, so values
  # holds (contextRows + rowCount) x columnCount floats.
}

# Learned representations of instructions: per-chunk partial sums of R_i
# (default) or every R_i (header.perInstruction).
struct RepresentationBatch {
  firstIndex @0 :UInt64;         # first instruction covered
  rowCount @1 :UInt32;
  dim @2 :UInt32;                # = header.representationDim
  values @3 :Data;               # little-endian float32, rowCount x dim
  instructions @4 :List(UInt32); # instructions summed into each row
}

# A program's representation R_p = sum of R_i (pv-aggregate), accumulated in
# double precision. A program stream is: header, the interval sums one
# `interval` message each as they close (pv-aggregate --interval; they cover
# the program in order from instruction 0), then one `program` message, then
# the end (records = instructions). Intervals stream so that their number
# is unbounded; writers before 0.14 put them in `intervals` instead, which
# readers still accept (one or the other, never both).
struct ProgramRepresentation {
  instructions @0 :UInt64;       # instructions summed
  dim @1 :UInt32;
  sum @2 :Data;                  # little-endian float64 x dim
  intervals @3 :List(Interval);  # legacy form; written empty
}

struct Interval {
  firstIndex @0 :UInt64;
  instructions @1 :UInt64;
  sum @2 :Data;                  # little-endian float64 x dim
}

struct EndOfStream {
  records @0 :UInt64;            # records (instructions / rows) in the stream
  checksum @1 :UInt64;
  # XXH3-64 over the segment words of every message before this one (the
  # header and all batches), in order: a reader recomputes it over what it
  # received, so a damaged, spliced or partly lost stream never passes as
  # complete even when each message still parses.
}

struct StreamError {
  stage @0 :Text;                # the stage that failed, e.g. "pv-trace-tap"
  input @1 :Text;                # the input it was reading
  position @2 :Text;             # where in it, e.g. "line 1234"
  message @3 :Text;              # what went wrong
}
