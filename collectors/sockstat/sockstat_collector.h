#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::sockstat {

CollectorInfo sockstat_info();

}  // namespace virtnet::sockstat
