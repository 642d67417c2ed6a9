#pragma once

#include "exporter/collector.h"

namespace virtnet::process {

CollectorInfo process_info();

}  // namespace virtnet::process
