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
