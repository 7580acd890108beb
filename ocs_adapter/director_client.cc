#include "ocs_adapter/director_client.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "ocs_adapter/msgpack_codec.h"

namespace ocs_influx::ocs_adapter {

DirectorClient::DirectorClient(AccessControl* access, std::string address_root)
    : access_(access), address_root_(std::move(address_root)) {}

std::string DirectorClient::ControlsTopic() const {
  return absl::StrCat(address_root_, ".", access_->director_id(), ".feeds.controls");
}

std::string DirectorClient::PollProcedure() const {
  return absl::StrCat(address_root_, ".", access_->director_id(), ".agent_poll");
}

absl::Status DirectorClient::Join(WampConnection* connection) {
  // Subscribed first, so the answer to the poll cannot be missed.
  absl::Status s = connection->Subscribe(
      ControlsTopic(), "exact",
      [this](absl::string_view arg0, bool has_arg0) {
        if (!has_arg0) return OnEvent(msgpack::object(), false);
        absl::StatusOr<msgpack::object_handle> unpacked = UnpackChecked(arg0);
        if (!unpacked.ok()) return Refuse(unpacked.status().message());
        OnEvent(unpacked->get(), true);
      });
  if (!s.ok()) return s;
  absl::Status polled = connection->CallIgnoringResult(
      PollProcedure(), {{"instance_id", access_->agent().instance_id},
                        {"agent_class", access_->agent().agent_class}});
  if (polled.ok()) {
    LOG_INFO("access: subscribed to %s; polled the Access Director", ControlsTopic());
  } else {
    LOG_WARNING(
        "access: subscribed to %s; polling the Access Director: %s (its next reset "
        "brings the rules; until then every caller is blocked)",
        ControlsTopic(), std::string(polled.message()));
  }
  return absl::OkStatus();
}

void DirectorClient::Refuse(absl::string_view why) {
  absl::MutexLock lock(&mu_);
  ++refused_;
  const absl::Time now = absl::Now();
  if (now - last_log_ < kRefusalLogInterval) {
    ++unlogged_;
    return;
  }
  LOG_WARNING(
      "access: a message on %s refused, the rules unchanged: %s (%d more refused "
      "since the last report, %d in all)",
      ControlsTopic(), std::string(why), unlogged_, refused_);
  last_log_ = now;
  unlogged_ = 0;
}

void DirectorClient::OnEvent(const msgpack::object& arg0, bool has_arg0) {
  // Feed.publish_message sends ONE positional argument [message, feed].
  if (!has_arg0 || arg0.type != msgpack::type::ARRAY || arg0.via.array.size < 1 ||
      arg0.via.array.ptr[0].type != msgpack::type::MAP) {
    Refuse("not [message, feed] with a dict message");
    return;
  }
  const msgpack::object& message = arg0.via.array.ptr[0];
  // Looked at before anything is decoded: a rules list over the bound costs
  // nothing more.
  const msgpack::object_map& map = message.via.map;
  if (map.size > 16) {
    Refuse(absl::StrCat("a message of ", map.size, " keys"));
    return;
  }
  for (uint32_t i = 0; i < map.size; ++i) {
    const msgpack::object& v = map.ptr[i].val;
    if (v.type == msgpack::type::ARRAY && v.via.array.size > kMaxAccessRules) {
      Refuse(absl::StrCat("a list of ", v.via.array.size, " items; at most ", kMaxAccessRules,
                          " rules"));
      return;
    }
  }
  Value decoded;
  if (absl::Status s = FromMsgpack(message, &decoded, "message"); !s.ok()) {
    Refuse(s.message());
    return;
  }
  absl::StatusOr<bool> applied = access_->ApplyMessage(decoded, absl::Now());
  if (!applied.ok()) {
    Refuse(applied.status().message());
    return;
  }
  if (*applied) {
    const Value api = access_->ApiValue();
    const Value* count = api.Find("update_count");
    LOG_INFO("access: rules from the Access Director applied (update %d)",
             count != nullptr ? count->int_value : 0);
  }
}

}  // namespace ocs_influx::ocs_adapter
