#pragma once

#include <zlib.h>

#include <optional>
#include <string>
#include <string_view>

namespace virtnet {

// A gzip stream (RFC 1952) written piece by piece: only the compressed bytes are held, never the
// whole input. zlib's `level`: 1 fastest .. 9 smallest.
class GzipStream {
 public:
  GzipStream() = default;
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;
  ~GzipStream();

  // False if zlib refuses (a bad level, no memory): nothing is written then.
  bool begin(int level);
  // False once zlib has failed; the stream is then unusable.
  bool write(std::string_view in);
  // The whole stream, trailer included; nothing if zlib failed on the way.
  std::optional<std::string> finish();

 private:
  bool deflate_all(std::string_view in, int flush);

  z_stream zs_{};
  bool open_ = false;
  bool failed_ = false;
  std::string out_;
};

}  // namespace virtnet
