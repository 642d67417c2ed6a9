#include "collectors/libvirt/disk_prober.h"

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

#include "exporter/common/logging.h"
#include "exporter/sources/image_files.h"

namespace virtnet::libvirt {

namespace {
// The head read first: the header, its extensions and the backing name fit in it for any image
// qemu-img writes (the name follows the extensions in the first cluster).
constexpr std::size_t kHeadBytes = 64 * 1024;
constexpr std::size_t kMaxLogged = 4096;
}  // namespace

struct DiskProber::Shared {
  explicit Shared(FsRoot r) : root(std::move(r)) {}
  const FsRoot root;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::uint64_t wanted = 0, done = 0;
  std::vector<DiskJob> jobs;
  std::shared_ptr<const std::map<std::string, Chain>> chains =
      std::make_shared<std::map<std::string, Chain>>();
  std::string current;  // the path being probed
  DiskProber::Clock::time_point since{};
  std::map<std::string, std::uint64_t> rejected;
  std::uint64_t header_reads = 0;
};

namespace {

struct Cached {
  FileStat st;
  ImageHeaderResult header;
};

class Round {
 public:
  Round(DiskProber::Shared& s, std::unordered_map<std::string, Cached>& cache,
        std::set<std::string>& logged)
      : s_(s), cache_(cache), logged_(logged) {}

  Chain run(const DiskJob& j) {
    if (j.live_chain) {
      std::vector<NamedFile> files{{j.source, j.format}};
      files.insert(files.end(), j.backing.begin(), j.backing.end());
      return check_chain(files, [this](const std::string& p, std::string* error) {
        const FileStat st = stat_at(p);
        *error = st.error;
        return to_state(st.state);
      });
    }
    return walk_chain(j.source, j.format,
                      [this](const std::string& p, bool want) { return probe(p, want); });
  }

  void reject(const std::string& reason, const std::string& what) {
    std::lock_guard lk(s_.mu);
    ++s_.rejected[reason];
    if (logged_.size() >= kMaxLogged) logged_.clear();  // bounded: paths come and go
    if (logged_.insert(what).second) log_warn("libvirt: disk chain: " + what);
  }

  std::unordered_map<std::string, Cached> next;  // this round's cache

 private:
  static ImageProbe::State to_state(FileStat::State s) {
    switch (s) {
      case FileStat::State::kPresent:
        return ImageProbe::State::kPresent;
      case FileStat::State::kMissing:
        return ImageProbe::State::kMissing;
      default:
        return ImageProbe::State::kError;
    }
  }

  void at(const std::string& path) {
    std::lock_guard lk(s_.mu);
    s_.current = path;
    s_.since = DiskProber::Clock::now();
  }

  FileStat stat_at(const std::string& path) {
    at(path);
    return stat_file(s_.root.under(path));
  }

  ImageProbe probe(const std::string& path, bool want_header) {
    ImageProbe p;
    const FileStat st = stat_at(path);
    p.state = to_state(st.state);
    p.error = st.error;
    if (st.state != FileStat::State::kPresent) return p;
    p.dev = st.dev;
    p.ino = st.ino;
    if (!want_header) return p;
    if (!st.regular && !st.block) {  // a FIFO or a device named by a header: never opened
      p.header.error = "not a regular file or a block device";
      return p;
    }
    auto it = cache_.find(path);
    if (it != cache_.end() && it->second.st.dev == st.dev && it->second.st.ino == st.ino &&
        it->second.st.size == st.size && it->second.st.mtime == st.mtime) {
      p.header = it->second.header;
    } else {
      // A block device's size is not in stat: unknown, so no name is "past its end".
      p.header = read_header(path, st.block ? UINT64_MAX : st.size);
      if (!p.header.ok) {
        const bool unreadable = p.header.error.rfind("cannot read", 0) == 0;
        reject(unreadable ? "unreadable" : "header", fmt::format("{}: {}", path, p.header.error));
      }
    }
    // A read that failed (EACCES, EIO) is tried again next round; a header that lies is not.
    if (p.header.ok || p.header.error.rfind("cannot read", 0) != 0)
      next[path] = Cached{st, p.header};
    return p;
  }

