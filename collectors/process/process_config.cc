#include "collectors/process/process_config.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>

#include "exporter/common/options.h"
#include "exporter/common/parse_error.h"

namespace virtnet::process {

// comm is at most 15 characters: "qemu-system-x86" for qemu-system-x86_64; the qemu group
// matches what qemu::is_qemu calls a qemu (a unit test holds them together). No default group
// matches on exe: reading /proc/PID/exe of every unmatched process needs ptrace rights and, where
// those are missing, floods audit logs.
const char* const kDefaultGroupsYaml = R"(
- {name: qemu, comm: ["qemu-system-*", "qemu-kvm*"], per_process: true}
- {name: libvirtd, comm: [libvirtd, virtqemud]}
- {name: virtlogd, comm: [virtlogd]}
- {name: keepalived, comm: [keepalived], per_process: true, fd_kinds: true}
- {name: haproxy, comm: [haproxy], fd_kinds: true}
- {name: ovs-vswitchd, comm: [ovs-vswitchd]}
- {name: ovsdb-server, comm: [ovsdb-server]}
- {name: dnsmasq, comm: [dnsmasq]}
- {name: nova, comm: ["nova-*"]}
- {name: neutron, comm: ["neutron-*"]}
- {name: rabbitmq, comm: [beam.smp]}
- {name: mysql, comm: [mysqld, mariadbd]}
- {name: memcached, comm: [memcached]}
- {name: apache, comm: [apache2, httpd]}
- {name: nginx, comm: [nginx]}
)";

namespace {

std::string at(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1) + ":" +
         std::to_string(n.Mark().column + 1) + ": ";
}

std::vector<std::string> names(const YAML::Node& n, const std::string& file, const char* key) {
  if (!n.IsSequence()) throw ConfigError(at(file, n) + key + " must be a list of names");
  std::vector<std::string> v;
  for (const auto& item : n) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      throw ConfigError(at(file, item) + key + " must hold non-empty names");
    }
    v.push_back(item.Scalar());
  }
  return v;
}

bool boolean(const YAML::Node& n, const std::string& file, const char* key) {
  bool b = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b)) {
    throw ConfigError(at(file, n) + key + " must be a boolean");
  }
  return b;
}

}  // namespace

std::vector<Group> parse_groups(const YAML::Node& node, const std::string& file) {
  if (!node.IsSequence()) throw ConfigError(at(file, node) + "groups must be a list");
  std::vector<Group> out;
  std::set<std::string> seen;
  for (const auto& g : node) {
    if (!g.IsMap()) throw ConfigError(at(file, g) + "a group must be a map");
    Group group;
    for (const auto& kv : g) {
      if (!kv.first.IsScalar()) throw ConfigError(at(file, kv.first) + "keys must be strings");
      const std::string& k = kv.first.Scalar();
      const auto& v = kv.second;
      if (k == "name") {
        if (!v.IsScalar() || v.Scalar().empty()) {
          throw ConfigError(at(file, v) + "name must be a non-empty string");
        }
        group.name = v.Scalar();
      } else if (k == "comm") {
        group.comm = names(v, file, "comm");
      } else if (k == "exe") {
        group.exe = names(v, file, "exe");
      } else if (k == "cmdline") {
        if (!v.IsScalar()) throw ConfigError(at(file, v) + "cmdline must be a regular expression");
        RE2::Options opts;
        opts.set_log_errors(false);
        RE2 re(v.Scalar(), opts);
        if (!re.ok()) {
          throw ConfigError(at(file, v) + "invalid regular expression " + quote_line(v.Scalar()) +
                            ": " + re.error());
        }
        group.cmdline = v.Scalar();
      } else if (k == "per_process") {
        group.per_process = boolean(v, file, "per_process");
      } else if (k == "fd_kinds") {
        group.fd_kinds = boolean(v, file, "fd_kinds");
      } else if (k == "smaps") {
        group.smaps = boolean(v, file, "smaps");
      } else if (k == "smaps_max_rss_bytes") {
        std::uint64_t b = 0;
        if (!v.IsScalar() || !YAML::convert<std::uint64_t>::decode(v, b)) {
          throw ConfigError(at(file, v) + "smaps_max_rss_bytes must be a number of bytes");
        }
        group.smaps_max_rss_bytes = b;
      } else {
        throw ConfigError(at(file, kv.first) + "unknown group key " + quote_line(k) +
                          " (known: name, comm, exe, cmdline, per_process, fd_kinds, smaps, "
                          "smaps_max_rss_bytes)");
      }
    }
    if (group.name.empty()) throw ConfigError(at(file, g) + "a group needs a name");
    if (group.comm.empty() && group.exe.empty() && group.cmdline.empty()) {
      throw ConfigError(at(file, g) + "group " + group.name +
                        " matches nothing: give comm, exe "
                        "or cmdline");
    }
    if (!seen.insert(group.name).second) {
      throw ConfigError(at(file, g) + "duplicate group name " + quote_line(group.name));
    }
    out.push_back(std::move(group));
  }
  return out;
}

bool name_matches(const std::vector<std::string>& patterns, std::string_view name) {
  for (const auto& p : patterns) {
    if (!p.empty() && p.back() == '*') {
      if (name.substr(0, p.size() - 1) == std::string_view(p).substr(0, p.size() - 1)) return true;
    } else if (name == p) {
      return true;
    }
  }
  return false;
}

Matcher::Matcher(std::vector<Group> groups) : groups_(std::move(groups)) {
  for (const auto& g : groups_) {
    regex_.push_back(g.cmdline.empty() ? nullptr : std::make_unique<re2::RE2>(g.cmdline));
  }
}

Matcher::~Matcher() = default;

int Matcher::match(std::string_view comm, const std::function<std::string()>& exe,
                   const std::function<std::string()>& cmdline) const {
  std::optional<std::string> exe_name, cmd;
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    const auto& g = groups_[i];
    if (name_matches(g.comm, comm)) return static_cast<int>(i);
    if (!g.exe.empty()) {
      if (!exe_name) exe_name = exe();
      if (!exe_name->empty() && name_matches(g.exe, *exe_name)) return static_cast<int>(i);
    }
    if (regex_[i]) {
      if (!cmd) cmd = cmdline();
      if (!cmd->empty() && RE2::PartialMatch(*cmd, *regex_[i])) return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace virtnet::process
