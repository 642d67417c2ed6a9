#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::libvirt {

CollectorInfo libvirt_info();

}  // namespace virtnet::libvirt
