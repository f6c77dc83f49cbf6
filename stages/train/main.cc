// pv-train: labelled feature streams -> a trained model file. The flags;
// what they do is train_command.h.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <string>

#include "stages/model-lib/instruction_encoder.h"
#include "stages/runtime/stage.h"  // addCurveOptions
#include "stages/runtime/tool.h"
#include "stages/train/train_command.h"

int main(int argc, char** argv) {
  pv::encode::reexecWithoutForcedOpenBlasCore(argv);
  pv::train::TrainOptions o;
  bool noCheckpoint = false, noProgress = false;
  pv::runtime::Tool tool("pv-train",
      "pv-train: trains the instruction representation model and the table of microarchitecture representations "
      "M_u jointly on labelled feature streams (pv-dataset files, or pv-uarch / pv-trace-tap --labels | pv-feature "
      "| pv-reuse-distance; files, pipes, stdin or ZeroMQ, read as they come), and writes a model file. Batches are "
      "drawn from a bounded shuffle buffer and dealt to worker processes that sum their gradients with c10d Gloo.");
  CLI::App& app = tool.cli();
  app.add_option("inputs", o.inputs,
                 "Labelled feature streams: files, .zst, - (stdin), named pipes, ipc:// or tcp:// endpoints; "
                 "read as they come, several interleaved");
  app.add_option("--program", o.programs,
                 "Program name of an input stream, one per --program, in the inputs' order (default: a file's "
                 "base name; name a live stream with it)")
      ->allow_extra_args(false);
  app.add_option("--dataset", o.dataset, "A pv-dataset folder: its finished workloads of --split");
  app.add_option("--split", o.split, "With --dataset: train, validation, test or all")->capture_default_str()
      ->check(CLI::IsMember({"train", "validation", "test", "all"}));
  app.add_option("-o,--output", o.output, "The model file to write (.pvm)")->required();
  pv::runtime::addCurveOptions(app);
  app.add_option("--uarch-dir", o.uarchDir,
                 "Folder of the configurations (NAME.toml), recorded in the model (default: DATASET/uarchs)");
  app.add_option("--targets", o.targets, "Targets to train on, comma-separated (default: all in the stream)")->delimiter(',');
  app.add_option("--loss-weights", o.weights, "TARGET=WEIGHT,... (default 1 each)")->delimiter(',');
  app.add_option("--uarchs", o.uarchs, "Microarchitectures to train on (default: all in the stream)")->delimiter(',');
  app.add_option("--exclude-uarchs", o.excludeUarchs, "Microarchitectures held out (recorded as unseen)")->delimiter(',');
  app.add_option("--holdout-uarchs", o.holdoutUarchs, "Hold out the last N microarchitectures")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--max-rows", o.maxRows, "Use at most this many rows of each stream (its prefix)");
  app.add_option("--arch", o.arch, "lstm or gru")->capture_default_str()->check(CLI::IsMember({"lstm", "gru"}));
  app.add_option("--hidden", o.hidden, "Width H of R_i, R_p and M_u")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--layers", o.layers, "RNN layers")->capture_default_str()->check(CLI::Range(1, 16));
  app.add_option("-W,--window", o.window, "Instructions per window W (the instruction included)")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  app.add_option("-K,--chunk", o.chunk, "Instructions per chunk K (chunked model)")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  app.add_flag("--exact", o.exact, "Train an exact model (PerfVec: every R_i from a fresh window; K = 1)");
  app.add_option("-b,--batch", o.batch, "Chunks per step, all workers together")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  app.add_option("-e,--epochs", o.epochs, "Passes over the training chunks (files; a live stream is read once)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-steps", o.maxSteps, "Stop after this many steps (overrides --epochs)");
  app.add_option("--max-instructions", o.maxInstructions,
                 "Stop after about this many training instructions (steps of -b x -K rows; overrides --epochs)");
  app.add_option("--shuffle-buffer", o.shuffleBuffer,
                 "Chunks the batches are drawn from at random: a count, or a size (256MiB, 2GiB); the memory "
                 "pv-train's reading process holds")
      ->capture_default_str();
  app.add_option("--open-streams", o.openStreams, "Inputs read at once, interleaved message by message")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--lr,--learning-rate", o.schedule.learningRate, "Peak learning rate (Adam)")->capture_default_str();
  app.add_option("--final-lr", o.schedule.finalLearningRate, "Cosine decay ends at this fraction of --lr")
      ->capture_default_str();
  app.add_option("--warmup", o.schedule.warmupSteps, "Linear warm-up steps")->capture_default_str();
  app.add_option("--clip-norm", o.clipNorm, "Gradient norm limit (0: none)")->capture_default_str();
  app.add_option("--weight-decay", o.weightDecay, "Decoupled weight decay")->capture_default_str();
  app.add_option("--dropout", o.dropout,
                 "Dropout probability of training steps (0: off): on each RNN layer's outputs where they enter "
                 "the next layer, and on R_i where it meets M_u; none at validation or inference")
      ->capture_default_str()->check(CLI::Range(0.0, 0.9));
  app.add_option("--chunk-sum-weight", o.chunkSumWeight,
                 "Weight of a loss term on each chunk's summed error (K instructions of a program; 0: off): a bias "
                 "that adds up over a chunk, as over a program's time, costs more than errors that cancel")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--relative-loss", o.relativeLoss,
                 "Weigh every program's instructions on each microarchitecture by (its mean time there)^-P, "
                 "normalised to a mean weight of 1 (0: off; 2: every program by its relative error, as pv-eval "
                 "scores it); needs the commit target")
      ->capture_default_str()->check(CLI::Range(0.0, 4.0));
  app.add_option("--features", o.features,
                 "Feature columns to train on, in order: column names (log2(NAME): log2(1 + x) of column NAME, "
                 "made by the model wherever it reads features), or the groups perfvec (the 51), perfvec-log (the "
                 "51 with the four reuse distances as log2), locality (the 4 of pv-dataset --locality) and "
                 "dependency (the 4 of pv-dependency); default: every column of the streams")
      ->delimiter(',');
  app.add_flag("--signed-uarchs", o.signedUarchs,
               "Leave M_u unconstrained, as the original PerfVec (default: M_u >= 0, so that with R_i >= 0 no "
               "predicted time or count can be negative)");
  app.add_option("--validation-stream", o.validationStreams,
                 "A labelled stream of a validation program (repeatable): its first --validation-chunks chunks "
                 "are scored instead of chunks held out of the training streams (unless --validation is given)")
      ->allow_extra_args(false);
  app.add_option("--validation-split", o.validationSplit,
                 "With --dataset: the finished workloads of this split (validation) are the --validation-stream "
                 "inputs")
      ->check(CLI::IsMember({"train", "validation", "test"}));
  app.add_option("--validation-chunks", o.validationChunks,
                 "Held-out chunks scored (the first ones of the first pass)")->capture_default_str();
  app.add_option("--validate-every", o.validateEvery, "Steps between validations (0: at the end only)")
      ->capture_default_str();
  app.add_option("--validation", o.validationFraction, "Fraction of chunks kept for validation")
      ->capture_default_str()->check(CLI::Range(0.0, 0.9));
  app.add_option("--seed", o.seed, "Seed of the weights, the split and the shuffling")->capture_default_str();
  app.add_option("-j,--workers", o.workers, "Worker processes on this machine")->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--device", o.device, "cpu, cuda (local worker r on cuda:r; a rank under torchrun or srun on "
                 "cuda:LOCAL_RANK or cuda:SLURM_LOCALID) or cuda:N (worker r on cuda:N+r); CUDA needs a LibTorch "
                 "built with it (Debian's is CPU-only: exit 2)")
      ->capture_default_str();
  app.add_option("-t,--threads", o.threads, "LibTorch threads per worker")->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--rank", o.rank,
                 "This process's rank when workers run on several machines (default: torchrun's RANK, WORLD_SIZE, "
                 "MASTER_ADDR and MASTER_PORT when set, else a task of `srun -n N`'s SLURM_PROCID, "
                 "SLURM_STEP_NUM_TASKS and the step's first node)");
  app.add_option("--world", o.world, "Workers in all (with --rank and --master)");
  app.add_option("--master", o.master, "HOST:PORT where rank 0 serves the rendezvous (with --rank)");
  app.add_option("--checkpoint", o.checkpoint, "Checkpoint file (default: OUTPUT.ckpt); an existing one is resumed");
  app.add_option("--checkpoint-every", o.checkpointEvery, "Steps between checkpoints")->capture_default_str();
  app.add_option("--checkpoint-seconds", o.checkpointSeconds, "Seconds between checkpoints")
      ->capture_default_str();
  app.add_flag("--no-checkpoint", noCheckpoint, "Write no checkpoints");
  app.add_option("--name", o.name, "Model name (default: the output's base name)");
  app.add_option("--description", o.description, "Model description");
  app.add_flag("--progress", o.progress, "Print progress lines (default when stderr is a terminal)");
  app.add_flag("--no-progress", noProgress, "No progress lines");
  app.add_flag("-q,--quiet", o.quiet, "Only errors");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  for (int i = 0; i < argc; ++i) o.command += (i ? " " : "") + std::string(argv[i]);
  o.epochsGiven = tool.cli().count("--epochs") > 0;
  o.validationFractionGiven = tool.cli().count("--validation") > 0;
  if (o.checkpoint.empty() && !noCheckpoint) o.checkpoint = o.output + ".ckpt";
  if (noCheckpoint) o.checkpoint.clear();
  o.progress = !o.quiet && (o.progress || (!noProgress && ::isatty(2)));
  int status = 0;
  const int guarded = tool.guard([&] { status = pv::train::runTrain(o); });
  return guarded ? guarded : status;
}
