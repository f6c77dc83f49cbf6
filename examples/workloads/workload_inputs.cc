// Generators of the suite's inputs. Integer arithmetic only, one seeded
// splitmix64 per file, so that adding or changing one file leaves the others'
// bytes alone.
#include "examples/workloads/workload_inputs.h"

#include <xxhash.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include "stages/core/splitmix64.h"

namespace pv::workloads {
namespace {

// A fixed vocabulary; the order matters (skewed draws favour early words).
constexpr std::array<std::string_view, 200> kWords = {
    "the",     "of",       "and",      "to",      "in",       "a",         "is",
    "that",    "for",      "it",       "as",      "was",      "with",      "be",
    "by",      "on",       "not",      "he",      "this",     "are",       "or",
    "his",     "from",     "at",       "which",   "but",      "have",      "an",
    "had",     "they",     "you",      "were",    "their",    "one",       "all",
    "we",      "can",      "her",      "has",     "there",    "been",      "if",
    "more",    "when",     "will",     "would",   "who",      "so",        "no",
    "time",    "people",   "water",    "river",   "city",     "machine",   "memory",
    "cache",   "branch",   "program",  "number",  "system",   "process",   "value",
    "model",   "table",    "stone",    "garden",  "window",   "mountain",  "letter",
    "engine",  "signal",   "market",   "village", "harbour",  "library",   "teacher",
    "student", "question", "answer",   "history", "morning",  "evening",   "winter",
    "summer",  "forest",   "island",   "bridge",  "station",  "kitchen",   "doctor",
    "farmer",  "soldier",  "painter",  "writer",  "reader",   "journey",   "company",
    "country", "family",   "friend",   "animal",  "horse",    "bird",      "fish",
    "tree",    "flower",   "field",    "road",    "house",    "door",      "wall",
    "light",   "shadow",   "fire",     "wind",    "rain",     "snow",      "cloud",
    "sun",     "moon",     "star",     "sea",     "ship",     "train",     "clock",
    "paper",   "book",     "word",     "line",    "page",     "story",     "song",
    "music",   "voice",    "colour",   "green",   "blue",     "red",       "white",
    "black",   "small",    "large",    "old",     "new",      "long",      "short",
    "early",   "late",     "quiet",    "loud",    "warm",     "cold",      "bright",
    "dark",    "quick",    "slow",     "simple",  "careful",  "strange",   "gentle",
    "walked",  "opened",   "closed",   "carried", "followed", "remembered", "noticed",
    "counted", "measured", "built",    "found",   "lost",     "wrote",     "read",
    "said",    "thought",  "looked",   "turned",  "began",    "finished",  "waited",
    "under",   "over",     "between",  "behind",  "before",   "after",     "through",
    "against", "without",  "around",   "above",   "below",    "across",    "towards",
    "quickly", "slowly",   "again",    "always"};

// Skewed towards the start of the list, like word frequencies in text.
std::string_view drawWord(SplitMix64& rng) {
  uint64_t a = rng.below(kWords.size()), b = rng.below(kWords.size());
  return kWords[a * b / kWords.size()];
}

// Sentences of 4-18 words, lines wrapped at 72 columns, paragraphs of 3-9
// sentences, until at least `targetBytes`.
std::string corpus(uint64_t seed, size_t targetBytes) {
  SplitMix64 rng(seed);
  std::string out;
  out.reserve(targetBytes + 4096);
  size_t column = 0;
  auto put = [&](std::string_view word) {
    if (column > 0 && column + 1 + word.size() > 72) {
      out += '\n';
      column = 0;
    } else if (column > 0) {
      out += ' ';
      column++;
    }
    out += word;
    column += word.size();
  };
  while (out.size() < targetBytes) {
    uint64_t sentences = 3 + rng.below(7);
    for (uint64_t s = 0; s < sentences; s++) {
      uint64_t words = 4 + rng.below(15);
      for (uint64_t w = 0; w < words; w++) {
        std::string word(drawWord(rng));
        if (w == 0) word[0] = static_cast<char>(word[0] - 'a' + 'A');
        if (rng.below(40) == 0) word += std::to_string(rng.below(2000));
        if (w + 1 == words) {
          static constexpr char kEnd[] = {'.', '.', '.', '!', '?'};
          word += kEnd[rng.below(sizeof kEnd)];
        } else if (rng.below(12) == 0) {
          word += ',';
        }
        put(word);
      }
    }
    out += "\n\n";
    column = 0;
  }
  return out;
}

// Lines "WORD WORD NUMBER KEY" for sort.
std::string records(uint64_t seed, size_t lines) {
  SplitMix64 rng(seed);
  std::string out;
  char buf[96];
  for (size_t i = 0; i < lines; i++) {
    std::string_view a = drawWord(rng), b = drawWord(rng);
    // One draw per statement: the order of function arguments is unspecified.
    unsigned long long number = rng.below(1000000);
    unsigned long long key = rng.next();
    int n = std::snprintf(buf, sizeof buf, " %llu %016llx\n", number, key);
    out.append(a).append(" ").append(b).append(buf, static_cast<size_t>(n));
  }
  return out;
}

// A 4:2:0 video: a panning gradient, moving textured boxes and a little
// noise, so that motion search and residual coding both have work.
std::string video(uint64_t seed, int width, int height, int frames) {
  SplitMix64 rng(seed);
  std::string out = "YUV4MPEG2 W" + std::to_string(width) + " H" + std::to_string(height) +
                    " F25:1 Ip A1:1 C420jpeg\n";
  struct Box {
    int x, y, w, h, dx, dy, shade;
  };
  std::vector<Box> boxes;
  for (int i = 0; i < 6; i++)
    boxes.push_back({static_cast<int>(rng.below(width)), static_cast<int>(rng.below(height)),
                     16 + static_cast<int>(rng.below(40)), 16 + static_cast<int>(rng.below(40)),
                     static_cast<int>(rng.below(7)) - 3, static_cast<int>(rng.below(5)) - 2,
                     static_cast<int>(rng.below(256))});
  for (int f = 0; f < frames; f++) {
    out += "FRAME\n";
    std::string luma(static_cast<size_t>(width) * height, '\0');
    for (int y = 0; y < height; y++)
      for (int x = 0; x < width; x++) {
        int v = ((x + 2 * f) * 255 / (width + 2 * frames) + y * 64 / height) & 255;
        v += static_cast<int>(rng.below(9)) - 4;
        luma[static_cast<size_t>(y) * width + x] = static_cast<char>(v < 0 ? 0 : v > 255 ? 255 : v);
      }
    for (auto& b : boxes) {
      int bx = ((b.x + b.dx * f) % width + width) % width;
      int by = ((b.y + b.dy * f) % height + height) % height;
      for (int y = by; y < by + b.h && y < height; y++)
        for (int x = bx; x < bx + b.w && x < width; x++)
          luma[static_cast<size_t>(y) * width + x] =
              static_cast<char>((b.shade + ((x - bx) ^ (y - by)) * 3) & 255);
    }
    out += luma;
    int cw = width / 2, ch = height / 2;
    for (int plane = 0; plane < 2; plane++)
      for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++)
          out += static_cast<char>(128 + (plane ? 1 : -1) * ((x + y + f) % 64 - 32));
  }
  return out;
}

// An RGB picture: gradients, discs, a checkerboard and noise.
std::string image(uint64_t seed, int width, int height) {
  SplitMix64 rng(seed);
  std::string out = "P6\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n";
  struct Disc {
    int x, y, r, rgb[3];
  };
  std::vector<Disc> discs;
  for (int i = 0; i < 12; i++)
    discs.push_back({static_cast<int>(rng.below(width)), static_cast<int>(rng.below(height)),
                     10 + static_cast<int>(rng.below(80)),
                     {static_cast<int>(rng.below(256)), static_cast<int>(rng.below(256)),
                      static_cast<int>(rng.below(256))}});
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) {
      int rgb[3] = {x * 255 / width, y * 255 / height, ((x / 32 + y / 32) % 2) * 160};
      for (auto& d : discs) {
        int dx = x - d.x, dy = y - d.y;
        if (dx * dx + dy * dy <= d.r * d.r)
          for (int c = 0; c < 3; c++) rgb[c] = (rgb[c] + 3 * d.rgb[c]) / 4;
      }
      for (int c = 0; c < 3; c++) {
        int v = rgb[c] + static_cast<int>(rng.below(17)) - 8;
        out += static_cast<char>(v < 0 ? 0 : v > 255 ? 255 : v);
      }
    }
  return out;
}

