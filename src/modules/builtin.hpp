// Module descriptors, one function per module file.
#pragma once

#include "pipeline/module.hpp"

namespace weir::modules {

pipeline::InputModule sql_poll_module();    // input/sql_poll.cpp
pipeline::InputModule postgres_cdc_module();  // input/postgres_cdc.cpp
pipeline::OutputModule sql_write_module();  // output/sql_write.cpp
pipeline::OutputModule sql_apply_module();  // output/sql_apply.cpp
pipeline::OutputModule jsonl_module();      // output/jsonl.cpp
pipeline::FilterModule sql_call_module();   // filter/sql_call.cpp

}  // namespace weir::modules
