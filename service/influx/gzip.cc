#include "service/influx/gzip.h"

#include <libdeflate.h>

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
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  if (c == nullptr) return absl::ResourceExhaustedError("libdeflate_alloc_compressor failed");
  return GzipCompressor(c);
}

absl::StatusOr<std::string_view> GzipCompressor::Compress(std::string_view in) {
  // The bound is what libdeflate promises never to exceed, so one call
  // always completes; 0 back would be its bug, not the data's.
  const size_t bound = libdeflate_gzip_compress_bound(compressor_.get(), in.size());
  if (out_.size() < bound) out_.resize(bound);
  const size_t n = libdeflate_gzip_compress(compressor_.get(), in.data(), in.size(),
                                            out_.data(), out_.size());
  if (n == 0) return absl::InternalError("libdeflate_gzip_compress: no room in its own bound");
  return std::string_view(out_.data(), n);
}

}  // namespace ocs_influx::influx