  ImageHeaderResult read_header(const std::string& path, std::uint64_t size) {
    {
      std::lock_guard lk(s_.mu);
      ++s_.header_reads;
    }
    std::string head, error;
    ImageHeaderResult r;
    if (!read_head(s_.root.under(path), kHeadBytes, &head, &error)) {
      r.error = "cannot read: " + error;
      return r;
    }
    r = parse_image_header(head, size);
    if (!r.ok && r.need > head.size() && r.need <= kMaxHeaderBytes) {
      if (!read_head(s_.root.under(path), r.need, &head, &error)) {
        r.error = "cannot read: " + error;
        return r;
      }
      r = parse_image_header(head, size);
    }
    return r;
  }

  DiskProber::Shared& s_;
  std::unordered_map<std::string, Cached>& cache_;
  std::set<std::string>& logged_;
};

std::string_view problem_name(Chain::Problem p) {
  switch (p) {
    case Chain::Problem::kLoop:
      return "loop";
    case Chain::Problem::kTooDeep:
      return "too_deep";
    case Chain::Problem::kHeader:
      return "header";
    default:
      return "unreadable";
  }
}

void prober_loop(const std::shared_ptr<DiskProber::Shared>& s) {
  std::unordered_map<std::string, Cached> cache;  // by path
  std::set<std::string> logged;                   // each problem logged once
  std::map<std::string, std::string> problems;    // by disk: counted when it changes
  for (;;) {
    std::vector<DiskJob> jobs;
    std::uint64_t ticket;
    {
      std::unique_lock lk(s->mu);
      s->cv.wait(lk, [&] { return s->stop || s->wanted > s->done; });
      if (s->stop) return;
      jobs = s->jobs;
      ticket = s->wanted;
    }
    Round round(*s, cache, logged);
    auto chains = std::make_shared<std::map<std::string, Chain>>();
    std::map<std::string, std::string> now_problems;
    for (const auto& j : jobs) {
      Chain c = round.run(j);
      // A header that lies is counted as it is read (once per inode, size and mtime); the rest
      // once each time a disk's problem changes.
      if (!c.problem.empty()) {
        now_problems[j.key] = c.problem;
        auto old = problems.find(j.key);
        if (c.kind != Chain::Problem::kHeader &&
            (old == problems.end() || old->second != c.problem)) {
          round.reject(std::string(problem_name(c.kind)), c.problem);
        }
      }
      (*chains)[j.key] = std::move(c);
    }
    problems = std::move(now_problems);
    cache = std::move(round.next);
    std::lock_guard lk(s->mu);
    s->chains = std::move(chains);
    s->current.clear();
    s->done = ticket;
    s->cv.notify_all();
  }
}

}  // namespace

DiskProber::DiskProber(FsRoot root) : s_(std::make_shared<Shared>(std::move(root))) {}

DiskProber::~DiskProber() { stop(); }

void DiskProber::start() {
  thread_.start([s = s_](const StopSignal&) { prober_loop(s); });
}

void DiskProber::stop() {
  {
    std::lock_guard lk(s_->mu);
    s_->stop = true;
    s_->cv.notify_all();
  }
  thread_.request_stop();
}

bool DiskProber::join(Clock::time_point deadline) { return thread_.join_until(deadline); }

DiskRound DiskProber::probe(std::vector<DiskJob> jobs, Clock::time_point deadline) {
  std::unique_lock lk(s_->mu);
  std::uint64_t ticket = s_->wanted;
  // While a round is under way (stuck on a dead mount, say), the jobs wait for the next.
  s_->jobs = std::move(jobs);
  ticket = ++s_->wanted;
  s_->cv.notify_all();
  s_->cv.wait_until(lk, deadline, [&] { return s_->done >= ticket || s_->stop; });
  DiskRound r;
  r.chains = s_->chains;
  r.fresh = s_->done >= ticket;
  if (!r.fresh && !s_->current.empty()) {
    r.stuck = fmt::format("{} has not answered in {:.1f} s", s_->current,
                          std::chrono::duration<double>(Clock::now() - s_->since).count());
  }
  r.rejected = s_->rejected;
  r.header_reads = s_->header_reads;
  return r;
}

}  // namespace virtnet::libvirt
