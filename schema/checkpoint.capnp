# pv-train checkpoint (.pvckpt): everything a killed training run needs to go
# on exactly where it stopped: the step, the parameters and the optimiser's
# moments. The chunk order of every epoch follows from the seed, so no
# generator state is stored. Written atomically (temporary file + rename).
@0xb3a1c1d6e8f40a27;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pv::wire");

using Model = import "model.capnp";

const checkpointFormatVersion :UInt32 = 1;

struct TrainingCheckpoint {
  formatVersion @0 :UInt32;
  runKey @1 :Text;
  # XXH3-64 of what must not change for a resume to continue the same run:
  # architecture, targets, microarchitectures, data (programs and row counts),
  # seed, batch size, schedule, worker count.
  step @2 :UInt64;                 # optimiser steps done
  tensors @3 :List(Model.Tensor);  # "param/NAME", "adam_m/NAME", "adam_v/NAME"
  validationLoss @4 :Float64;      # the last one measured (NaN: none yet)
  elapsedSeconds @5 :Float64;      # training time before this checkpoint
}