// A shop database: inserts in one transaction, an index, joins, grouping,
// updates, deletes and a recursive query.
std::string sqlScript(uint64_t seed, int customers, int orders) {
  SplitMix64 rng(seed);
  std::string out =
      "CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, city TEXT, age INTEGER);\n"
      "CREATE TABLE purchase(id INTEGER PRIMARY KEY, customer INTEGER, item TEXT,\n"
      "                      quantity INTEGER, price INTEGER);\n"
      "BEGIN;\n";
  char buf[256];
  for (int i = 1; i <= customers; i++) {
    std::string name(drawWord(rng));
    name += "_";
    name += drawWord(rng);
    std::string city(kWords[50 + rng.below(40)]);
    int age = 18 + static_cast<int>(rng.below(70));
    std::snprintf(buf, sizeof buf, "INSERT INTO customer VALUES(%d, '%s', '%s', %d);\n", i,
                  name.c_str(), city.c_str(), age);
    out += buf;
  }
  for (int i = 1; i <= orders; i++) {
    int customer = 1 + static_cast<int>(rng.below(customers));
    std::string item(kWords[50 + rng.below(120)]);
    int quantity = 1 + static_cast<int>(rng.below(10));
    int price = 1 + static_cast<int>(rng.below(1000));
    std::snprintf(buf, sizeof buf, "INSERT INTO purchase VALUES(%d, %d, '%s', %d, %d);\n", i,
                  customer, item.c_str(), quantity, price);
    out += buf;
  }
  out +=
      "COMMIT;\n"
      "CREATE INDEX purchase_customer ON purchase(customer);\n"
      "SELECT city, count(*), avg(age) FROM customer GROUP BY city ORDER BY 2 DESC, 1;\n"
      "SELECT c.name, sum(p.quantity * p.price) AS total FROM customer c\n"
      "  JOIN purchase p ON p.customer = c.id GROUP BY c.id ORDER BY total DESC, c.id LIMIT 20;\n"
      "SELECT item, count(*), max(price) FROM purchase WHERE price > 500 GROUP BY item ORDER BY 1;\n"
      "SELECT count(*) FROM purchase WHERE item LIKE '%an%';\n"
      "UPDATE purchase SET price = price + 1 WHERE quantity > 5;\n"
      "DELETE FROM purchase WHERE id % 7 = 0;\n"
      "SELECT c.city, sum(p.price) FROM customer c, purchase p\n"
      "  WHERE p.customer = c.id AND c.age BETWEEN 30 AND 40 GROUP BY c.city ORDER BY 2 DESC;\n"
      "SELECT name FROM customer WHERE id IN\n"
      "  (SELECT customer FROM purchase GROUP BY customer HAVING count(*) > 12) ORDER BY name;\n"
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)\n"
      "  SELECT sum(i * i % 97) FROM n;\n"
      "CREATE TABLE ranked AS SELECT customer, sum(price) AS s FROM purchase GROUP BY customer;\n"
      "SELECT count(*), min(s), max(s) FROM ranked;\n";
  return out;
}

