#include "exporter/config/rule_settings.h"

#include <re2/re2.h>

#include "exporter/common/options.h"
#include "exporter/common/parse_error.h"
#include "exporter/config/config.h"
#include "exporter/config/yaml_checked.h"

namespace virtnet {

namespace {

bool name_char(char c, bool first) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (!first && c >= '0' && c <= '9');
}

std::string scalar(const YAML::Node& n, const std::string& file, const std::string& what) {
  if (!n.IsScalar()) throw ConfigError(yaml_at(file, n.Mark()) + what + ": not a string");
  return n.Scalar();
}

}  // namespace

std::vector<Matcher> parse_matchers(std::string_view t) {
  std::vector<Matcher> out;
  std::size_t i = 0;
  auto skip = [&] {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
  };
  auto fail = [&](const std::string& why) -> void {
    throw ConfigError("matchers " + quote_line(t) + ": " + why + " at character " +
                      std::to_string(i + 1));
  };
  skip();
  while (i < t.size()) {
    Matcher m;
    const std::size_t start = i;
    while (i < t.size() && name_char(t[i], i == start)) ++i;
    if (i == start) fail("a label name expected");
    m.label = std::string(t.substr(start, i - start));
    skip();
    for (const char* op : {"=~", "!~", "!=", "="}) {
      if (t.substr(i).starts_with(op)) {
        m.op = op;
        i += m.op.size();
        break;
      }
    }
    if (m.op.empty()) fail("=, !=, =~ or !~ expected");
    skip();
    if (i >= t.size() || t[i] != '"') fail("a double-quoted value expected");
    for (++i; i < t.size() && t[i] != '"'; ++i) {
      if (t[i] == '\\' && i + 1 < t.size()) ++i;
      m.value += t[i];
    }
    if (i >= t.size()) fail("an unterminated value");
    ++i;
    if (m.op == "=~" || m.op == "!~") {
      if (!re2::RE2(m.value, re2::RE2::Quiet).ok()) fail("not a regex: " + quote_line(m.value));
    }
    out.push_back(std::move(m));
    skip();
    if (i < t.size()) {
      if (t[i] != ',') fail("a comma expected");
      ++i;
      skip();
    }
  }
  return out;
}

RuleSettings parse_rule_settings(const std::string& text, const std::string& file) {
  RuleSettings s;
  const YAML::Node root = load_yaml_checked(text, file);
  if (!root || root.IsNull()) return s;
  if (!root.IsMap()) throw ConfigError(yaml_at(file, root.Mark()) + "a map expected");
  // One string of matchers, or a list of them.
  auto matchers = [&](const YAML::Node& n, const std::string& what) {
    std::vector<Matcher> out;
    const auto one = [&](const YAML::Node& item) {
      const std::string one_text = scalar(item, file, what);
      try {
        for (auto& m : parse_matchers(one_text)) out.push_back(std::move(m));
      } catch (const ConfigError& e) {
        throw ConfigError(yaml_at(file, item.Mark()) + what + ": " + e.what());
      }
    };
    if (n.IsSequence()) {
      for (const auto& item : n) one(item);
    } else {
      one(n);
    }
    return out;
  };
  for (const auto& kv : root) {
    const std::string key = yaml_key(kv.first, file);
    if (key == "selector") {
      s.selector = matchers(kv.second, "selector");
    } else if (key == "runbook_url") {
      s.runbook_url = scalar(kv.second, file, "runbook_url");
    } else if (key == "alerts") {
      if (!kv.second.IsMap()) {
        throw ConfigError(yaml_at(file, kv.second.Mark()) + "alerts: a map of alert names");
      }
      for (const auto& a : kv.second) {
        const std::string alert = yaml_key(a.first, file);
        if (!a.second.IsMap()) {
          throw ConfigError(yaml_at(file, a.second.Mark()) + alert + ": a map expected");
        }
        ConditionOverride o;
        for (const auto& f : a.second) {
          const std::string field = yaml_key(f.first, file);
          const std::string what = alert + ": " + field;
          if (field == "threshold") {
            try {
              o.threshold = f.second.as<double>();
            } catch (const YAML::Exception&) {
              throw ConfigError(yaml_at(file, f.second.Mark()) + what + ": not a number");
            }
          } else if (field == "for") {
            o.for_duration = scalar(f.second, file, what);
          } else if (field == "severity") {
            o.severity = scalar(f.second, file, what);
          } else if (field == "matchers") {
            o.matchers = matchers(f.second, what);
          } else if (field == "disabled") {
            try {
              o.disabled = f.second.as<bool>();
            } catch (const YAML::Exception&) {
              throw ConfigError(yaml_at(file, f.second.Mark()) + what + ": true or false");
            }
          } else {
            throw ConfigError(yaml_at(file, f.first.Mark()) + alert + ": unknown field " +
                              quote_line(field) +
                              " (threshold, for, severity, matchers, disabled)");
          }
        }
        s.alerts[alert] = std::move(o);
      }
    } else {
      throw ConfigError(yaml_at(file, kv.first.Mark()) + "unknown key " + quote_line(key) +
                        " (selector, runbook_url, alerts)");
    }
  }
  return s;
}

RuleSettings load_rule_settings(const std::string& path) {
  return parse_rule_settings(read_config_file(path, true), path);
}

}  // namespace virtnet
