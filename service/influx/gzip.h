// gzip'ed /write bodies (Content-Encoding: gzip, RFC 1952), compressed by
// libdeflate: 2-3x zlib's speed at the same level and ratio on line protocol
// (docs/benchmarks.md, "gzip"). One compressor and one output buffer per
// client: after the first batches the buffer has its final size and a write
// allocates nothing for gzip. Used by one thread at a time.
#ifndef OCS_INFLUX_SERVICE_INFLUX_GZIP_H_
#define OCS_INFLUX_SERVICE_INFLUX_GZIP_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

struct libdeflate_compressor;

namespace ocs_influx::influx {

class GzipCompressor {
 public:
  // `level` as zlib's: 1 (fastest) .. 9 (smallest); libdeflate's own levels
  // 1-9 aim at the same trade-off (its 10-12 are not offered).
  static absl::StatusOr<GzipCompressor> Create(int level);

  // The gzip member of `in`; the view stays valid until the next call.
  absl::StatusOr<std::string_view> Compress(std::string_view in);

 private:
  struct Free {
    void operator()(libdeflate_compressor* c) const;
  };
  explicit GzipCompressor(libdeflate_compressor* c) : compressor_(c) {}

  std::unique_ptr<libdeflate_compressor, Free> compressor_;
  std::vector<char> out_;
};

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_GZIP_H_
