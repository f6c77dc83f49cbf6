# perfvec model file (.pvm): one self-describing file holding everything a
# prediction needs: the encoder's architecture and weights, the feature
# layout and its normalisation statistics, the target names, and the table
# of microarchitectures with their representations M_u.
#
# Framing: one Cap'n Proto message (standard framing), optionally zstd.
#
# Identity: contentHash = "xxh3-128:" + hex of XXH3-128 over the canonical
# Cap'n Proto encoding of `body`. Every program representation records the
# hash of the encoder that made it; pv-dot-predict refuses to combine an R_p
# with M_u of a model whose hash differs. (The uarch table is part of the
# body, so a re-tuned table gives a new hash; representations are tied to the
# encoder hash, see encoderHash.)

@0xec02f575f2ee808c;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pv::wire");

const modelFormatVersion :UInt32 = 1;

struct ModelFile {
  formatVersion @0 :UInt32;
  contentHash @1 :Text;     # of body (everything)
  encoderHash @2 :Text;     # of the encoder part only: architecture, features, weights
  body @3 :ModelBody;
}

struct ModelBody {
  name @0 :Text;
  description @1 :Text;
  architecture @2 :Architecture;
  featureColumns @3 :List(Text);
  featureMean @4 :List(Float32);   # per feature column
  featureStd @5 :List(Float32);    # per feature column (0 is used as 1)
  targetNames @6 :List(Text);
  uarchs @7 :List(Microarchitecture);
  tensors @8 :List(Tensor);        # encoder weights by name
  training @9 :TrainingRecord;     # how the model was trained (pv-train)
  uarchModel @10 :UarchParameterModel;
  # Parametric microarchitectures (pv-tune --parametric): an MLP from a
  # configuration's parameters to M_u, for parameter points never simulated.
  nonNegativeUarchs @11 :Bool;
  # Every M_u is >= 0 and the parametric model's output is clamped at 0:
  # with R_i >= 0 (the encoder ends in ReLU) no predicted count or time can
  # be negative. Models written before 0.15 read false (M_u unconstrained).
}

# What a model was trained on: the sampled microarchitecture set and the
# programs, so that pv-eval can tell seen from unseen.
struct TrainingRecord {
  programs @0 :List(Text);         # training programs (stream sources or workload names)
  heldOutPrograms @1 :List(Text);  # programs named as held out (never trained on)
  uarchSource @2 :Text;            # how the configurations were made, e.g. "pv-uarch sample --seed 7 --count 74"
  heldOutUarchs @3 :List(Text);    # configurations kept out of training
  instructions @4 :UInt64;         # training records (rows)
  steps @5 :UInt64;                # optimiser steps
  epochs @6 :Float64;
  validationLoss @7 :Float64;      # last validation loss (scaled targets)
  targetWeights @8 :List(Float32); # loss weight per target
  command @9 :Text;                # the pv-train command line
  workers @10 :UInt32;
}

# M_u = W_L relu(... relu(W_1 x + b_1) ...) + b_L with x the configuration's
# parameters normalised by inputMean / inputStd; the output is reshaped to
# targets x hidden like Microarchitecture.representation.
struct UarchParameterModel {
  inputs @0 :List(Text);           # one name per input: "core.rob", "branch.predictor=tage", ...
  inputMean @1 :List(Float32);
  inputStd @2 :List(Float32);
  layers @3 :List(Tensor);         # weight [out, in] and bias [out], in order
  clockScaled @4 :List(Text);
  # Targets whose rows the MLP predicts in cycles (M_u x clock in GHz): the
  # time-like targets, whose M_u scales with the clock period; the
  # representation is the output divided by the configuration's clock.
}

struct Architecture {
  kind @0 :Text;        # "lstm" or "gru"
  features @1 :UInt32;  # input width F
  hidden @2 :UInt32;    # representation width H
  layers @3 :UInt32;
  window @4 :UInt32;    # W: instructions per window (self included)
  chunk @5 :UInt32;     # K the model was trained with in chunked mode (0: exact)
}

struct Microarchitecture {
  name @0 :Text;
  params @1 :List(Param);          # e.g. l1d_kb = "32", core = "o3"
  clockGhz @2 :Float64;            # 0 when unknown
  representation @3 :List(Float32);
  # M_u: targetNames x hidden, row-major (row t is M_u for target t).
  origin @4 :Text;
  # "trained" (a row of the trained table), "tuned" (pv-tune, encoder
  # frozen), "parametric" (from uarchModel); empty in older files.
}

struct Param {
  key @0 :Text;
  value @1 :Text;
}

struct Tensor {
  name @0 :Text;
  shape @1 :List(UInt32);
  values @2 :Data;                 # little-endian float32, row-major
}
