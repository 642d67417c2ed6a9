#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/libvirt/backing_chain.h"

namespace virtnet::libvirt {

// Nova's <metadata><nova:instance> (namespace http://openstack.org/xmlns/libvirt/nova/1.x).
struct NovaInstance {
  std::string name, flavor, project_id, project_name, user_id, user_name;
};

struct DomainInterface {
  std::string type;    // bridge, network, ethernet, vhostuser, ...
  std::string target;  // the host's tap (<target dev=>): the links collector's `link`
  std::string source;  // <source bridge=> or <source network=>
  std::string model, mac;
  std::string driver;  // <driver name=>: "qemu" forces userspace virtio-net, "vhost", or ""
};

struct DomainDisk {
  std::string target;  // vda
  std::string device;  // disk, cdrom
  std::string source;  // the image (<source file=> or dev=), "" for an empty cdrom or network
  std::string format;  // <driver type=>
  // The live XML's <backingStore> chain below the image, in order; `chain_known` when the XML
  // had one (a running domain's: even an empty <backingStore/> ends it there).
  std::vector<NamedFile> backing;
  bool chain_known = false;
};

// A console log file: <serial|console type='file'><source path=>, written by qemu (or virtlogd
// for it), or <log file=> on another type (pty), which virtlogd writes and rotates.
struct ConsoleLog {
  std::string path;
  bool log_element = false;
};

struct DomainXml {
  std::string name, uuid;
  std::uint32_t vcpus = 0;                 // <vcpu>: the most
  std::uint32_t vcpus_current = 0;         // <vcpu current=>, else vcpus
  std::uint64_t memory_bytes = 0;          // <memory>
  std::uint64_t current_memory_bytes = 0;  // <currentMemory>: the balloon's target, 0 without
  std::optional<NovaInstance> nova;
  // What <metadata> held besides Nova's instance: "" (nothing else, or no <metadata>),
  // "foreign" (another application's namespace, and no Nova instance), "no_namespace" (an
  // element without one: an undeclared prefix).
  std::string metadata_problem;
  std::vector<DomainInterface> interfaces;
  std::vector<DomainDisk> disks;
  std::vector<ConsoleLog> consoles;  // each path once
};

// The most bytes of XML parsed (a domain's is a few KiB; libvirt's own bound is 10 MiB).
inline constexpr std::size_t kMaxDomainXmlBytes = 4u << 20;

struct DomainXmlResult {
  std::optional<DomainXml> domain;
  std::string error;  // malformed XML, not a <domain>, no name, too large
};

// Parses a domain's XML (virDomainGetXMLDesc) with pugixml: no network, no entity expansion,
// no DTD; text lengths bounded by bound_label_input where they become labels. Never throws.
DomainXmlResult parse_domain_xml(std::string_view xml);

}  // namespace virtnet::libvirt
