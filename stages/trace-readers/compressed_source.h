// Byte sources for compressed trace files: xz (liblzma), gzip (zlib) and
// zstd (the runtime's), chosen by the data's magic number, so a file named
// wrongly still reads; a name ending in .xz, .gz or .zst whose data is not
// that format is an error (a cut download, a wrong file). Concatenated
// streams/members are read one after another, like xzcat and zcat do.
//
// A compressed input that ends inside a stream or is corrupt throws
// pv::StageError naming the input and the compressed byte position.
#pragma once

#include <memory>
#include <string>

#include "stages/runtime/byte_source.h"

namespace pv::trace {

// Opens "-" or a path and decompresses xz, gzip or zstd transparently.
std::unique_ptr<runtime::ByteSource> openCompressedSource(const std::string& spec);

// Wraps an already open source the same way (for tests on bytes).
std::unique_ptr<runtime::ByteSource> decompressing(std::unique_ptr<runtime::ByteSource> raw,
                                                    const std::string& nameForSuffix);

}  // namespace pv::trace
