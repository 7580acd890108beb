// Command-line flags spelled as OCS agents spell them: `--name value` or
// `--name=value`; a boolean alone means true, and takes the next word when
// it is a boolean (OCS site configs give ['--gzip', True], which arrives as
// the two words `--gzip True`). Every flag has a default and a help line,
// and a bad value is an error that names the flag.
#ifndef OCS_INFLUX_COMMON_FLAGS_FLAGS_H_
#define OCS_INFLUX_COMMON_FLAGS_FLAGS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ocs_influx::flags {

// true/false/True/False/TRUE/FALSE/1/0/yes/no.
bool ParseBool(absl::string_view text, bool* value);
// "1s", "250ms", "1.5" (seconds), "2m".
bool ParseDurationFlag(absl::string_view text, absl::Duration* value);
// "1048576", "64KiB", "512MiB", "1GiB", "1G" (powers of 1024).
bool ParseByteSize(absl::string_view text, uint64_t* value);

class FlagSet {
 public:
  FlagSet(std::string usage_line, std::string description);

  void AddString(std::string name, std::string* target, std::string help);
  void AddChoice(std::string name, std::string* target,
                 std::vector<std::string> choices, std::string help);
  void AddInt(std::string name, int64_t* target, int64_t min, int64_t max,
              std::string help);
  void AddBool(std::string name, bool* target, std::string help);
  void AddDuration(std::string name, absl::Duration* target, std::string help);
  void AddByteSize(std::string name, uint64_t* target, std::string help);

  // Parses argv[first..]; words that are not flags go to `positional`
  // (everything after "--" too). "--help"/"-h" sets help_requested().
  absl::Status Parse(const std::vector<std::string>& args,
                     std::vector<std::string>* positional);
  bool help_requested() const { return help_requested_; }
  // Which flags were given explicitly (for "command line wins" merges).
  bool WasSet(absl::string_view name) const;

  std::string Usage() const;

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_text;
    bool is_bool = false;
    bool set = false;
    std::function<bool(absl::string_view)> parse;
    std::string expected;  // for errors: "an integer in [1, 65535]"
  };
  Flag& Add(std::string name, std::string help, std::string default_text,
            std::string expected);
  Flag* Find(absl::string_view name);

  std::string usage_line_;
  std::string description_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

// Exit statuses every program and command shares.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;

// What a command line may hold besides flags.
struct Arguments {
  // The most words that are not flags: 0, or 1 for "[FILE]".
  size_t max_positional = 0;
  // What such a word is, for the error: "FILE".
  std::string positional_name;
};

// The start of every main and command: parses `args` into `flag_set`.
//  - --help or -h seen before any error: prints Usage() to `out`; kExitOk.
//  - a bad flag, or more words than `arguments` allows: prints
//    "<program>: <error>" to `err` ("unexpected argument \"X\" (see --help)"
//    when none are allowed, "at most one FILE (see --help)" otherwise);
//    kExitUsage.
//  - else nullopt: go on, with the words in *positional.
// `program` prefixes errors: "publisher", "publisherctl: status".
std::optional<int> ParseCommandLine(FlagSet& flag_set,
                                    const std::vector<std::string>& args,
                                    absl::string_view program,
                                    const Arguments& arguments,
                                    std::vector<std::string>* positional,
                                    std::ostream& out, std::ostream& err);

}  // namespace ocs_influx::flags

#endif  // OCS_INFLUX_COMMON_FLAGS_FLAGS_H_
