#include "service/api/status_proto.h"

#include <string>

#include "google/protobuf/util/time_util.h"
#include "service/core/drop_counts.h"
#include "service/config/version.h"

namespace ocs_influx::server {
namespace {

namespace v1 = ocs::influx::v1;
using google::protobuf::util::TimeUtil;

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  *out = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  *out = TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
}

v1::RecordingState ToProto(RecordingState s) {
  switch (s) {
    case RecordingState::kIdle: return v1::IDLE;
    case RecordingState::kStarting: return v1::STARTING;
    case RecordingState::kRunning: return v1::RUNNING;
    case RecordingState::kStopping: return v1::STOPPING;
    case RecordingState::kDone: return v1::DONE;
  }
  return v1::RECORDING_STATE_UNSPECIFIED;
}

}  // namespace

void ToProto(const RecordingSnapshot& s, v1::RecordingStatus* out) {
  out->set_state(ToProto(s.state));
  out->set_op_code(static_cast<int>(s.op_code));
  out->set_degraded(s.degraded);
  if (s.success.has_value()) out->set_success(*s.success);
  out->set_session_id(s.session_id);
  out->set_test_mode(s.test_mode);
  if (s.start_time != absl::InfinitePast()) SetTime(s.start_time, out->mutable_start_time());
  if (s.end_time != absl::InfinitePast()) SetTime(s.end_time, out->mutable_end_time());
  for (const SessionMessage& m : s.messages) {
    auto* pm = out->add_messages();
    SetTime(m.time, pm->mutable_time());
    pm->set_text(m.text);
  }
}

void ToProto(const PublisherStatus& in, v1::Status* out) {
  ToProto(in.recording, out->mutable_recording());
  out->set_points_accepted(in.points_accepted);
  out->set_points_written(in.points_written);
  out->set_points_dead_lettered(in.points_dead_lettered);
  out->set_dead_letter_file(in.dead_letter_file);
  for (size_t r = 0; r < in.dropped.size(); ++r) {
    if (in.dropped[r] == 0) continue;
    auto* d = out->add_dropped();
    d->set_reason(std::string(core::DropReasonName(static_cast<core::DropReason>(r))));
    d->set_count(in.dropped[r]);
  }
  auto* sp = out->mutable_spool();
  sp->set_points(in.spool.points);
  sp->set_bytes(in.spool.bytes);
  sp->set_max_bytes(in.spool_max_bytes);
  sp->set_segments(in.spool.segments);
  sp->set_recovered_truncations(in.spool.truncations);
  sp->set_records_lost_to_damage(in.spool.records_lost_to_damage);
  sp->set_bytes_lost_to_damage(in.spool.bytes_lost_to_damage);
  if (in.spool.oldest_accepted_unix_ns != 0) {
    SetDuration(in.taken - absl::FromUnixNanos(in.spool.oldest_accepted_unix_ns),
                sp->mutable_oldest_age());
  }
  auto* influx = out->mutable_influx();
  influx->set_url(in.influx_url);
  influx->set_database(in.influx_database);
  influx->set_retention_policy(in.influx_retention_policy);
  influx->set_connected(in.connection.connected);
  if (in.connection.last_success != absl::InfinitePast()) {
    SetTime(in.connection.last_success, influx->mutable_last_success());
  }
  influx->set_last_error(in.connection.last_error);
  if (in.connection.last_error_time != absl::InfinitePast()) {
    SetTime(in.connection.last_error_time, influx->mutable_last_error_time());
  }
  auto* w = out->mutable_writes();
  w->set_batches_sent(in.batches_sent);
  w->set_bytes_sent_raw(in.bytes_sent_raw);
  w->set_bytes_sent_compressed(in.bytes_sent_compressed);
  w->set_retries(in.retries);
  w->set_batches_split(in.batches_split);
  SetDuration(in.latency_p50, w->mutable_latency_p50());
  SetDuration(in.latency_p99, w->mutable_latency_p99());
  for (const FeedSnapshot& f : in.feeds) {
    auto* pf = out->add_feeds();
    pf->set_measurement(f.measurement);
    pf->set_feed(f.feed);
    pf->set_points_accepted(f.points_accepted);
    pf->set_points_written(f.points_written);
    pf->set_points_dead_lettered(f.points_dead_lettered);
    if (f.last_point_unix_ns != 0) {
      SetTime(absl::FromUnixNanos(f.last_point_unix_ns), pf->mutable_last_point_time());
    }
    SetTime(f.last_arrival, pf->mutable_last_arrival());
    pf->set_points_per_second(f.points_per_second);
    pf->set_stale(f.stale);
  }
  out->set_feeds_not_tracked(in.feeds_not_tracked);
  out->set_points_not_tracked(in.points_not_tracked);
  SetDuration(in.stale_after, out->mutable_stale_after());
  out->set_version(kVersion);
  SetDuration(in.taken - in.started, out->mutable_uptime());
}

}  // namespace ocs_influx::server
