#include "collectors/libvirt/domain_xml_parse.h"

#include <gtest/gtest.h>

#include "tests/unit/fixture.h"

namespace virtnet::libvirt {
namespace {
using virtnet::testing::fixture;

DomainXml must(const std::string& xml) {
  auto r = parse_domain_xml(xml);
  EXPECT_TRUE(r.domain.has_value()) << r.error;
  return r.domain.value_or(DomainXml{});
}

TEST(DomainXml, RunningWithNovaChainAndFileConsole) {
  const DomainXml d = must(fixture("libvirt/running_file_console.xml"));
  EXPECT_EQ(d.name, "vt-one");
  EXPECT_EQ(d.uuid, "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(d.vcpus, 1u);
  EXPECT_EQ(d.memory_bytes, 32u << 20);
  EXPECT_EQ(d.current_memory_bytes, 32u << 20);
  EXPECT_EQ(d.vcpus_current, 1u);
  ASSERT_TRUE(d.nova.has_value());
  EXPECT_EQ(d.nova->name, "web-1");
  EXPECT_EQ(d.nova->flavor, "m1.tiny");
  EXPECT_EQ(d.nova->project_id, "p-1");
  EXPECT_EQ(d.nova->user_id, "u-1");
  EXPECT_EQ(d.nova->user_name, "alice");
  EXPECT_TRUE(d.metadata_problem.empty());
  ASSERT_EQ(d.interfaces.size(), 1u);
  EXPECT_EQ(d.interfaces[0].target, "vt-tap0");
  EXPECT_EQ(d.interfaces[0].driver, "qemu");
  EXPECT_EQ(d.interfaces[0].model, "virtio");
  EXPECT_EQ(d.interfaces[0].mac, "52:54:00:aa:bb:01");
  ASSERT_EQ(d.disks.size(), 1u);
  const DomainDisk& k = d.disks[0];
  EXPECT_EQ(k.target, "vda");
  EXPECT_EQ(k.source, "/tmp/lv/top.qcow2");
  EXPECT_EQ(k.format, "qcow2");
  EXPECT_TRUE(k.chain_known);
  ASSERT_EQ(k.backing.size(), 2u);
  EXPECT_EQ(k.backing[0].path, "/tmp/lv/mid.qcow2");
  EXPECT_EQ(k.backing[0].format, "qcow2");
  EXPECT_EQ(k.backing[1].path, "/tmp/lv/base.raw");
  EXPECT_EQ(k.backing[1].format, "raw");
  // The serial and the console name one file: once.
  ASSERT_EQ(d.consoles.size(), 1u);
  EXPECT_EQ(d.consoles[0].path, "/tmp/lv/console.log");
  EXPECT_FALSE(d.consoles[0].log_element);
}

TEST(DomainXml, InactiveHasNoChain) {
  const DomainXml d = must(fixture("libvirt/inactive_file_console.xml"));
  ASSERT_EQ(d.disks.size(), 1u);
  EXPECT_FALSE(d.disks[0].chain_known);
  EXPECT_TRUE(d.disks[0].backing.empty());
  EXPECT_EQ(d.disks[0].source, "/tmp/lv/top.qcow2");
}

TEST(DomainXml, PtyWithLogAndVhostInterface) {
  const DomainXml d = must(fixture("libvirt/running_pty_log.xml"));
  EXPECT_FALSE(d.nova.has_value());
  ASSERT_EQ(d.consoles.size(), 1u);
  EXPECT_EQ(d.consoles[0].path, "/tmp/lv/two-console.log");
  EXPECT_TRUE(d.consoles[0].log_element);
  ASSERT_EQ(d.interfaces.size(), 1u);
  EXPECT_EQ(d.interfaces[0].target, "vt-tap1");
  EXPECT_EQ(d.interfaces[0].driver, "");
  ASSERT_EQ(d.disks.size(), 1u);
  ASSERT_EQ(d.disks[0].backing.size(), 1u);
  EXPECT_EQ(d.disks[0].backing[0].path, "/tmp/lv/base.raw");
}

TEST(DomainXml, BridgeSourceAndMemoryUnits) {
  const DomainXml d = must(R"(<domain><name>b</name><memory unit='GiB'>2</memory>
    <currentMemory unit='MiB'>1536</currentMemory><vcpu current='2'>4</vcpu>
    <devices><interface type='bridge'><source bridge='qbr1'/><target dev='tap1'/>
    <model type='virtio'/></interface></devices></domain>)");
  EXPECT_EQ(d.memory_bytes, 2ull << 30);
  EXPECT_EQ(d.current_memory_bytes, 1536ull << 20);
  EXPECT_EQ(d.vcpus, 4u);
  EXPECT_EQ(d.vcpus_current, 2u);
  ASSERT_EQ(d.interfaces.size(), 1u);
  EXPECT_EQ(d.interfaces[0].source, "qbr1");
  EXPECT_EQ(d.interfaces[0].type, "bridge");
}

TEST(DomainXml, MetadataForeignOrWithoutNamespace) {
  auto d = must(R"(<domain><name>x</name><metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0"/>
    </metadata></domain>)");
  EXPECT_EQ(d.metadata_problem, "foreign");
  EXPECT_FALSE(d.nova.has_value());
  d = must(R"(<domain><name>x</name><metadata><nova:instance><nova:name>n</nova:name>
    </nova:instance></metadata></domain>)");
  EXPECT_EQ(d.metadata_problem, "no_namespace");
  EXPECT_FALSE(d.nova.has_value());
  // Nova's beside another's: fine.
  d = must(R"(<domain><name>x</name><metadata>
    <a:x xmlns:a="urn:a"/><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.0">
    <nova:name>n</nova:name></nova:instance></metadata></domain>)");
  EXPECT_TRUE(d.metadata_problem.empty());
  ASSERT_TRUE(d.nova.has_value());
  EXPECT_EQ(d.nova->name, "n");
}

TEST(DomainXml, Malformed) {
  for (const char* bad :
       {"", "<domain>", "<domain><name>a</name>", "not xml at all", "<other><name>a</name></other>",
        "<domain></domain>", "<domain><name>a</name></domain><domain/>"}) {
    const auto r = parse_domain_xml(bad);
    EXPECT_FALSE(r.domain.has_value()) << bad;
    EXPECT_FALSE(r.error.empty()) << bad;
  }
  EXPECT_NE(parse_domain_xml("<domain><name>a</nam></domain>").error.find("line 1"),
            std::string::npos);
}

TEST(DomainXml, EntitiesAreNotExpanded) {
  // A billion laughs: not expanded (no NOENT), and no external entity is fetched.
  const std::string xml = R"(<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY e SYSTEM "file:///etc/passwd">]>
<domain><name>&c;&e;</name></domain>)";
  const auto r = parse_domain_xml(xml);
  if (r.domain) {
    EXPECT_LT(r.domain->name.size(), 1100u);
    EXPECT_EQ(r.domain->name.find("root:"), std::string::npos);
  }
}

TEST(DomainXml, OddBytesAndLongNamesBounded) {
  const std::string name(5000, 'n');
  const auto d = must("<domain><name>" + name +
                      "</name><devices><interface type='ethernet'>"
                      "<target dev='t\xc3\xa9'/></interface></devices></domain>");
  EXPECT_LT(d.name.size(), 1200u);
  EXPECT_EQ(d.interfaces[0].target, "t\xc3\xa9");
  EXPECT_FALSE(parse_domain_xml(std::string(kMaxDomainXmlBytes + 1, ' ')).domain.has_value());
}

}  // namespace
}  // namespace virtnet::libvirt
