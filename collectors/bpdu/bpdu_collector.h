#pragma once

#include "exporter/collector.h"

namespace virtnet::bpdu {

CollectorInfo bpdu_info();

}  // namespace virtnet::bpdu
