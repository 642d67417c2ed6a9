#include "exporter/sources/ovsdb_parse.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "exporter/common/parse_error.h"

namespace virtnet::ovsdb {

namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& what) { throw ParseError(what); }

// RFC 7047's <atom> as a string: a string, or a uuid ["uuid", "..."].
std::string atom_text(const Json& j, const char* column) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_array() && j.size() == 2 && j[0] == "uuid" && j[1].is_string()) {
    return j[1].get<std::string>();
  }
  fail(std::string(column) + ": not a string or a uuid");
}

// A <set>: one atom, or ["set", [atoms]].
template <typename F>
void for_each_in_set(const Json& j, const char* column, F&& f) {
  if (j.is_array() && j.size() == 2 && j[0] == "set") {
    if (!j[1].is_array()) fail(std::string(column) + ": a set without its atoms");
    for (const auto& a : j[1]) f(a);
    return;
  }
  f(j);
}

std::vector<std::string> uuid_set(const Json& j, const char* column) {
  std::vector<std::string> out;
  for_each_in_set(j, column, [&](const Json& a) {
    if (!(a.is_array() && a.size() == 2 && a[0] == "uuid" && a[1].is_string())) {
      fail(std::string(column) + ": not a set of uuids");
    }
    out.push_back(a[1].get<std::string>());
  });
  return out;
}

// A <map> of strings: ["map", [[key, value], ...]].
std::map<std::string, std::string> string_map(const Json& j, const char* column) {
  if (!(j.is_array() && j.size() == 2 && j[0] == "map" && j[1].is_array())) {
    fail(std::string(column) + ": not a map");
  }
  std::map<std::string, std::string> out;
  for (const auto& pair : j[1]) {
    if (!(pair.is_array() && pair.size() == 2)) fail(std::string(column) + ": a pair that is not");
    out[atom_text(pair[0], column)] = atom_text(pair[1], column);
  }
  return out;
}

// An optional integer (a set of at most one): 1500, or ["set", []].
std::optional<std::int64_t> optional_integer(const Json& j, const char* column) {
  std::optional<std::int64_t> out;
  for_each_in_set(j, column, [&](const Json& a) {
    if (!a.is_number_integer() || out) fail(std::string(column) + ": not an optional integer");
    out = a.get<std::int64_t>();
  });
  return out;
}

std::optional<std::string> optional_string(const Json& j, const char* column) {
  std::optional<std::string> out;
  for_each_in_set(j, column, [&](const Json& a) {
    if (!a.is_string() || out) fail(std::string(column) + ": not an optional string");
    out = a.get<std::string>();
  });
  return out;
}

std::string string_column(const Json& j, const char* column) {
  if (!j.is_string()) fail(std::string(column) + ": not a string");
  return j.get<std::string>();
}

// Each column of `row` this exporter reads, merged into `out` (a modify's "new" may carry the
// changed columns only).
void merge(const Json& row, Interface& out) {
  for (auto it = row.begin(); it != row.end(); ++it) {
    const std::string& c = it.key();
    const Json& v = it.value();
    if (c == "name") out.name = string_column(v, "Interface.name");
    if (c == "type") out.type = string_column(v, "Interface.type");
    if (c == "options") out.options = string_map(v, "Interface.options");
    if (c == "external_ids") out.external_ids = string_map(v, "Interface.external_ids");
    if (c == "mtu") out.mtu = optional_integer(v, "Interface.mtu");
    if (c == "mtu_request") out.mtu_request = optional_integer(v, "Interface.mtu_request");
    if (c == "ofport") out.ofport = optional_integer(v, "Interface.ofport");
    if (c == "error") out.error = optional_string(v, "Interface.error");
  }
}

void merge(const Json& row, Port& out) {
  for (auto it = row.begin(); it != row.end(); ++it) {
    if (it.key() == "name") out.name = string_column(it.value(), "Port.name");
    if (it.key() == "interfaces") out.interfaces = uuid_set(it.value(), "Port.interfaces");
  }
}

void merge(const Json& row, Bridge& out) {
  for (auto it = row.begin(); it != row.end(); ++it) {
    if (it.key() == "name") out.name = string_column(it.value(), "Bridge.name");
    if (it.key() == "datapath_type") {
      out.datapath_type = string_column(it.value(), "Bridge.datapath_type");
    }
    if (it.key() == "ports") out.ports = uuid_set(it.value(), "Bridge.ports");
  }
}

// One table's row updates ({uuid: {"old": ..., "new": ...}}), checked whole before any is
// applied: each row as it will be, or nothing for a deleted one.
template <typename Row>
std::vector<std::pair<std::string, std::optional<Row>>> table_changes(
    const Json& updates, const std::map<std::string, Row>& rows, const char* table) {
  if (!updates.is_object()) fail(std::string(table) + ": not an object of row updates");
  std::vector<std::pair<std::string, std::optional<Row>>> out;
  for (auto it = updates.begin(); it != updates.end(); ++it) {
    const Json& u = it.value();
    if (!u.is_object()) fail(std::string(table) + ": a row update that is not an object");
    auto n = u.find("new");
    if (n == u.end() || n->is_null()) {
      out.emplace_back(it.key(), std::nullopt);  // deleted
      continue;
    }
    if (!n->is_object()) fail(std::string(table) + ": a row that is not an object");
    auto old = rows.find(it.key());
    Row row = old == rows.end() ? Row{} : old->second;
    merge(*n, row);
    out.emplace_back(it.key(), std::move(row));
  }
  return out;
}

template <typename Row>
void commit(std::vector<std::pair<std::string, std::optional<Row>>>& changes,
            std::map<std::string, Row>& rows) {
  for (auto& [uuid, row] : changes) {
    if (row) {
      rows[uuid] = std::move(*row);
    } else {
      rows.erase(uuid);
    }
  }
}

