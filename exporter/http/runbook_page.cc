#include <fmt/format.h>

#include <algorithm>

#include "exporter/http/landing_page.h"
#include "exporter/http/runbooks.h"

namespace virtnet {

const RunbookPage* find_runbook(std::string_view alert) {
  const auto pages = runbook_pages();
  auto it = std::lower_bound(pages.begin(), pages.end(), alert,
                             [](const RunbookPage& p, std::string_view a) { return p.alert < a; });
  return it != pages.end() && it->alert == alert ? &*it : nullptr;
}

std::string render_runbook_page(const RunbookPage& page) {
  // Headings as headings; the text between them as written (Markdown reads as it is), wrapped.
  std::string html = html_head(std::string(page.alert)) +
                     "<p><a href=\"/\">virtnet_exporter</a> &middot; <a href=\"/runbooks/\">"
                     "Runbooks</a></p>\n";
  std::string block;
  auto flush = [&] {
    while (!block.empty() && block.back() == '\n') block.pop_back();
    const auto start = block.find_first_not_of('\n');
    if (start != std::string::npos) {
      html += "<pre class=\"md\">" + block.substr(start) + "</pre>\n";
    }
    block.clear();
  };
  std::string_view rest = page.markdown;
  bool fenced = false;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    const auto indent = line.find_first_not_of(' ');
    if (indent != std::string_view::npos && line.substr(indent).starts_with("```")) {
      fenced = !fenced;
    }
    const auto level = line.find_first_not_of('#');
    if (!fenced && level >= 1 && level <= 3 && level < line.size() && line[level] == ' ') {
      flush();
      html += fmt::format("<h{}>{}</h{}>\n", level,
                          html_escape(std::string(line.substr(level + 1))), level);
      continue;
    }
    block += html_escape(std::string(line));  // line by line: the newlines are kept
    block += '\n';
  }
  flush();
  return html + "</body></html>\n";
}

std::string render_runbook_index() {
  std::string html = html_head("virtnet_exporter runbooks") +
                     "<p><a href=\"/\">virtnet_exporter</a></p>\n<h1>Runbooks</h1>\n<ul>\n";
  for (const auto& p : runbook_pages()) {
    const std::string a = html_escape(std::string(p.alert));
    html += fmt::format("<li><a href=\"/runbooks/{}\">{}</a></li>\n", a, a);
  }
  return html + "</ul>\n</body></html>\n";
}

}  // namespace virtnet
