#include "service/spool/record_format.h"

#include <libdeflate.h>

namespace ocs_influx::spool {
namespace {

constexpr size_t kCrcOffset = 28;

// libdeflate's CRC-32 is the standard one (zlib's crc32, the one segments
// were written with before), computed with carry-less multiplication: the
// same values at 2-3 times the speed, so the format is unchanged.
uint32_t CrcUpdate(uint32_t crc, const char* data, size_t size) {
  return libdeflate_crc32(crc, data, size);
}

void Put32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void Put64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t Get32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t Get64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

uint32_t PayloadCrc(absl::string_view payload) {
  return CrcUpdate(0, payload.data(), payload.size());
}

void EncodeRecordHeader(const RecordHeader& header, uint32_t payload_crc, char* out) {
  Put32(out + 0, kRecordMagic);
  Put32(out + 4, header.payload_len);
  Put32(out + 8, header.points);
  Put64(out + 12, header.seq);
  Put64(out + 20, static_cast<uint64_t>(header.accepted_unix_ns));
  Put32(out + kCrcOffset, CrcUpdate(payload_crc, out, kCrcOffset));
}

bool DecodeRecordHeader(const char* in, RecordHeader* header) {
  if (Get32(in) != kRecordMagic) return false;
  header->payload_len = Get32(in + 4);
  header->points = Get32(in + 8);
  header->seq = Get64(in + 12);
  header->accepted_unix_ns = static_cast<int64_t>(Get64(in + 20));
  header->crc = Get32(in + kCrcOffset);
  return header->payload_len <= kMaxPayloadBytes;
}

bool RecordCrcMatches(const char* header_bytes, absl::string_view payload) {
  return CrcUpdate(PayloadCrc(payload), header_bytes, kCrcOffset) == Get32(header_bytes + kCrcOffset);
}

}  // namespace ocs_influx::spool
