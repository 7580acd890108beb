#include "client/cli.h"

#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/connection.h"
#include "client/convert_command.h"
#include "client/feeds_command.h"
#include "client/flush_command.h"
#include "client/record_command.h"
#include "client/status_command.h"
#include "client/write_command.h"
#include "common/flags/flags.h"

namespace ocs_influx::client {
namespace {

int RunRecordStart(const std::vector<std::string>& args, const CommandIo& io) {
  std::vector<std::string> with_action = {"start"};
  with_action.insert(with_action.end(), args.begin(), args.end());
  return RunRecord(with_action, io);
}

int RunRecordStop(const std::vector<std::string>& args, const CommandIo& io) {
  std::vector<std::string> with_action = {"stop"};
  with_action.insert(with_action.end(), args.begin(), args.end());
  return RunRecord(with_action, io);
}

int RunCompletion(const std::vector<std::string>& args, const CommandIo& io) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    *io.out << "Usage: publisherctl completion bash\n\n"
               "Prints a bash completion script for publisherctl. Load it "
               "with\n  source <(publisherctl completion bash)\nor install it "
               "as /usr/share/bash-completion/completions/publisherctl.\n\n"
               "Flags:\n  --help\n      Show this text.\n";
    return kExitOk;
  }
  if (args.size() != 1 || args[0] != "bash") {
    return ReportUsageError(io, "completion",
                            "expected the shell: publisherctl completion bash");
  }
  *io.out << BashCompletion();
  return kExitOk;
}

std::string Name(const CommandSpec& spec) {
  return absl::StrJoin(spec.words, " ");
}

// FlagSet::Usage lists a flag as "  --name" or "  --name VALUE".
std::vector<FlagName> FlagsInUsage(const std::string& usage) {
  std::vector<FlagName> names;
  for (absl::string_view line : absl::StrSplit(usage, '\n')) {
    if (!absl::ConsumePrefix(&line, "  --")) continue;
    FlagName flag;
    flag.takes_value = absl::ConsumeSuffix(&line, " VALUE");
    flag.name = std::string(line);
    if (flag.name.empty() || absl::StrContains(flag.name, ' ')) continue;
    names.push_back(std::move(flag));
  }
  return names;
}

const FlagName* FindFlag(const std::vector<FlagName>& flags,
                         absl::string_view name) {
  for (const FlagName& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

std::string Words(const std::vector<FlagName>& flags) {
  return absl::StrJoin(flags, " ", [](std::string* out, const FlagName& f) {
    absl::StrAppend(out, "--", f.name);
  });
}

// A bash word list safe inside double quotes: names are [a-z-] only.
std::string ValueFlagPattern(const std::vector<FlagName>& flags) {
  std::vector<std::string> names;
  for (const FlagName& f : flags) {
    if (f.takes_value) names.push_back(absl::StrCat("--", f.name));
  }
  return names.empty() ? "--no-such-flag" : absl::StrJoin(names, "|");
}

}  // namespace

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> commands = {
      {{"status"},
       "[--json]",
       "Show the recording state, counters, spool,\n"
       "InfluxDB connection and write statistics.",
       true,
       false,
       RunStatus},
      {{"feeds"},
       "[--json] [--watch]",
       "Show each feed's health, stale feeds first;\n"
       "--watch refreshes in place.",
       true,
       false,
       RunFeeds},
      {{"record", "start"},
       "[--test-mode]",
       "Start recording (OCS: ops start record).",
       true,
       false,
       RunRecordStart},
      {{"record", "stop"},
       "",
       "Stop recording (OCS: ops stop record).",
       true,
       false,
       RunRecordStop},
      {{"write"},
       "[FILE]",
       "Send line protocol from FILE or standard input.",
       true,
       true,
       RunWrite},
      {{"flush"},
       "[--timeout D]",
       "Wait until accepted points are in InfluxDB.",
       true,
       false,
       RunFlush},
      {{"convert"},
       "[FILE]",
       "Print the line protocol the publisher would write\n"
       "for OCS feed publications (JSON [message, feed]\n"
       "per line); needs no publisher.",
       false,
       true,
       RunConvert},
      {{"completion"},
       "bash",
       "Print the bash completion script.",
       false,
       false,
       RunCompletion},
  };
  return commands;
}

