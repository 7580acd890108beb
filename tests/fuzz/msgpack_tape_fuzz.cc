// libFuzzer target: a WebSocket message from the router, read the way the
// adapter's WAMP transport reads EVENTs without autobahn-cpp (ReadWampEvent)
// and the way the adapter reads a publication (MsgpackTape), compared with
// msgpack-c, which read them before:
//   - the tape reads exactly what is one complete, well-formed object
//     (UnpackChecked), and every value as msgpack-c's object holds it
//     (kind, value, size, keys, readability);
//   - the publication reader gives the same feed, or the same refusal, over
//     the tape as over msgpack-c's object;
//   - ReadWampEvent takes exactly the messages autobahn-cpp handles as an
//     EVENT ([36, id, id, dict, list?, dict?], ids positive integers), and
//     its argument's bytes are the first argument msgpack-c reads.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <msgpack.hpp>

#include "ocs_adapter/msgpack_codec.h"
#include "ocs_adapter/msgpack_publication.h"
#include "ocs_adapter/msgpack_tape.h"
#include "ocs_adapter/msgpack_view.h"
#include "proto/publisher.pb.h"
#include "service/core/publication_reader.h"

namespace {

namespace oa = ocs_influx::ocs_adapter;
using ocs_influx::core::ValueKind;

// Deeper values are compared by the reader's results only: the comparison
// recurses, and a 64 KiB input nests 64 Ki arrays.
constexpr int kCompareDepth = 100;

void Check(bool ok) {
  if (!ok) abort();
}

void CompareValues(oa::MsgpackTapeView t, oa::MsgpackView m, int depth) {
  Check(t.kind() == m.kind());
  Check(oa::MsgpackTapeView::Readable(t, depth) == oa::MsgpackView::Readable(m, depth));
  if (depth >= kCompareDepth) return;
  switch (t.kind()) {
    case ValueKind::kBool: Check(t.bool_value() == m.bool_value()); break;
    case ValueKind::kInt: Check(t.int_value() == m.int_value()); break;
    case ValueKind::kUint: Check(t.uint_value() == m.uint_value()); break;
    case ValueKind::kDouble: {
      const double a = t.double_value(), b = m.double_value();
      Check(std::memcmp(&a, &b, sizeof(a)) == 0);
      break;
    }
    case ValueKind::kString: Check(t.string_value() == m.string_value()); break;
    case ValueKind::kArray:
      Check(t.size() == m.size());
      for (uint32_t i = 0; i < t.size(); ++i) CompareValues(t.item(i), m.item(i), depth + 1);
      break;
    case ValueKind::kMap:
      Check(t.size() == m.size());
      Check(oa::MsgpackTapeView::KeysReadable(t) == oa::MsgpackView::KeysReadable(m));
      for (uint32_t i = 0; i < t.size(); ++i) {
        Check(t.key(i) == m.key(i));
        CompareValues(t.value(i), m.value(i), depth + 1);
      }
      break;
    default: break;
  }
}

bool Positive(const msgpack::object& o) { return o.type == msgpack::type::POSITIVE_INTEGER; }

// autobahn-cpp's EVENT (wamp_session::process_event, for a subscription it has).
bool AutobahnEvent(const msgpack::object& o) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size < 4 || o.via.array.size > 6) {
    return false;
  }
  const msgpack::object* f = o.via.array.ptr;
  if (!Positive(f[0]) || f[0].via.u64 != 36 || !Positive(f[1]) || !Positive(f[2]) ||
      f[3].type != msgpack::type::MAP) {
    return false;
  }
  if (o.via.array.size > 4 && f[4].type != msgpack::type::ARRAY) return false;
  if (o.via.array.size > 5 && f[5].type != msgpack::type::MAP) return false;
  return true;
}

std::string Pack(const msgpack::object& o) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, o);
  return std::string(buffer.data(), buffer.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  oa::MsgpackTape tape;
  const bool read = tape.Read(bytes);
  // The adapter reuses one tape for every message: one that has read every
  // input before this one (refused ones too) must read it alike.
  static oa::MsgpackTape reused;
  Check(reused.Read(bytes) == read);
  absl::StatusOr<msgpack::object_handle> unpacked = oa::UnpackChecked(bytes);
  Check(read == unpacked.ok());
  oa::WampEvent event;
  const bool is_event = oa::ReadWampEvent(bytes, &event);
  if (!read) {
    Check(!is_event);
    return 0;
  }
  const msgpack::object& top = unpacked->get();
  CompareValues(tape.root(), oa::MsgpackView(top), 0);
  CompareValues(reused.root(), oa::MsgpackView(top), 0);

  // The publication reader over both.
  ocs::influx::v1::OcsFeed over_tape, over_object;
  const absl::Status a = ocs_influx::core::ReadPublication(tape.root(), &over_tape);
  const absl::Status b = oa::ReadPublicationInPlace(top, &over_object);
  Check(a == b);
  if (a.ok()) Check(over_tape.SerializeAsString() == over_object.SerializeAsString());
  over_tape.Clear();
  over_object.Clear();
  const absl::Status c = oa::PublicationToFeedMsgpack(bytes, &tape, &over_tape);
  const absl::Status d = oa::PublicationToFeedMsgpack(top, &over_object);
  Check(c == d);
  Check(over_tape.SerializeAsString() == over_object.SerializeAsString());

  // The envelope.
  Check(is_event == AutobahnEvent(top));
  if (is_event) {
    const msgpack::object* f = top.via.array.ptr;
    Check(event.subscription == f[1].via.u64);
    const bool has_arg0 = top.via.array.size > 4 && f[4].via.array.size > 0;
    Check(event.has_arg0 == has_arg0);
    if (has_arg0) {
      absl::StatusOr<msgpack::object_handle> arg0 = oa::UnpackChecked(event.arg0);
      Check(arg0.ok());
      Check(Pack(arg0->get()) == Pack(f[4].via.array.ptr[0]));
    }
  }
  tape.Trim();
  return 0;
}
