#include "exporter/sources/proc_walk.h"

#include <cstring>
#include <unordered_set>

#include "exporter/common/logging.h"
#include "exporter/common/parse_error.h"

namespace virtnet {

std::shared_ptr<ProcWalk> ProcWalk::for_collector(const std::shared_ptr<ProcWalk>& shared,
                                                  const FsRoot& proc) {
  if (shared && shared->root() == proc.root()) return shared;
  return std::make_shared<ProcWalk>(proc, std::chrono::milliseconds(0));
}

std::shared_ptr<const ProcTable> ProcWalk::get() {
  std::lock_guard lk(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (last_ && now - last_->taken < window_) return last_;
  auto t = std::make_shared<ProcTable>();
  std::vector<std::string> pids;
  int err = 0;
  const auto st = proc_.list_dir(
      "",
      [&](std::string_view n) {
        if (!n.empty() && n.find_first_not_of("0123456789") == std::string_view::npos) {
          pids.emplace_back(n);
        }
      },
      &err);
  if (st != ReadStatus::kOk) {
    t->error = "cannot list " + proc_.root() + ": " + std::strerror(err);
  } else {
    t->procs.reserve(pids.size());
    std::unordered_set<std::string> unparsable;
    for (auto& pid : pids) {
      // Gone since the listing (or refused): not in the table.
      if (proc_.read_into(pid + "/stat", buf_, &err) != ReadStatus::kOk) continue;
      try {
        t->procs.push_back(parse_proc_stat(buf_));
      } catch (const ParseError& e) {
        ++t->unparsable;
        // Counted at every walk; logged when a pid's stat first fails to parse, not again while
        // it keeps failing.
        if (!unparsable_.count(pid)) {
          log_warn("cannot parse process file (logged once for this pid)",
                   {{"path", proc_.path(pid + "/stat")}, {"err", e.what()}});
        }
        unparsable.insert(std::move(pid));
      }
    }
    unparsable_ = std::move(unparsable);
  }
  t->seq = ++walks_;
  t->taken = std::chrono::steady_clock::now();  // the window counts from the walk's end
  last_ = std::move(t);
  return last_;
}

std::size_t ProcWalk::walks() const {
  std::lock_guard lk(mu_);
  return walks_;
}

}  // namespace virtnet