const Json kEmpty = Json::object();

const Json& table(const Json& updates, const char* name) {
  auto it = updates.find(name);
  return it == updates.end() ? kEmpty : *it;
}

// <table-updates> applied to `db`, all or nothing.
void apply_updates(const Json& updates, Database& db) {
  if (!updates.is_object()) fail("table updates that are not an object");
  auto bridges = table_changes(table(updates, "Bridge"), db.bridges, "Bridge");
  auto ports = table_changes(table(updates, "Port"), db.ports, "Port");
  auto interfaces = table_changes(table(updates, "Interface"), db.interfaces, "Interface");
  std::optional<std::map<std::string, std::string>> external_ids;
  const Json& ovs = table(updates, "Open_vSwitch");
  if (!ovs.is_object()) fail("Open_vSwitch: not an object of row updates");
  for (auto it = ovs.begin(); it != ovs.end(); ++it) {  // one row, in practice
    if (!it->is_object()) fail("Open_vSwitch: a row update that is not an object");
    auto n = it->find("new");
    if (n == it->end() || !n->is_object()) continue;
    if (auto e = n->find("external_ids"); e != n->end()) {
      external_ids = string_map(*e, "Open_vSwitch.external_ids");
    }
  }
  commit(bridges, db.bridges);
  commit(ports, db.ports);
  commit(interfaces, db.interfaces);
  if (external_ids) db.external_ids = std::move(*external_ids);
}

// JSON text in ASCII, whatever its strings hold.
std::string printable_json(const Json& j) {
  return j.dump(-1, ' ', true, Json::error_handler_t::replace);
}

Json parse(std::string_view text) {
  // Deeper than any OVSDB message: refused before it costs a deep recursion anywhere.
  Json::parser_callback_t bounded = [](int depth, Json::parse_event_t, Json&) {
    if (depth > kMaxDepth) fail("a message nested deeper than " + std::to_string(kMaxDepth));
    return true;
  };
  if (text.size() > kMaxMessageBytes) fail("a message of more than 16 MiB");
  try {
    return Json::parse(text.begin(), text.end(), bounded);
  } catch (const Json::exception& e) {
    fail(std::string("not JSON: ") + e.what());
  }
}

}  // namespace

void Splitter::feed(std::string_view bytes) {
  if (buf_.size() + bytes.size() > kMaxMessageBytes + 4096) {
    fail("a message of more than 16 MiB");
  }
  buf_.append(bytes);
}

std::optional<std::string> Splitter::next() {
  for (; scanned_ < buf_.size(); ++scanned_) {
    const char c = buf_[scanned_];
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (depth_ == 0) {
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {  // between messages
        start_ = scanned_ + 1;
        continue;
      }
      if (c != '{') fail("a message that is not a JSON object");
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      if (++depth_ > kMaxDepth) fail("a message nested deeper than " + std::to_string(kMaxDepth));
    } else if ((c == '}' || c == ']') && --depth_ == 0) {
      std::string message = buf_.substr(start_, scanned_ + 1 - start_);
      buf_.erase(0, scanned_ + 1);
      scanned_ = start_ = 0;
      return message;
    }
  }
  buf_.erase(0, start_);  // whitespace only
  scanned_ -= start_;
  start_ = 0;
  return std::nullopt;
}

std::string monitor_request(std::int64_t id) {
  const Json request = {{"id", id},
                        {"method", "monitor"},
                        {"params",
                         {"Open_vSwitch",
                          nullptr,
                          {{"Open_vSwitch", {{"columns", {"external_ids"}}}},
                           {"Bridge", {{"columns", {"name", "ports", "datapath_type"}}}},
                           {"Port", {{"columns", {"name", "interfaces"}}}},
                           {"Interface",
                            {{"columns",
                              {"name", "type", "options", "external_ids", "mtu", "mtu_request",
                               "ofport", "error"}}}}}}}};
  return request.dump();
}

std::string echo_request(std::int64_t id) {
  return Json{{"id", id}, {"method", "echo"}, {"params", Json::array()}}.dump();
}

Applied apply_message(std::string_view message, std::int64_t monitor_id, Database& db) {
  const Json j = parse(message);
  if (!j.is_object()) fail("a message that is not a JSON object");
  Applied out;
  auto method = j.find("method");
  if (method != j.end()) {
    if (*method == "echo") {
      out.kind = MessageKind::kEcho;
      auto id = j.find("id");
      auto params = j.find("params");
      out.answer = Json{
          {"id", id == j.end() ? Json() : *id},
          {"result", params == j.end() ? Json::array() : *params},
          {"error",
           nullptr}}.dump(-1, ' ', false, Json::error_handler_t::replace);
      return out;
    }
    if (*method == "update") {
      auto params = j.find("params");
      if (params == j.end() || !params->is_array() || params->size() != 2) {
        fail("an update without its two params");
      }
      apply_updates((*params)[1], db);
      out.kind = MessageKind::kUpdate;
    }
    return out;  // another notification or request: nothing this exporter answers
  }
  auto id = j.find("id");
  if (id == j.end() || !id->is_number_integer()) return out;
  auto error = j.find("error");
  const bool failed = error != j.end() && !error->is_null();
  if (id->get<std::int64_t>() != monitor_id) {
    out.kind = failed ? MessageKind::kOther : MessageKind::kEchoReply;
    return out;
  }
  if (failed) fail("the monitor was refused: " + printable_json(*error).substr(0, 200));
  auto result = j.find("result");
  if (result == j.end()) fail("a monitor reply without its result");
  Database fresh;
  apply_updates(*result, fresh);
  db = std::move(fresh);
  out.kind = MessageKind::kMonitorReply;
  return out;
}

}  // namespace virtnet::ovsdb
