#include "ocs_adapter/dead_letters.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fd/fd.h"
#include "common/log/log.h"
#include "common/utf8/utf8.h"
#include "ocs_adapter/msgpack_codec.h"
#include "service/core/float_format.h"

namespace ocs_influx::ocs_adapter {
namespace {

namespace v1 = ocs::influx::v1;

// JSON text with a byte budget: once spent, further values are left out and
// `truncated` is set. Containers are always closed, so the text stays JSON.
class BoundedJson {
 public:
  BoundedJson(size_t budget, size_t max_string) : budget_(budget), max_string_(max_string) {}

  bool full() const { return out_.size() >= budget_; }
  bool truncated() const { return truncated_; }
  std::string& text() { return out_; }

  // False (and marks truncation) when the budget is spent: the caller
  // skips the value.
  bool Room() {
    if (!full()) return true;
    truncated_ = true;
    return false;
  }
  void Raw(absl::string_view s) { out_.append(s.data(), s.size()); }
  void Str(absl::string_view s) {
    if (s.size() > max_string_) {
      s = s.substr(0, max_string_);
      truncated_ = true;
    }
    const bool valid_utf8 = utf8::IsValid(s);
    out_.push_back('"');
    for (char c : s) {
      const unsigned char u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_.push_back('\\');
        out_.push_back(c);
      } else if (u < 0x20 || (u >= 0x80 && !valid_utf8)) {
        // Bytes of invalid UTF-8 as \u00XX: the line stays valid JSON.
        absl::StrAppend(&out_, "\\u00", absl::Hex(u, absl::kZeroPad2));
      } else {
        out_.push_back(c);
      }
    }
    out_.push_back('"');
  }
  void Double(double d) {
    if (!std::isfinite(d)) {
      Raw("null");
      return;
    }
    core::AppendDouble(d, &out_);
  }