// A 16-bit stereo 44.1 kHz WAV: a melody of quarter-second notes with
// decaying envelopes over a chord that changes every two seconds, plus a
// little noise, so that the audio codecs see tonal and noisy content.
// Integer only: phase accumulators and a parabolic sine.
std::string audio(uint64_t seed, int seconds) {
  SplitMix64 rng(seed);
  const uint32_t rate = 44100, frames = rate * static_cast<uint32_t>(seconds);
  const uint32_t dataBytes = frames * 4;
  std::string out;
  auto put16 = [&](uint32_t v) {
    out += static_cast<char>(v & 255);
    out += static_cast<char>((v >> 8) & 255);
  };
  auto put32 = [&](uint32_t v) {
    put16(v & 0xffff);
    put16(v >> 16);
  };
  out += "RIFF";
  put32(36 + dataBytes);
  out += "WAVEfmt ";
  put32(16);
  put16(1);  // PCM
  put16(2);
  put32(rate);
  put32(rate * 4);
  put16(4);
  put16(16);
  out += "data";
  put32(dataBytes);
  // Equal-tempered C4..B4 in centihertz.
  static constexpr uint64_t kPitch[12] = {26163, 27718, 29366, 31113, 32963, 34923,
                                          36999, 39200, 41530, 44000, 46616, 49388};
  static constexpr int kPentatonic[5] = {0, 2, 4, 7, 9};
  auto increment = [&](int semitone) {  // phase step per sample, 2^32 = one turn
    int octave = semitone / 12;
    uint64_t f = kPitch[semitone % 12] << octave;
    return static_cast<uint32_t>((f << 32) / (100ull * rate) / 2);  // an octave below the table
  };
  auto sine = [](uint32_t phase) {  // about +-16384
    int64_t x = static_cast<int64_t>(phase >> 16) - 32768;
    return static_cast<int>(x * (32768 - (x < 0 ? -x : x)) >> 14);
  };
  const uint32_t note = rate / 4, bar = rate * 2;
  uint32_t melodyPhase = 0, melodyStep = 0, chordPhase[3] = {0, 0, 0}, chordStep[3] = {0, 0, 0};
  for (uint32_t i = 0; i < frames; i++) {
    if (i % bar == 0) {
      int root = static_cast<int>(rng.below(12));
      chordStep[0] = increment(root);
      chordStep[1] = increment(root + 4);
      chordStep[2] = increment(root + 7);
    }
    if (i % note == 0)
      melodyStep = increment(12 + kPentatonic[rng.below(5)] + 12 * static_cast<int>(rng.below(2)));
    melodyPhase += melodyStep;
    int chord = 0;
    for (int c = 0; c < 3; c++) {
      chordPhase[c] += chordStep[c];
      chord += sine(chordPhase[c]) / 6;
    }
    int envelope = static_cast<int>(note - i % note);  // linear decay over each note
    int melody = static_cast<int>(static_cast<int64_t>(sine(melodyPhase)) * envelope / note);
    int noise = static_cast<int>(rng.below(513)) - 256;
    int left = chord + melody / 2 + noise, right = chord + melody * 3 / 10 - noise;
    put16(static_cast<uint32_t>(static_cast<uint16_t>(static_cast<int16_t>(left))));
    put16(static_cast<uint32_t>(static_cast<uint16_t>(static_cast<int16_t>(right))));
  }
  return out;
}

