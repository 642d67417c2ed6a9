#include "exporter/sources/shared_library.h"

#include <dlfcn.h>

#include <stdexcept>

namespace virtnet {

SharedLibrary::SharedLibrary(std::initializer_list<const char*> sonames,
                             const std::string& package) {
  std::string why;
  for (const char* so : sonames) {
    handle_ = ::dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (handle_ != nullptr) {
      name_ = so;
      return;
    }
    const char* e = ::dlerror();
    why = e ? e : so;
  }
  throw std::runtime_error("cannot load " + package + ": " + why);
}

SharedLibrary::~SharedLibrary() { ::dlclose(handle_); }

void* SharedLibrary::symbol(const char* name) const {
  void* p = ::dlsym(handle_, name);
  if (p == nullptr) throw std::runtime_error(name_ + " has no " + name);
  return p;
}

}  // namespace virtnet