std::string TopLevelUsage() {
  constexpr size_t kColumn = 25;
  std::string commands;
  for (const CommandSpec& spec : Commands()) {
    std::string head = absl::StrCat("  ", Name(spec));
    if (!spec.synopsis.empty()) absl::StrAppend(&head, " ", spec.synopsis);
    std::vector<std::string> lines = absl::StrSplit(spec.summary, '\n');
    if (head.size() + 1 > kColumn) {
      absl::StrAppend(&commands, head, "\n");
      head.clear();
    }
    for (const std::string& line : lines) {
      head.resize(kColumn, ' ');
      absl::StrAppend(&commands, head, line, "\n");
      head.clear();
    }
  }
  return absl::StrCat(
      "Usage: publisherctl [CONNECTION FLAGS] COMMAND [ARGS]\n"
      "\n"
      "The command-line client of the OCS InfluxDB publisher.\n"
      "\n"
      "Commands:\n",
      commands,
      "\n"
      "The commands that talk to the publisher take the connection flags\n"
      "--target (default 127.0.0.1:50051), --token-file, --tls, --tls-ca and\n"
      "--timeout, before the command or after it (after it wins).\n"
      "Exit status: 0 success, 1 failure, 2 bad usage.\n"
      "\n"
      "Run 'publisherctl COMMAND --help' for a command's flags.\n");
}

std::vector<FlagName> CommandFlags(const CommandSpec& spec) {
  std::ostringstream out, err;
  std::istringstream in;
  CommandIo io;
  io.in = &in;
  io.out = &out;
  io.err = &err;
  spec.run({"--help"}, io);
  return FlagsInUsage(out.str());
}

std::vector<FlagName> ConnectionFlags() {
  ConnectionOptions options;
  flags::FlagSet flag_set("", "");
  AddConnectionFlags(&flag_set, &options, "");
  return FlagsInUsage(flag_set.Usage());
}

std::string BashCompletion() {
  const std::vector<FlagName> connection = ConnectionFlags();
  std::vector<FlagName> all_flags = connection;
  std::vector<std::string> first_words;
  std::string cases;
  std::string record_actions;
  for (const CommandSpec& spec : Commands()) {
    if (first_words.empty() || first_words.back() != spec.words[0]) {
      first_words.push_back(spec.words[0]);
    }
    std::vector<FlagName> flags = CommandFlags(spec);
    for (const FlagName& f : flags) {
      if (FindFlag(all_flags, f.name) == nullptr) all_flags.push_back(f);
    }
    std::string key = Name(spec);
    std::string words = Words(flags);
    if (spec.words[0] == "completion") words = "bash";
    absl::StrAppend(&cases, "    \"", key, "\")\n      words=\"", words,
                    "\"\n      files=", spec.takes_file ? 1 : 0,
                    "\n      ;;\n");
  }
  // Commands of two words: the first word alone offers the second.
  std::string subcommands;
  for (const std::string& first : first_words) {
    std::vector<std::string> seconds;
    for (const CommandSpec& spec : Commands()) {
      if (spec.words[0] == first && spec.words.size() > 1) {
        seconds.push_back(spec.words[1]);
      }
    }
    if (!seconds.empty()) {
      absl::StrAppend(&subcommands, "    \"", first, "\")\n      words=\"",
                      absl::StrJoin(seconds, " "), "\"\n      ;;\n");
    }
  }
  std::vector<std::string> two_word_firsts;
  for (const std::string& first : first_words) {
    for (const CommandSpec& spec : Commands()) {
      if (spec.words[0] == first && spec.words.size() > 1) {
        two_word_firsts.push_back(first);
        break;
      }
    }
  }
  const std::string two_word_pattern =
      two_word_firsts.empty() ? "--no-such-command"
                              : absl::StrJoin(two_word_firsts, "|");
  return absl::StrCat(
      "# bash completion for publisherctl; generated by `publisherctl "
      "completion bash`\n"
      "# from the command table that its --help is made from.\n"
      "_publisherctl() {\n"
      "  local cur prev command=\"\" i word words=\"\" files=0\n"
      "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
      "  prev=\"\"\n"
      "  (( COMP_CWORD > 0 )) && prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  case \"$prev\" in\n"
      "    --token-file|--tls-ca)\n"
      "      COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      "      return 0\n"
      "      ;;\n"
      "    ",
      ValueFlagPattern(all_flags),
      ")\n"
      "      COMPREPLY=()\n"
      "      return 0\n"
      "      ;;\n"
      "  esac\n"
      "  # The command: the words before the cursor that are neither flags "
      "nor\n"
      "  # flag values.\n"
      "  for (( i = 1; i < COMP_CWORD; i++ )); do\n"
      "    word=\"${COMP_WORDS[i]}\"\n"
      "    case \"$word\" in\n"
      "      ",
      ValueFlagPattern(all_flags),
      ") (( i++ )) ;;\n"
      "      -*) ;;\n"
      "      *)\n"
      "        if [[ -z \"$command\" ]]; then\n"
      "          command=\"$word\"\n"
      "        else\n"
      "          case \"$command\" in\n"
      "            ",
      two_word_pattern,
      ") command=\"$command $word\" ;;\n"
      "          esac\n"
      "          break\n"
      "        fi\n"
      "        ;;\n"
      "    esac\n"
      "  done\n"
      "  case \"$command\" in\n"
      "    \"\")\n"
      "      words=\"",
      absl::StrJoin(first_words, " "), " help ", Words(connection),
      " --help\"\n"
      "      ;;\n",
      subcommands, cases,
      "  esac\n"
      "  if [[ \"$cur\" != -* && $files == 1 ]]; then\n"
      "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      "  else\n"
      "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      "  fi\n"
      "  return 0\n"
      "}\n"
      "complete -o default -F _publisherctl publisherctl\n");
}

