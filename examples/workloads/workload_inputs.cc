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