 private:
  std::string out_;
  const size_t budget_;
  const size_t max_string_;
  bool truncated_ = false;
};

void Render(const msgpack::object& o, int depth, BoundedJson* j) {
  using msgpack::type::object_type;
  if (depth > 64) {
    j->Raw("null");
    return;
  }
  switch (o.type) {
    case msgpack::type::NIL: j->Raw("null"); return;
    case msgpack::type::BOOLEAN: j->Raw(o.via.boolean ? "true" : "false"); return;
    case msgpack::type::POSITIVE_INTEGER: j->Raw(absl::StrCat(o.via.u64)); return;
    case msgpack::type::NEGATIVE_INTEGER: j->Raw(absl::StrCat(o.via.i64)); return;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: j->Double(o.via.f64); return;
    case msgpack::type::STR: j->Str(absl::string_view(o.via.str.ptr, o.via.str.size)); return;
    case msgpack::type::BIN:
      j->Str(absl::StrCat("<binary, ", o.via.bin.size, " bytes>"));
      return;
    case msgpack::type::EXT:
      j->Str(absl::StrCat("<msgpack extension ", static_cast<int>(o.via.ext.type()), ">"));
      return;
    case msgpack::type::ARRAY:
      j->Raw("[");
      for (uint32_t i = 0; i < o.via.array.size && j->Room(); ++i) {
        if (i > 0) j->Raw(",");
        Render(o.via.array.ptr[i], depth + 1, j);
      }
      j->Raw("]");
      return;
    case msgpack::type::MAP:
      j->Raw("{");
      for (uint32_t i = 0; i < o.via.map.size && j->Room(); ++i) {
        if (i > 0) j->Raw(",");
        const msgpack::object& key = o.via.map.ptr[i].key;
        if (key.type == msgpack::type::STR) {
          j->Str(absl::string_view(key.via.str.ptr, key.via.str.size));
        } else {
          // JSON keys are strings: a non-string key is shown by its value.
          BoundedJson k(1024, 256);
          Render(key, depth + 1, &k);
          j->Str(k.text());
        }
        j->Raw(":");
        Render(o.via.map.ptr[i].val, depth + 1, j);
      }
      j->Raw("}");
      return;
  }
  j->Raw("null");
}

template <typename Values, typename F>
void RenderList(const Values& values, BoundedJson* j, F each) {
  j->Raw("[");
  bool first = true;
  for (const auto& v : values) {
    if (!j->Room()) break;
    if (!first) j->Raw(",");
    first = false;
    each(v);
  }
  j->Raw("]");
}

void RenderField(const v1::FieldValue& v, BoundedJson* j) {
  switch (v.value_case()) {
    case v1::FieldValue::kDoubleValue: j->Double(v.double_value()); return;
    case v1::FieldValue::kIntValue: j->Raw(absl::StrCat(v.int_value())); return;
    case v1::FieldValue::kUintValue: j->Raw(absl::StrCat(v.uint_value())); return;
    case v1::FieldValue::kBoolValue: j->Raw(v.bool_value() ? "true" : "false"); return;
    case v1::FieldValue::kStringValue: j->Str(v.string_value()); return;
    default: j->Raw("null"); return;
  }
}

// The feed in the shape OCS published it: [message, feed]; the message.
void RenderMessage(const v1::OcsFeed& feed, BoundedJson* j) {
  j->Raw("{");
  for (int b = 0; b < feed.blocks_size() && j->Room(); ++b) {
    const v1::Block& block = feed.blocks(b);
    if (b > 0) j->Raw(",");
    j->Str(block.block_name());
    j->Raw(":{\"block_name\":");
    j->Str(block.block_name());
    j->Raw(",\"timestamps\":");
    RenderList(block.timestamps(), j, [j](double t) { j->Double(t); });
    j->Raw(",\"data\":{");
    for (int c = 0; c < block.columns_size() && j->Room(); ++c) {
      const v1::Column& column = block.columns(c);
      if (c > 0) j->Raw(",");
      j->Str(column.name());
      j->Raw(":");
      switch (column.values_case()) {
        case v1::Column::kDoubles:
          RenderList(column.doubles().values(), j, [j](double v) { j->Double(v); });
          break;
        case v1::Column::kInts:
          RenderList(column.ints().values(), j,
                     [j](int64_t v) { j->Raw(absl::StrCat(v)); });
          break;
        case v1::Column::kBools:
          RenderList(column.bools().values(), j,
                     [j](bool v) { j->Raw(v ? "true" : "false"); });
          break;
        case v1::Column::kStrings:
          RenderList(column.strings().values(), j, [j](const std::string& v) { j->Str(v); });
          break;
        case v1::Column::kMixed:
          RenderList(column.mixed().values(), j,
                     [j](const v1::FieldValue& v) { RenderField(v, j); });
          break;
        default:
          j->Raw("[]");
      }
    }
    j->Raw("}}");
  }
  j->Raw("}");
}

// The encoded feed of [message, feed].
void RenderHeader(const v1::OcsFeed& feed, BoundedJson* j) {
  j->Raw("{\"agent_address\":");
  j->Str(feed.agent_address());
  j->Raw(",\"feed_name\":");
  j->Str(feed.feed_name());
  j->Raw(",\"record\":");
  j->Raw(feed.record() ? "true" : "false");
  j->Raw(",\"session_id\":");
  j->Str(feed.session_id());
  j->Raw(",\"agent_class\":");
  j->Str(feed.agent_class());
  j->Raw("}");
}

}  // namespace

DeadLetters::DeadLetters(DeadLetterOptions options, AdapterCounters* counters)
    : options_(std::move(options)), counters_(counters) {}

bool DeadLetters::Count(Refusal reason, absl::string_view detail) {
  counters_->publications_refused[static_cast<int>(reason)].fetch_add(1);
  absl::MutexLock lock(&mu_);
  ++unlogged_;
  const absl::Time now = absl::Now();
  if (now - last_log_ >= absl::Seconds(10)) {
    LOG_WARNING("adapter: refused %d publication(s) since the last report; this one (%s): %s%s",
                unlogged_, RefusalName(reason), std::string(detail.substr(0, 300)),
                options_.path.empty() ? "" : absl::StrCat("; dead letters in ", options_.path));
    last_log_ = now;
    unlogged_ = 0;
  }
  if (options_.path.empty()) return false;
  if (open_failed_ || file_bytes_ >= options_.max_file_bytes) {
    counters_->dead_letters_not_written.fetch_add(1);
    return false;
  }
  return true;
}

