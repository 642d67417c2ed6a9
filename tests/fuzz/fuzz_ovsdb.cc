// A stream from ovsdb-server, which the database's writers partly choose (names, external_ids,
// options): cut into messages and applied as the OVSDB source does, in reads of any size. Never
// a crash, a leak or a deep recursion; a message refused leaves the database as it was, and the
// database never holds more rows than the stream had bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exporter/common/parse_error.h"
#include "exporter/sources/ovsdb_parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;  // the read size
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  virtnet::ovsdb::Splitter splitter;
  virtnet::ovsdb::Database db;
  try {
    while (!rest.empty()) {
      const auto n = std::min(chunk, rest.size());
      splitter.feed(rest.substr(0, n));
      rest.remove_prefix(n);
      while (auto m = splitter.next()) {
        const std::size_t rows = db.bridges.size() + db.ports.size() + db.interfaces.size();
        try {
          virtnet::ovsdb::apply_message(*m, 1, db);
        } catch (const virtnet::ParseError&) {
          if (db.bridges.size() + db.ports.size() + db.interfaces.size() != rows) std::abort();
        }
      }
    }
  } catch (const virtnet::ParseError&) {  // the stream itself: the connection would be dropped
  }
  if (db.bridges.size() + db.ports.size() + db.interfaces.size() > size) std::abort();
  return 0;
}
