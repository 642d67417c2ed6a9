#pragma once

#include "exporter/collector.h"

namespace virtnet::vrrp {

CollectorInfo vrrp_info();

}  // namespace virtnet::vrrp
