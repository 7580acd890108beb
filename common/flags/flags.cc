#include "common/flags/flags.h"

#include <charconv>
#include <cmath>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"

namespace ocs_influx::flags {

bool ParseBool(absl::string_view text, bool* value) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "true" || lower == "1" || lower == "yes") {
    *value = true;
    return true;
  }
  if (lower == "false" || lower == "0" || lower == "no") {
    *value = false;
    return true;
  }
  return false;
}

bool ParseDurationFlag(absl::string_view text, absl::Duration* value) {
  double seconds;
  if (absl::SimpleAtod(text, &seconds)) {
    if (!std::isfinite(seconds) || seconds < 0) return false;
    *value = absl::Seconds(seconds);
    return true;
  }
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration() ||
      d == absl::InfiniteDuration()) {
    return false;
  }
  *value = d;
  return true;
}

bool ParseByteSize(absl::string_view text, uint64_t* value) {
  struct Suffix {
    const char* text;
    uint64_t factor;
  };
  static const Suffix kSuffixes[] = {
      {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
      {"TiB", 1ull << 40}, {"K", 1ull << 10},   {"M", 1ull << 20},
      {"G", 1ull << 30},   {"T", 1ull << 40},   {"B", 1},
  };
  uint64_t factor = 1;
  for (const Suffix& s : kSuffixes) {
    if (absl::EndsWith(text, s.text)) {
      factor = s.factor;
      text.remove_suffix(std::char_traits<char>::length(s.text));
      break;
    }
  }
  uint64_t number;
  if (!absl::SimpleAtoi(text, &number)) return false;
  if (number > UINT64_MAX / factor) return false;
  *value = number * factor;
  return true;
}

FlagSet::FlagSet(std::string usage_line, std::string description)
    : usage_line_(std::move(usage_line)), description_(std::move(description)) {}

FlagSet::Flag& FlagSet::Add(std::string name, std::string help,
                            std::string default_text, std::string expected) {
  Flag& flag = flags_.emplace_back();
  flag.name = std::move(name);
  flag.help = std::move(help);
  flag.default_text = std::move(default_text);
  flag.expected = std::move(expected);
  return flag;
}

void FlagSet::AddString(std::string name, std::string* target, std::string help) {
  Add(std::move(name), std::move(help), *target, "a value").parse =
      [target](absl::string_view v) {
        *target = std::string(v);
        return true;
      };
}

void FlagSet::AddChoice(std::string name, std::string* target,
                        std::vector<std::string> choices, std::string help) {
  std::string expected = absl::StrCat("one of ", absl::StrJoin(choices, ", "));
  Add(std::move(name), std::move(help), *target, expected).parse =
      [target, choices](absl::string_view v) {
        for (const std::string& c : choices) {
          if (v == c) {
            *target = c;
            return true;
          }
        }
        return false;
      };
}

void FlagSet::AddInt(std::string name, int64_t* target, int64_t min,
                     int64_t max, std::string help) {
  Add(std::move(name), std::move(help), absl::StrCat(*target),
      absl::StrCat("an integer in [", min, ", ", max, "]"))
      .parse = [target, min, max](absl::string_view v) {
    int64_t n;
    if (!absl::SimpleAtoi(v, &n) || n < min || n > max) return false;
    *target = n;
    return true;
  };
}

void FlagSet::AddBool(std::string name, bool* target, std::string help) {
  Flag& flag = Add(std::move(name), std::move(help), *target ? "true" : "false",
                   "true or false");
  flag.is_bool = true;
  flag.parse = [target](absl::string_view v) { return ParseBool(v, target); };
}

void FlagSet::AddDuration(std::string name, absl::Duration* target,
                          std::string help) {
  Add(std::move(name), std::move(help), absl::FormatDuration(*target),
      "a duration such as 1s, 250ms or 0.5")
      .parse = [target](absl::string_view v) {
    return ParseDurationFlag(v, target);
  };
}

void FlagSet::AddByteSize(std::string name, uint64_t* target, std::string help) {
  std::string default_text = absl::StrCat(*target);
  if (*target != 0 && *target % (1ull << 30) == 0) {
    default_text = absl::StrCat(*target >> 30, "GiB");
  } else if (*target != 0 && *target % (1ull << 20) == 0) {
    default_text = absl::StrCat(*target >> 20, "MiB");
  }
  Add(std::move(name), std::move(help), default_text,
      "a size such as 1048576, 512MiB or 1GiB")
      .parse = [target](absl::string_view v) { return ParseByteSize(v, target); };
}

FlagSet::Flag* FlagSet::Find(absl::string_view name) {
  for (Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool FlagSet::WasSet(absl::string_view name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return f.set;
  }
  return false;
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args,
                            std::vector<std::string>* positional) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") {
      positional->insert(positional->end(), args.begin() + i + 1, args.end());
      return absl::OkStatus();
    }
    if (word == "--help" || word == "-h") {
      help_requested_ = true;
      continue;
    }
    if (word.size() < 3 || word[0] != '-' || word[1] != '-') {
      positional->push_back(word);
      continue;
    }
    absl::string_view body(word);
    body.remove_prefix(2);
    absl::string_view name = body;
    std::optional<std::string> value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      name = body.substr(0, eq);
      value = std::string(body.substr(eq + 1));
    }
    Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!value.has_value()) {
      if (flag->is_bool) {
        bool ignored;
        if (i + 1 < args.size() && ParseBool(args[i + 1], &ignored)) {
          value = args[++i];
        } else {
          value = "true";
        }
      } else {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat("flag --", name, " needs ", flag->expected));
        }
        value = args[++i];
      }
    }
    if (!flag->parse(*value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "flag --", name, ": \"", *value, "\" is not ", flag->expected));
    }
    flag->set = true;
  }
  return absl::OkStatus();
}

std::string FlagSet::Usage() const {
  std::string out = absl::StrCat("Usage: ", usage_line_, "\n\n", description_,
                                 "\n\nFlags:\n");
  for (const Flag& f : flags_) {
    absl::StrAppend(&out, "  --", f.name, f.is_bool ? "" : " VALUE", "\n      ",
                    f.help, "\n      (default: ",
                    f.default_text.empty() ? "\"\"" : f.default_text, ")\n");
  }
  absl::StrAppend(&out, "  --help\n      Show this text.\n");
  return out;
}

std::optional<int> ParseCommandLine(FlagSet& flag_set,
                                    const std::vector<std::string>& args,
                                    absl::string_view program,
                                    const Arguments& arguments,
                                    std::vector<std::string>* positional,
                                    std::ostream& out, std::ostream& err) {
  positional->clear();
  const absl::Status parsed = flag_set.Parse(args, positional);
  // Parse stops at the first error, so help_requested() means --help came
  // before it: the reader asked for help first.
  if (flag_set.help_requested()) {
    out << flag_set.Usage();
    return kExitOk;
  }
  std::string error;
  if (!parsed.ok()) {
    error = std::string(parsed.message());
  } else if (positional->size() > arguments.max_positional) {
    error = arguments.max_positional == 0
                ? absl::StrCat("unexpected argument \"", (*positional)[0],
                               "\" (see --help)")
                : absl::StrCat("at most ",
                               arguments.max_positional == 1
                                   ? std::string("one")
                                   : absl::StrCat(arguments.max_positional),
                               " ", arguments.positional_name, " (see --help)");
  } else {
    return std::nullopt;
  }
  err << program << ": " << error << "\n";
  return kExitUsage;
}

}  // namespace ocs_influx::flags
