#pragma once

#include "exporter/collector.h"

namespace virtnet::sockstat {

CollectorInfo sockstat_info();

}  // namespace virtnet::sockstat
