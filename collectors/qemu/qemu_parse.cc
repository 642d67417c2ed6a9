#include "collectors/qemu/qemu_parse.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "exporter/common/label_value.h"
#include "exporter/sources/proc_pid_parse.h"

namespace virtnet::qemu {

namespace {

// A -netdev value larger than this, or nested deeper, is not a netdev: it is refused before any
// JSON parsing (nlohmann's parser has no depth limit of its own).
constexpr std::size_t kMaxNetdevBytes = 64 * 1024;
constexpr int kMaxJsonDepth = 16;

std::vector<std::string_view> split_args(std::string_view cmdline) {
  std::vector<std::string_view> args;
  std::size_t i = 0;
  while (i < cmdline.size()) {
    auto nul = cmdline.find('\0', i);
    if (nul == std::string_view::npos) nul = cmdline.size();
    args.push_back(cmdline.substr(i, nul - i));
    i = nul + 1;
  }
  return args;
}

// qemu's option syntax: "a,b=c,d=e,,f": elements split on single commas, ",," a comma.
std::vector<std::string> split_opts(std::string_view v) {
  std::vector<std::string> out(1);
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (v[k] == ',') {
      if (k + 1 < v.size() && v[k + 1] == ',') {
        out.back() += ',';
        ++k;
        continue;
      }
      out.emplace_back();
      continue;
    }
    out.back() += v[k];
  }
  return out;
}

std::optional<bool> on_off(std::string_view v) {
  if (v == "on" || v == "true" || v == "yes" || v == "1" || v.empty()) return true;
  if (v == "off" || v == "false" || v == "no" || v == "0") return false;
  return std::nullopt;
}

// vhost as qemu's net_init_tap decides it.
std::optional<bool> tap_vhost(std::optional<bool> vhost, bool vhostfd, bool vhostforce) {
  if (vhost) return *vhost;
  return vhostfd || vhostforce;
}

bool json_depth_ok(std::string_view v) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : v) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return false;
    }
    if (c == '}' || c == ']') --depth;
  }
  return true;
}

std::optional<Netdev> parse_json_netdev(std::string_view v) {
  if (!json_depth_ok(v)) return std::nullopt;
  const auto j = nlohmann::json::parse(v.begin(), v.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  Netdev n;
  auto str = [&](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto flag = [&](const char* key) -> std::optional<bool> {
    auto it = j.find(key);
    if (it == j.end()) return std::nullopt;
    if (it->is_boolean()) return it->get<bool>();
    if (it->is_string()) return on_off(it->get<std::string>());
    return std::nullopt;
  };
  const auto type = str("type");
  const auto id = str("id");
  if (!type || !id || type->empty() || id->empty()) return std::nullopt;
  n.type = *type;
  n.id = *id;
  if (n.type == "tap") {
    n.vhost = tap_vhost(flag("vhost"), j.contains("vhostfd") || j.contains("vhostfds"),
                        flag("vhostforce").value_or(false));
  }
  return n;
}

std::optional<Netdev> parse_legacy_netdev(std::string_view v) {
  const auto opts = split_opts(v);
  Netdev n;
  std::optional<bool> vhost;
  bool vhostfd = false, vhostforce = false;
  for (std::size_t i = 0; i < opts.size(); ++i) {
    const auto& o = opts[i];
    const auto eq = o.find('=');
    if (eq == std::string::npos) {
      if (i == 0) {
        n.type = o;  // the implied first key
        continue;
      }
      return std::nullopt;  // qemu would refuse it too
    }
    const std::string key = o.substr(0, eq), val = o.substr(eq + 1);
    if (key == "type") {
      n.type = val;
    } else if (key == "id") {
      n.id = val;
    } else if (key == "vhost") {
      vhost = on_off(val);
      if (!vhost) return std::nullopt;
    } else if (key == "vhostfd" || key == "vhostfds") {
      vhostfd = true;
    } else if (key == "vhostforce") {
      vhostforce = on_off(val).value_or(false);
    }
  }
  if (n.type.empty() || n.id.empty()) return std::nullopt;
  if (n.type == "tap") n.vhost = tap_vhost(vhost, vhostfd, vhostforce);
  return n;
}

// "-name guest=NAME,debug-threads=on" or "-name NAME".
std::string name_value(std::string_view v) {
  const auto opts = split_opts(v);
  for (std::size_t i = 0; i < opts.size(); ++i) {
    if (opts[i].rfind("guest=", 0) == 0) return opts[i].substr(6);
    if (i == 0 && opts[i].find('=') == std::string::npos) return opts[i];
  }
  return "";
}

}  // namespace

Cmdline parse_cmdline(std::string_view cmdline) {
  Cmdline c;
  const auto args = split_args(cmdline);
  for (std::size_t a = 0; a + 1 < args.size(); ++a) {
    const std::string_view opt = args[a], v = args[a + 1];
    // Names that become labels are kept bounded (the state of each qemu holds them).
    if (opt == "-name") {
      c.domain = bound_label_input(name_value(v));
    } else if (opt == "-uuid") {
      c.uuid = bound_label_input(v);
    } else if (opt == "-netdev") {
      std::optional<Netdev> n;
      if (v.size() <= kMaxNetdevBytes) {
        n = !v.empty() && v.front() == '{' ? parse_json_netdev(v) : parse_legacy_netdev(v);
      }
      if (n) {
        n->id = bound_label_input(n->id);
        n->type = bound_label_input(n->type);
        c.netdevs.push_back(std::move(*n));
      } else {
        ++c.malformed;
      }
    }
  }
  return c;
}

ThreadKind classify_thread(std::string_view comm, std::string_view process_comm,
                           std::int64_t qemu_pid) {
  ThreadKind k;
  if (comm.rfind("CPU ", 0) == 0) {
    const auto slash = comm.find('/');
    int n = -1;
    if (slash != std::string_view::npos) {
      auto [p, ec] = std::from_chars(comm.data() + 4, comm.data() + slash, n);
      if (ec == std::errc() && p == comm.data() + slash && n >= 0) {
        k.cls = ThreadClass::kVcpu;
        k.vcpu = n;
        return k;
      }
    }
  }
  if (comm == "vhost-" + std::to_string(qemu_pid)) {
    k.cls = ThreadClass::kVhost;
  } else if (comm.rfind("IO ", 0) == 0) {
    k.cls = ThreadClass::kIothread;
  } else if (comm == process_comm) {
    k.cls = ThreadClass::kMain;
  }
  return k;
}

std::string_view thread_class_name(ThreadClass c) {
  switch (c) {
    case ThreadClass::kVcpu:
      return "vcpu";
    case ThreadClass::kVhost:
      return "vhost";
    case ThreadClass::kIothread:
      return "iothread";
    case ThreadClass::kMain:
      return "main";
    case ThreadClass::kOther:
      return "other";
  }
  return "other";
}

bool is_qemu(std::string_view comm) {
  return comm.starts_with("qemu-system-") || comm.starts_with("qemu-kvm");
}

std::string domain_label(std::string_view domain, std::int64_t pid, bool with_pid) {
  const std::string id = std::to_string(pid);
  // A nameless one is pid-N; a second of that (a qemu named "pid-N") gets its own pid as well.
  if (domain.empty()) return with_pid ? "pid-" + id + " (pid " + id + ")" : "pid-" + id;
  // Raw, for the sink to repair once (parse_cmdline bounded the name already). A long name's
  // repair is cut and ends with its hash, which covers the suffix: the two still differ.
  std::string label(domain);
  if (with_pid) label += " (pid " + id + ")";
  return label;
}

}  // namespace virtnet::qemu