// A random 3-SAT formula in DIMACS CNF, near the satisfiability threshold
// (4.26 clauses per variable), where solvers search longest.
std::string cnf(uint64_t seed, int variables, int clauses) {
  SplitMix64 rng(seed);
  std::string out = "p cnf " + std::to_string(variables) + " " + std::to_string(clauses) + "\n";
  for (int c = 0; c < clauses; c++) {
    int lits[3];
    for (int l = 0; l < 3; l++) {
      bool fresh;
      do {  // three distinct variables
        lits[l] = 1 + static_cast<int>(rng.below(static_cast<uint64_t>(variables)));
        fresh = true;
        for (int p = 0; p < l; p++) fresh = fresh && lits[p] != lits[l];
      } while (!fresh);
    }
    for (int l = 0; l < 3; l++) out += std::to_string(rng.below(2) ? lits[l] : -lits[l]) + " ";
    out += "0\n";
  }
  return out;
}

}  // namespace

std::vector<InputFile> generateInputs() {
  std::vector<InputFile> files;
  files.push_back({"corpus.txt", "English-like text, 2 MiB, from a fixed 200-word list",
                   corpus(1, 2u << 20)});
  files.push_back({"records.txt", "150,000 lines 'WORD WORD NUMBER HEXKEY' for sort",
                   records(2, 150000)});
  files.push_back({"video.y4m", "176x144 4:2:0 video, 40 frames (YUV4MPEG2)",
                   video(3, 176, 144, 40)});
  files.push_back({"image.ppm", "512x384 RGB picture (binary PPM)", image(4, 512, 384)});
  files.push_back({"shop.sql", "SQL script: 3,000 customers, 30,000 purchases, queries",
                   sqlScript(5, 3000, 30000)});
  files.push_back({"music.wav", "10 s of 16-bit stereo 44.1 kHz audio: melody, chords, noise",
                   audio(6, 10)});
  files.push_back({"sat.cnf", "random 3-SAT near the threshold: 250 variables, 1065 clauses",
                   cnf(8, 250, 1065)});
  return files;
}

void writeInputs(const std::string& dir, const std::vector<InputFile>& files) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create folder: " + ec.message());
  for (const auto& f : files) {
    fs::path final = fs::path(dir) / f.name;
    fs::path tmp = final;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(f.bytes.data(), static_cast<std::streamsize>(f.bytes.size()));
      out.close();
      if (!out) throw std::runtime_error(tmp.string() + ": cannot write: " + std::strerror(errno));
    }
    fs::rename(tmp, final, ec);
    if (ec) throw std::runtime_error(final.string() + ": cannot rename into place: " + ec.message());
  }
}

std::string hashHex(const std::string& bytes) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
  return buf;
}

}  // namespace pv::workloads
