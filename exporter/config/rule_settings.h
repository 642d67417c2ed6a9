#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "exporter/common/condition.h"

namespace virtnet {

// The overrides file of `virtnet_exporter rules --rules.overrides FILE` (and diagnose's): the job
// selector, the runbook URL pattern, and per alert its threshold, `for`, severity, extra
// matchers, or disabled (docs/alerts.md). Throws ConfigError with file:line:column.
RuleSettings parse_rule_settings(const std::string& text, const std::string& file);
RuleSettings load_rule_settings(const std::string& path);

// `job=~"virtnet.*", env="prod"`: label matchers as PromQL writes them inside braces. Throws
// ConfigError saying what is wrong.
std::vector<Matcher> parse_matchers(std::string_view text);

}  // namespace virtnet
