#include "collectors/sockstat/sockstat_parse.h"

#include "exporter/common/parse_error.h"

namespace virtnet::sockstat {

std::vector<SockstatLine> parse_sockstat(std::string_view text) {
  std::vector<SockstatLine> out;
  for_each_line(text, [&](std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) {
      throw ParseError("sockstat: no protocol name before ':' in " + quote_line(line));
    }
    SockstatLine entry{std::string(line.substr(0, colon)), {}};
    std::vector<std::string_view> tokens;
    for_each_field(line.substr(colon + 1), [&](std::string_view t) { tokens.push_back(t); });
    if (tokens.size() % 2 != 0) {
      throw ParseError("sockstat: key without value in " + quote_line(line));
    }
    for (std::size_t i = 0; i < tokens.size(); i += 2) {
      entry.fields.emplace_back(std::string(tokens[i]), parse_u64(tokens[i + 1], "sockstat value"));
    }
    out.push_back(std::move(entry));
  });
  return out;
}

namespace {
std::vector<std::uint64_t> parse_numbers(std::string_view text, std::string_view what) {
  std::vector<std::uint64_t> v;
  for_each_field(text, [&](std::string_view t) {
    if (!t.empty() && t.back() == '\n') t.remove_suffix(1);
    if (!t.empty()) v.push_back(parse_u64(t, what));
  });
  return v;
}

std::string_view first_line(std::string_view text) { return text.substr(0, text.find('\n')); }
}  // namespace

TcpMem parse_tcp_mem(std::string_view text) {
  auto v = parse_numbers(first_line(text), "tcp_mem");
  if (v.size() != 3) throw ParseError("tcp_mem: want 3 numbers in " + quote_line(text));
  return {v[0], v[1], v[2]};
}

FileNr parse_file_nr(std::string_view text) {
  auto v = parse_numbers(first_line(text), "file-nr");
  if (v.size() != 3) throw ParseError("file-nr: want 3 numbers in " + quote_line(text));
  return {v[0], v[1], v[2]};
}

std::uint64_t parse_single_u64(std::string_view text, std::string_view what) {
  auto v = parse_numbers(first_line(text), what);
  if (v.size() != 1) throw ParseError(std::string(what) + ": want 1 number in " + quote_line(text));
  return v[0];
}

}  // namespace virtnet::sockstat
