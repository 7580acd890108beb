// gzip'ed /write bodies (Content-Encoding: gzip, RFC 1952). Level 1, the
// client's, is Intel ISA-L's igzip: 2.3x libdeflate's level 1 on a batch
// of line protocol for a 2.5 % larger body; levels 2-9 are libdeflate's,
// which aim at zlib's trade-offs (docs/benchmarks.md, "gzip"). One compressor, its work
// buffer and one output buffer per client: after the first batches the
// buffers have their final size and a write allocates nothing for gzip.
// Used by one thread at a time.
#ifndef OCS_INFLUX_SERVICE_INFLUX_GZIP_H_
#define OCS_INFLUX_SERVICE_INFLUX_GZIP_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

struct libdeflate_compressor;

namespace ocs_influx::influx {

class GzipCompressor {
 public:
  // `level` as zlib's: 1 (fastest) .. 9 (smallest).
  static absl::StatusOr<GzipCompressor> Create(int level);

  // The gzip member of `in`; the view stays valid until the next call.
  absl::StatusOr<std::string_view> Compress(std::string_view in);

 private:
  struct Free {
    void operator()(libdeflate_compressor* c) const;
  };
  GzipCompressor() = default;

  absl::StatusOr<std::string_view> CompressIgzip(std::string_view in);

  std::unique_ptr<libdeflate_compressor, Free> compressor_;  // levels 2-9
  std::vector<uint8_t> igzip_work_;                           // level 1
  std::vector<char> out_;
};

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_GZIP_H_