void DeadLetters::Write(Refusal reason, absl::string_view detail,
                        const std::string& publication, bool truncated) {
  std::string line = "{\"time\":";
  BoundedJson head(4096, 1024);
  head.Double(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  head.Raw(",\"reason\":");
  head.Str(RefusalName(reason));
  head.Raw(",\"detail\":");
  head.Str(detail);
  absl::StrAppend(&line, head.text(), ",\"truncated\":", truncated ? "true" : "false",
                  ",\"publication\":", publication, "}\n");
  absl::MutexLock lock(&mu_);
  if (!fd_.valid() && !open_failed_) {
    // Private and never through a link: the records hold what peers sent.
    absl::StatusOr<fd::UniqueFd> file =
        fd::Open(options_.path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600);
    struct stat st;
    if (file.ok() && ::fstat(file->get(), &st) != 0) {
      file = fd::ErrnoStatus("fstat", options_.path, errno);
    }
    if (!file.ok()) {
      LOG_ERROR("adapter: cannot open the dead-letter file: %s; refused publications "
                "are counted only", file.status().message());
      open_failed_ = true;
    } else {
      file_bytes_ = static_cast<uint64_t>(st.st_size);
      fd_ = *std::move(file);
    }
  }
  if (!fd_.valid() || file_bytes_ + line.size() > options_.max_file_bytes) {
    counters_->dead_letters_not_written.fetch_add(1);
    if (fd_.valid()) file_bytes_ = options_.max_file_bytes;  // full: count the rest
    return;
  }
  if (absl::Status s = fd::WriteAll(fd_.get(), options_.path, line); !s.ok()) {
    LOG_ERROR("adapter: writing the dead-letter file: %s", s.message());
    counters_->dead_letters_not_written.fetch_add(1);
  }
  // After a failed write an unknown part of the line is in the file: count
  // all of it, so the file's bound still holds.
  file_bytes_ += line.size();
}

void DeadLetters::Refuse(Refusal reason, absl::string_view detail,
                         const msgpack::object* publication) {
  if (!Count(reason, detail)) return;
  WritePublication(reason, detail, publication);
}

void DeadLetters::RefuseMsgpack(Refusal reason, absl::string_view detail,
                                absl::string_view publication) {
  if (!Count(reason, detail)) return;
  // Unpacked only for a record that is written.
  absl::StatusOr<msgpack::object_handle> unpacked = UnpackChecked(publication);
  // Not reached from the WAMP transport, which passes only checked bytes.
  if (!unpacked.ok()) return WritePublication(reason, detail, nullptr);
  WritePublication(reason, detail, &unpacked->get());
}

void DeadLetters::WritePublication(Refusal reason, absl::string_view detail,
                                   const msgpack::object* publication) {
  const bool pair = publication != nullptr && publication->type == msgpack::type::ARRAY &&
                    publication->via.array.size == 2;
  if (!pair) {
    BoundedJson j(options_.max_record_bytes, options_.max_string_bytes);
    if (publication == nullptr) {
      j.Raw("null");
    } else {
      Render(*publication, 0, &j);
    }
    Write(reason, detail, j.text(), j.truncated());
    return;
  }
  // [message, feed]: the feed (who published it) is written whole even when
  // the message's data fill the record's bound.
  BoundedJson header(options_.max_record_bytes / 4, options_.max_string_bytes);
  Render(publication->via.array.ptr[1], 0, &header);
  BoundedJson message(options_.max_record_bytes - std::min(options_.max_record_bytes,
                                                           header.text().size()),
                      options_.max_string_bytes);
  Render(publication->via.array.ptr[0], 0, &message);
  Write(reason, detail, absl::StrCat("[", message.text(), ",", header.text(), "]"),
        header.truncated() || message.truncated());
}

void DeadLetters::Refuse(Refusal reason, absl::string_view detail, const v1::OcsFeed& feed) {
  if (!Count(reason, detail)) return;
  BoundedJson header(options_.max_record_bytes / 4, options_.max_string_bytes);
  RenderHeader(feed, &header);
  BoundedJson message(options_.max_record_bytes - std::min(options_.max_record_bytes,
                                                           header.text().size()),
                      options_.max_string_bytes);
  RenderMessage(feed, &message);
  Write(reason, detail, absl::StrCat("[", message.text(), ",", header.text(), "]"),
        header.truncated() || message.truncated());
}

}  // namespace ocs_influx::ocs_adapter
