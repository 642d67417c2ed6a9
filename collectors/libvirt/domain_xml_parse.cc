#include "collectors/libvirt/domain_xml_parse.h"

#include <algorithm>
#include <cstring>
#include <pugixml.hpp>

#include "exporter/common/label_value.h"

namespace virtnet::libvirt {
namespace {

constexpr std::string_view kNovaNs = "http://openstack.org/xmlns/libvirt/nova/";

using Node = pugi::xml_node;

std::string_view local(const Node& n) {
  const std::string_view q = n.name();
  const auto colon = q.find(':');
  return colon == std::string_view::npos ? q : q.substr(colon + 1);
}
bool is(const Node& n, std::string_view name) {
  return n.type() == pugi::node_element && std::string_view(n.name()) == name;
}
std::string attr(const Node& n, const char* name) {
  return bound_label_input(n.attribute(name).value());
}
std::string text(const Node& n) {
  const std::string_view t = n.text().get();
  // Trimmed: pretty-printed XML wraps text in whitespace.
  const auto b = t.find_first_not_of(" \t\r\n");
  const auto e = t.find_last_not_of(" \t\r\n");
  return b == std::string_view::npos ? "" : bound_label_input(t.substr(b, e - b + 1));
}
const Node child(const Node& n, std::string_view name) {
  for (const Node c : n.children()) {
    if (is(c, name)) return c;
  }
  return Node();
}

// The namespace URI of an element, from the xmlns declarations on it and its ancestors (pugixml
// keeps qualified names and leaves namespaces to the caller); nothing for an undeclared prefix or
// an unprefixed element without a default namespace.
std::optional<std::string_view> namespace_of(const Node& n) {
  const std::string_view q = n.name();
  const auto colon = q.find(':');
  const std::string decl =
      colon == std::string_view::npos ? "xmlns" : "xmlns:" + std::string(q.substr(0, colon));
  for (Node a = n; a; a = a.parent()) {
    if (auto x = a.attribute(decl.c_str())) return std::string_view(x.value());
  }
  return std::nullopt;
}
bool nova(const Node& n) {
  if (n.type() != pugi::node_element) return false;
  const auto ns = namespace_of(n);
  return ns && ns->substr(0, kNovaNs.size()) == kNovaNs;
}
bool nova_is(const Node& n, std::string_view name) { return nova(n) && local(n) == name; }

std::uint64_t number(std::string_view s) {
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    if (v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// <memory unit='KiB'>32768</memory>: libvirt's units (KiB without one).
std::uint64_t memory_bytes(const Node& n) {
  const std::uint64_t v = number(text(n));
  const std::string unit = attr(n, "unit");
  std::uint64_t mult = 1024;
  if (unit == "b" || unit == "bytes")
    mult = 1;
  else if (unit == "KB")
    mult = 1000;
  else if (unit == "MiB" || unit == "M")
    mult = 1024ull << 10;
  else if (unit == "MB")
    mult = 1000000;
  else if (unit == "GiB" || unit == "G")
    mult = 1024ull << 20;
  else if (unit == "GB")
    mult = 1000000000;
  return v > UINT64_MAX / mult ? 0 : v * mult;
}

std::string disk_source(const Node& d) {
  const Node s = child(d, "source");
  if (!s) return "";
  for (const char* a : {"file", "dev", "volume"}) {
    std::string v = attr(s, a);
    if (!v.empty()) return v;
  }
  return "";
}

void read_nova(const Node& inst, NovaInstance& out) {
  for (const Node c : inst.children()) {
    if (nova_is(c, "name")) out.name = text(c);
    if (nova_is(c, "flavor")) out.flavor = attr(c, "name");
    if (!nova_is(c, "owner")) continue;
    for (const Node o : c.children()) {
      if (nova_is(o, "user")) {
        out.user_id = attr(o, "uuid");
        out.user_name = text(o);
      } else if (nova_is(o, "project")) {
        out.project_id = attr(o, "uuid");
        out.project_name = text(o);
      }
    }
  }
}

void read_disk(const Node& d, DomainXml& out) {
  DomainDisk disk;
  disk.device = attr(d, "device");
  if (const Node t = child(d, "target")) disk.target = attr(t, "dev");
  if (const Node drv = child(d, "driver")) disk.format = attr(drv, "type");
  disk.source = disk_source(d);
  Node b = child(d, "backingStore");
  disk.chain_known = static_cast<bool>(b);
  // Nested: each <backingStore> holds the next one. Bounded: a chain deeper than the walk's is cut.
  for (int depth = 0; b && depth < kMaxChainDepth; ++depth) {
    std::string path = disk_source(b);
    if (path.empty()) break;  // the empty <backingStore/> that ends it, or a network one
    NamedFile f{std::move(path), ""};
    if (const Node fmt = child(b, "format")) f.format = attr(fmt, "type");
    disk.backing.push_back(std::move(f));
    b = child(b, "backingStore");
  }
  out.disks.push_back(std::move(disk));
}

void read_interface(const Node& i, DomainXml& out) {
  DomainInterface n;
  n.type = attr(i, "type");
  if (const Node t = child(i, "target")) n.target = attr(t, "dev");
  if (const Node s = child(i, "source")) {
    n.source = attr(s, "bridge");
    if (n.source.empty()) n.source = attr(s, "network");
  }
  if (const Node m = child(i, "model")) n.model = attr(m, "type");
  if (const Node m = child(i, "mac")) n.mac = attr(m, "address");
  if (const Node d = child(i, "driver")) n.driver = attr(d, "name");
  out.interfaces.push_back(std::move(n));
}

void read_console(const Node& c, DomainXml& out) {
  ConsoleLog log;
  if (attr(c, "type") == "file") {
    if (const Node s = child(c, "source")) log.path = attr(s, "path");
  }
  if (log.path.empty()) {
    if (const Node l = child(c, "log")) {
      log.path = attr(l, "file");
      log.log_element = true;
    }
  }
  if (log.path.empty()) return;
  const bool seen = std::any_of(out.consoles.begin(), out.consoles.end(),
                                [&](const ConsoleLog& o) { return o.path == log.path; });
  if (!seen) out.consoles.push_back(std::move(log));
}

std::size_t line_of(std::string_view xml, std::ptrdiff_t offset) {
  const auto end = static_cast<std::size_t>(
      std::clamp<std::ptrdiff_t>(offset, 0, static_cast<std::ptrdiff_t>(xml.size())));
  return 1 + static_cast<std::size_t>(
                 std::count(xml.begin(), xml.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
}

}  // namespace

DomainXmlResult parse_domain_xml(std::string_view xml) {
  DomainXmlResult r;
  if (xml.size() > kMaxDomainXmlBytes) {
    r.error = "domain XML over " + std::to_string(kMaxDomainXmlBytes) + " bytes";
    return r;
  }
  // pugixml reads no DTD, expands no entity but the five predefined and character references, and
  // opens nothing: a billion laughs and external entities stay text.
  pugi::xml_document doc;
  const pugi::xml_parse_result pr =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!pr) {
    r.error = std::string("malformed domain XML: ") + pr.description() + " (line " +
              std::to_string(line_of(xml, pr.offset)) + ")";
    return r;
  }
  std::size_t roots = 0;
  Node root;
  for (const Node c : doc.children()) {
    if (c.type() != pugi::node_element) continue;
    ++roots;
    root = c;
  }
  if (roots != 1) {
    r.error = roots == 0 ? "malformed domain XML: no element"
                         : "malformed domain XML: more than one root element";
    return r;
  }
  if (!is(root, "domain")) {
    r.error = "not a <domain>";
    return r;
  }
  DomainXml d;
  for (const Node c : root.children()) {
    if (is(c, "name"))
      d.name = text(c);
    else if (is(c, "uuid"))
      d.uuid = text(c);
    else if (is(c, "vcpu")) {
      d.vcpus = static_cast<std::uint32_t>(std::min<std::uint64_t>(number(text(c)), UINT32_MAX));
      const std::string cur = attr(c, "current");
      d.vcpus_current =
          cur.empty() ? d.vcpus
                      : static_cast<std::uint32_t>(std::min<std::uint64_t>(number(cur), d.vcpus));
    } else if (is(c, "currentMemory"))
      d.current_memory_bytes = memory_bytes(c);
    else if (is(c, "memory"))
      d.memory_bytes = memory_bytes(c);
    else if (is(c, "metadata")) {
      for (const Node m : c.children()) {
        if (m.type() != pugi::node_element) continue;
        if (nova_is(m, "instance")) {
          d.nova.emplace();
          read_nova(m, *d.nova);
        } else if (!namespace_of(m)) {
          d.metadata_problem = "no_namespace";
        } else if (d.metadata_problem.empty()) {
          d.metadata_problem = "foreign";
        }
      }
    } else if (is(c, "devices")) {
      for (const Node dev : c.children()) {
        if (is(dev, "disk"))
          read_disk(dev, d);
        else if (is(dev, "interface"))
          read_interface(dev, d);
        else if (is(dev, "serial") || is(dev, "console"))
          read_console(dev, d);
      }
    }
  }
  if (d.nova && d.metadata_problem == "foreign") d.metadata_problem.clear();
  if (d.name.empty()) {
    r.error = "domain XML without a <name>";
    return r;
  }
  r.domain = std::move(d);
  return r;
}

}  // namespace virtnet::libvirt