int RunPublisherctl(const std::vector<std::string>& args, const CommandIo& io) {
  const std::vector<FlagName> connection = ConnectionFlags();
  // The connection flags before the command, to be handed to it.
  std::vector<std::string> leading;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--help" || word == "-h") {
      *io.out << TopLevelUsage();
      return kExitOk;
    }
    if (!absl::StartsWith(word, "--")) break;
    absl::string_view name(word);
    name.remove_prefix(2);
    bool has_value = false;
    if (size_t eq = name.find('='); eq != absl::string_view::npos) {
      name = name.substr(0, eq);
      has_value = true;
    }
    const FlagName* flag = FindFlag(connection, name);
    if (flag == nullptr) {
      *io.err << "publisherctl: flag --" << name
              << " is not a connection flag; give it after the command\n\n"
              << TopLevelUsage();
      return kExitUsage;
    }
    leading.push_back(word);
    if (has_value) continue;
    bool ignored;
    if (flag->takes_value ||
        (i + 1 < args.size() && flags::ParseBool(args[i + 1], &ignored))) {
      if (i + 1 >= args.size()) {
        *io.err << "publisherctl: flag --" << name << " needs a value\n";
        return kExitUsage;
      }
      leading.push_back(args[++i]);
    }
  }
  if (i >= args.size()) {
    *io.err << TopLevelUsage();
    return kExitUsage;
  }
  if (args[i] == "help") {
    *io.out << TopLevelUsage();
    return kExitOk;
  }

  const CommandSpec* match = nullptr;
  bool first_word_known = false;
  for (const CommandSpec& spec : Commands()) {
    if (spec.words[0] != args[i]) continue;
    first_word_known = true;
    if (spec.words.size() == 1 ||
        (i + 1 < args.size() && args[i + 1] == spec.words[1])) {
      match = &spec;
      break;
    }
  }
  if (match == nullptr && first_word_known) {
    // "record" alone or with an unknown action: its own usage says which.
    std::vector<std::string> rest(args.begin() + i + 1, args.end());
    if (args[i] == "record") return RunRecord(rest, io);
  }
  if (match == nullptr) {
    *io.err << "publisherctl: unknown command \"" << args[i] << "\"\n\n"
            << TopLevelUsage();
    return kExitUsage;
  }
  // The leading flags go first, so that the same flag after the command
  // wins, and before any "--" of the command's own.
  std::vector<std::string> command_args;
  if (match->connects) command_args = leading;
  command_args.insert(command_args.end(),
                      args.begin() + i + match->words.size(), args.end());
  return match->run(command_args, io);
}

}  // namespace ocs_influx::client
