#include "exporter/sources/ovsdb_parse.h"

#include <gtest/gtest.h>

#include <string>

#include "exporter/common/parse_error.h"
#include "tests/unit/fixture.h"

namespace virtnet::ovsdb {
namespace {

using virtnet::testing::fixture;

const Interface* by_name(const Database& db, const std::string& name) {
  for (const auto& [uuid, i] : db.interfaces) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

// Every message of a captured stream, applied in order.
std::vector<MessageKind> apply_stream(const std::string& bytes, Database& db) {
  Splitter s;
  s.feed(bytes);
  std::vector<MessageKind> kinds;
  while (auto m = s.next()) kinds.push_back(apply_message(*m, 1, db).kind);
  return kinds;
}

TEST(OvsdbParse, TheMonitorReplyIsTheWholeDatabase) {
  Database db;
  EXPECT_EQ(apply_stream(fixture("ovsdb/monitor_reply.json"), db),
            std::vector<MessageKind>{MessageKind::kMonitorReply});
  EXPECT_EQ(db.external_ids.at("ovn-encap-type"), "geneve");
  EXPECT_EQ(db.external_ids.at("ovn-encap-ip"), "192.0.2.1");
  EXPECT_EQ(db.external_ids.at("system-id"), "host1");
  ASSERT_EQ(db.bridges.size(), 2u);
  EXPECT_EQ(db.ports.size(), 7u);
  EXPECT_EQ(db.interfaces.size(), 7u);
  for (const auto& [uuid, b] : db.bridges) {
    EXPECT_EQ(b.datapath_type, "netdev");
    EXPECT_EQ(b.ports.size(), b.name == "br-int" ? 4u : 3u) << b.name;
    for (const auto& p : b.ports) EXPECT_TRUE(db.ports.count(p)) << p;
  }
  const Interface* tap = by_name(db, "tapx1");
  ASSERT_NE(tap, nullptr);
  EXPECT_EQ(tap->type, "");
  EXPECT_EQ(tap->mtu, 1500);
  EXPECT_EQ(tap->mtu_request, std::nullopt);
  EXPECT_EQ(tap->ofport, 1);
  EXPECT_EQ(tap->error, std::nullopt);
  EXPECT_EQ(tap->external_ids.at("vm-uuid"), "6f1a0000-0000-4000-8000-000000000001");
  EXPECT_EQ(tap->external_ids.at("iface-id"), "port-1");
  const Interface* missing = by_name(db, "missing0");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->ofport, -1);
  EXPECT_EQ(missing->error, "could not open network device missing0 (No such device)");
  const Interface* gnv = by_name(db, "gnv0");
  ASSERT_NE(gnv, nullptr);
  EXPECT_EQ(gnv->type, "geneve");
  EXPECT_EQ(gnv->options.at("remote_ip"), "198.51.100.2");
  EXPECT_EQ(gnv->mtu, std::nullopt);
  EXPECT_EQ(by_name(db, "patch-tun")->options.at("peer"), "patch-int");
}

TEST(OvsdbParse, UpdatesChangeAndDeleteRows) {
  Database db;
  apply_stream(fixture("ovsdb/monitor_reply.json"), db);
  // Two updates back to back in one read.
  EXPECT_EQ(apply_stream(fixture("ovsdb/update_mtu.json"), db),
            (std::vector<MessageKind>{MessageKind::kUpdate, MessageKind::kUpdate}));
  EXPECT_EQ(by_name(db, "tapx1")->mtu_request, 1342);
  EXPECT_EQ(by_name(db, "tapx1")->mtu, 1342);
  EXPECT_EQ(by_name(db, "br-int")->mtu, 1342);
  EXPECT_EQ(by_name(db, "tapx1")->external_ids.at("iface-id"), "port-1");  // kept
  apply_stream(fixture("ovsdb/update_del_port.json"), db);
  EXPECT_EQ(by_name(db, "missing0"), nullptr);
  EXPECT_EQ(db.ports.size(), 6u);
  for (const auto& [uuid, b] : db.bridges) EXPECT_EQ(b.ports.size(), 3u) << b.name;
}

TEST(OvsdbParse, TheSplitterCutsAtEveryByte) {
  const std::string stream = fixture("ovsdb/update_mtu.json");
  Splitter s;
  std::vector<std::string> out;
  for (char c : stream) {
    s.feed(std::string_view(&c, 1));
    while (auto m = s.next()) out.push_back(*m);
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0] + out[1], stream);
  // Strings with braces and escaped quotes do not end a message; whitespace between is skipped.
  Splitter t;
  t.feed(R"(  {"a":"}\"{"}
 {"b":[1,{"c":"]"}]})");
  EXPECT_EQ(t.next(), R"({"a":"}\"{"})");
  EXPECT_EQ(t.next(), R"({"b":[1,{"c":"]"}]})");
  EXPECT_EQ(t.next(), std::nullopt);
}

