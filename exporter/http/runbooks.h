#pragma once

#include <span>
#include <string>
#include <string_view>

namespace virtnet {

// The runbooks of docs/runbooks/, built into the binary (cmake/embed_runbooks.cmake): the
// landing page links each finding to its runbook, and a browser does not follow a file:// link
// from a web page, nor can it reach the docs from a host without a network.
struct RunbookPage {
  std::string_view alert;     // VirtnetVrrpMasterDownGap
  std::string_view markdown;  // the page as shipped
};
std::span<const RunbookPage> runbook_pages();  // sorted by alert

// The runbook of `alert`, or nullptr.
const RunbookPage* find_runbook(std::string_view alert);

// A runbook as an HTML page, and the list of them all (/runbooks/).
std::string render_runbook_page(const RunbookPage& page);
std::string render_runbook_index();

}  // namespace virtnet
