#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::bpdu {

CollectorInfo bpdu_info();

}  // namespace virtnet::bpdu
