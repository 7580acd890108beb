// On-disk layout of one spool record. A record is a 32-byte header followed
// by its payload (line protocol text); all integers are little-endian:
//
//   offset  size  field
//        0     4  magic "OISR" (catches a misaligned or zeroed region fast)
//        4     4  payload length in bytes
//        8     4  points (lines) in the payload
//       12     8  seq
//       20     8  accepted_unix_ns
//       28     4  CRC-32 of the payload, continued over bytes 0..27
//
// The CRC-32 is the standard one (ISO-HDLC: polynomial 0x04C11DB7,
// reflected, initial and final XOR 0xFFFFFFFF; check value 0xCBF43926),
// the one zlib's crc32 computes. Segments were written with zlib's up to
// issue 10 and with libdeflate_crc32 since: the values are bit-identical,
// so there is no format version, and every segment ever written reads back
// (tests/spool/testdata holds one written by the zlib code).
//
// The CRC runs over the payload first so an appender can checksum its
// (large) payload before taking the spool lock, and finish with the few
// header bytes (seq, time) that are only known under the lock.
#ifndef OCS_INFLUX_SERVICE_SPOOL_RECORD_FORMAT_H_
#define OCS_INFLUX_SERVICE_SPOOL_RECORD_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace ocs_influx::spool {

inline constexpr size_t kRecordHeaderSize = 32;
inline constexpr uint32_t kRecordMagic = 0x5253494f;  // "OISR" as LE bytes
// A bound well under the 32-bit length field, so a corrupt length is
// recognised without trying to read gigabytes.
inline constexpr uint32_t kMaxPayloadBytes = 256u << 20;

struct RecordHeader {
  uint32_t payload_len = 0;
  uint32_t points = 0;
  uint64_t seq = 0;
  int64_t accepted_unix_ns = 0;
  uint32_t crc = 0;
};

// One record as read back. `lines` is a view into the spool's memory
// (see Spool::Read for how long it stays valid).
struct Record {
  uint64_t seq;                // strictly increasing, never reused, survives restarts
  uint32_t points;
  int64_t accepted_unix_ns;    // wall clock when appended
  absl::string_view lines;
};

uint32_t PayloadCrc(absl::string_view payload);

// Writes the header into out[0..kRecordHeaderSize), computing the CRC from
// `payload_crc` (PayloadCrc of the payload) and the other header fields.
void EncodeRecordHeader(const RecordHeader& header, uint32_t payload_crc, char* out);

// False if the magic is wrong or the length is impossible; the CRC is checked
// separately, once the payload is at hand.
bool DecodeRecordHeader(const char* in, RecordHeader* header);

// True if `header_bytes` (as on disk) and `payload` carry a matching CRC.
bool RecordCrcMatches(const char* header_bytes, absl::string_view payload);

}  // namespace ocs_influx::spool

#endif  // OCS_INFLUX_SERVICE_SPOOL_RECORD_FORMAT_H_
