#include "ocs_adapter/ingest_counters.h"

namespace ocs_influx::ocs_adapter {

const char* RefusalName(Refusal reason) {
  switch (reason) {
    case Refusal::kMalformed: return "malformed";
    case Refusal::kNameTooLong: return "name_too_long";
    case Refusal::kTooLarge: return "too_large";
    case Refusal::kQueueFull: return "queue_full";
    case Refusal::kPublisherRefused: return "publisher_refused";
    case Refusal::kCount: break;
  }
  return "unknown";
}

}  // namespace ocs_influx::ocs_adapter
