#pragma once

#include "exporter/scrape/collector.h"

namespace virtnet::vrrp {

CollectorInfo vrrp_info();

}  // namespace virtnet::vrrp
