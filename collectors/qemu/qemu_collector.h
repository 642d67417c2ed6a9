#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::qemu {

// The `qemu` collector: the qemu processes of the shared /proc walk, their threads by class, and
// their -netdev's vhost state.
CollectorInfo qemu_info();
// The conditions on its series (qemu_conditions.cc).
std::vector<Condition> qemu_conditions();

}  // namespace virtnet::qemu
