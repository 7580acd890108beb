#include "service/influx/gzip.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ocs_influx::influx {

void GzipCompressor::Free::operator()(libdeflate_compressor* c) const {
  libdeflate_free_compressor(c);
}

absl::StatusOr<GzipCompressor> GzipCompressor::Create(int level) {
  if (level < 1 || level > 9) {
    return absl::InvalidArgumentError(absl::StrCat("gzip level ", level, " not in 1..9"));
  }
  GzipCompressor g;
  if (level == 1) {
    g.igzip_work_.resize(ISAL_DEF_LVL1_DEFAULT);
    return g;
  }
  g.compressor_.reset(libdeflate_alloc_compressor(level));
  if (g.compressor_ == nullptr) {
    return absl::ResourceExhaustedError("libdeflate_alloc_compressor failed");
  }
  return g;
}

absl::StatusOr<std::string_view> GzipCompressor::Compress(std::string_view in) {
  if (compressor_ == nullptr) return CompressIgzip(in);
  // The bound is what libdeflate promises never to exceed, so one call
  // always completes; 0 back would be its bug, not the data's.
  const size_t bound = libdeflate_gzip_compress_bound(compressor_.get(), in.size());
  if (out_.size() < bound) out_.resize(bound);
  const size_t n = libdeflate_gzip_compress(compressor_.get(), in.data(), in.size(),
                                            out_.data(), out_.size());
  if (n == 0) return absl::InternalError("libdeflate_gzip_compress: no room in its own bound");
  return std::string_view(out_.data(), n);
}

absl::StatusOr<std::string_view> GzipCompressor::CompressIgzip(std::string_view in) {
  // ISA-L's stateless call needs room for all of its output: at worst the
  // input in stored blocks (5 bytes of header per 64 KiB), its gzip header
  // and trailer, and a block header; 1/1024 more plus 1 KiB covers it.
  const size_t bound = in.size() + in.size() / 1024 + 1024;
  if (bound > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("gzip: a body of ", in.size(), " bytes is over 4 GiB"));
  }
  if (out_.size() < bound) out_.resize(bound);
  isal_zstream stream;
  isal_deflate_stateless_init(&stream);
  stream.level = 1;
  stream.level_buf = igzip_work_.data();
  stream.level_buf_size = static_cast<uint32_t>(igzip_work_.size());
  stream.gzip_flag = IGZIP_GZIP;
  stream.end_of_stream = 1;
  stream.flush = NO_FLUSH;
  // ISA-L reads through a non-const pointer but does not write the input.
  stream.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uint32_t>(in.size());
  stream.next_out = reinterpret_cast<uint8_t*>(out_.data());
  stream.avail_out = static_cast<uint32_t>(out_.size());
  if (int rc = isal_deflate_stateless(&stream); rc != COMP_OK) {
    return absl::InternalError(absl::StrCat("isal_deflate_stateless failed (", rc, ")"));
  }
  return std::string_view(out_.data(), stream.total_out);
}

}  // namespace ocs_influx::influx
