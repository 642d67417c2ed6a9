#include "exporter/sources/proc_walk.h"

#include <charconv>
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

std::shared_ptr<const ThreadList> ProcWalk::threads(const ProcTable& table, const ProcStat& p) {
  std::lock_guard lk(threads_mu_);
  if (table.seq > threads_seq_) {
    threads_.clear();
    threads_seq_ = table.seq;
  }
  const bool current = table.seq == threads_seq_;  // an older walk's threads: read, not kept
  const ProcKey key{p.pid, p.starttime_ticks};
  if (current) {
    if (auto it = threads_.find(key); it != threads_.end()) return it->second;
  }
  auto list = std::make_shared<ThreadList>();
  const std::string task = std::to_string(p.pid) + "/task";
  std::vector<std::int64_t> tids;
  list->status = proc_.list_dir(
      task,
      [&](std::string_view name) {
        std::int64_t tid = 0;
        auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), tid);
        if (ec == std::errc() && end == name.data() + name.size()) tids.push_back(tid);
      },
      &list->err);
  if (list->status == ReadStatus::kOk) {
    list->threads.reserve(tids.size());
    for (auto tid : tids) {
      ThreadSched t{tid, std::nullopt};
      int err = 0;
      if (proc_.read_into(task + "/" + std::to_string(tid) + "/schedstat", thread_buf_, &err) ==
          ReadStatus::kOk) {
        t.sched = parse_schedstat(thread_buf_);
      }
      list->threads.push_back(t);
    }
  }
  if (current) threads_.emplace(key, list);
  return list;
}

std::size_t ProcWalk::walks() const {
  std::lock_guard lk(mu_);
  return walks_;
}

}  // namespace virtnet
