#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::console {

CollectorInfo console_info();

}  // namespace virtnet::console