TEST(OvsdbParse, BadStreamsAreRefused) {
  Splitter a;
  a.feed("[1]");
  EXPECT_THROW(a.next(), ParseError);  // not an object
  Splitter deep;
  deep.feed("{\"a\":" + std::string(100, '['));
  EXPECT_THROW(deep.next(), ParseError);
  Splitter huge;
  huge.feed("{\"a\":\"");
  const std::string mib(1 << 20, 'x');
  EXPECT_THROW(
      {
        for (int i = 0; i < 20; ++i) {
          huge.feed(mib);
          huge.next();
        }
      },
      ParseError);
}

TEST(OvsdbParse, BadMessagesLeaveTheDatabaseAsItWas) {
  Database db;
  apply_stream(fixture("ovsdb/monitor_reply.json"), db);
  const auto before = db.interfaces.size();
  const std::string bad[] = {
      "{",
      R"({"id":1,"result":null,"error":{"error":"unknown database"}})",
      R"({"id":null,"method":"update","params":[null]})",
      // One good row and one of the wrong shape: neither applied.
      R"({"id":null,"method":"update","params":[null,{"Interface":{)"
      R"("u1":{"new":{"name":"new0"}},"u2":{"new":{"name":["map",[]]}}}}]})",
      R"({"id":null,"method":"update","params":[null,{"Port":{"p":{"new":{"interfaces":["set",[1]]}}}}]})",
      R"({"id":null,"method":"update","params":[null,{"Interface":{"u":{"new":{"mtu":["set",[1,2]]}}}}]})",
      "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}",
  };
  for (const auto& m : bad) {
    EXPECT_THROW(apply_message(m, 1, db), ParseError) << m;
    EXPECT_EQ(db.interfaces.size(), before) << m;
  }
  EXPECT_EQ(by_name(db, "new0"), nullptr);
}

TEST(OvsdbParse, EchoesAreAnsweredAndRequestsMadeAsRfc7047Says) {
  Database db;
  const auto echo = apply_message(R"({"id":"echo","method":"echo","params":["x"]})", 1, db);
  EXPECT_EQ(echo.kind, MessageKind::kEcho);
  EXPECT_EQ(echo.answer, R"({"error":null,"id":"echo","result":["x"]})");
  EXPECT_EQ(apply_message(R"({"id":7,"result":[],"error":null})", 1, db).kind,
            MessageKind::kEchoReply);
  EXPECT_EQ(apply_message(R"({"id":null,"method":"locked","params":[]})", 1, db).kind,
            MessageKind::kOther);
  EXPECT_EQ(echo_request(7), R"({"id":7,"method":"echo","params":[]})");
  const std::string m = monitor_request(1);
  EXPECT_NE(m.find(R"("method":"monitor")"), std::string::npos) << m;
  EXPECT_NE(m.find(R"("params":["Open_vSwitch",null,{)"), std::string::npos) << m;
}

}  // namespace
}  // namespace virtnet::ovsdb
