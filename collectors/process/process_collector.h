#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::process {

CollectorInfo process_info();

}  // namespace virtnet::process
