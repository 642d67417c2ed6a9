#pragma once

#include <string>

namespace virtnet {

// A library opened at run time and closed when this goes, rather than linked: what is needed only
// now and then (libpcap's filter compiler, libcurl for diagnose --from) is not resident for the
// exporter's whole life. Throws std::runtime_error naming the package when it cannot be opened,
// or the symbol it lacks.
class SharedLibrary {
 public:
  // The first of `sonames` that opens.
  SharedLibrary(std::initializer_list<const char*> sonames, const std::string& package);
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;
  ~SharedLibrary();

  template <typename F>
  void load(F& fn, const char* name) const {
    fn = reinterpret_cast<F>(symbol(name));
  }

 private:
  void* symbol(const char* name) const;
  void* handle_ = nullptr;
  std::string name_;
};

}  // namespace virtnet
