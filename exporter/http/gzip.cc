#include "exporter/http/gzip.h"

namespace virtnet {

GzipStream::~GzipStream() {
  if (open_) deflateEnd(&zs_);
}

bool GzipStream::begin(int level) {
  // 15 + 16: a 32 KiB window with a gzip header and trailer, not zlib's.
  if (deflateInit2(&zs_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  open_ = true;
  return true;
}

bool GzipStream::deflate_all(std::string_view in, int flush) {
  if (!open_ || failed_) return false;
  zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs_.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    // Room for about what this piece compresses to; grown until zlib has put out all of it.
    const std::size_t room = std::max<std::size_t>(in.size() / 4, 4096);
    const std::size_t used = out_.size();
    out_.resize(used + room);
    zs_.next_out = reinterpret_cast<Bytef*>(out_.data() + used);
    zs_.avail_out = static_cast<uInt>(room);
    const int rc = deflate(&zs_, flush);
    out_.resize(out_.size() - zs_.avail_out);
    if (rc == Z_STREAM_END) return true;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      failed_ = true;
      return false;
    }
    if (flush == Z_NO_FLUSH && zs_.avail_in == 0 && zs_.avail_out > 0) return true;
  }
}

bool GzipStream::write(std::string_view in) { return deflate_all(in, Z_NO_FLUSH); }

std::optional<std::string> GzipStream::finish() {
  if (!deflate_all({}, Z_FINISH)) return std::nullopt;
  deflateEnd(&zs_);
  open_ = false;
  out_.shrink_to_fit();
  return std::move(out_);
}

}  // namespace virtnet
