#include "mcp/tool.hpp"

#include <fmt/format.h>

#include "mcp/json_rpc.hpp"

namespace weir::mcp {

using nlohmann::json;

namespace {

bool has_type(const json& value, std::string_view type) {
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "null") return value.is_null();
  return true;
}

void check_value(const json& schema, const json& value, const std::string& path) {
  if (auto type = schema.find("type"); type != schema.end() && type->is_string() &&
                                       !has_type(value, type->get<std::string>()))
    throw RpcError(RpcCode::invalid_params,
                   fmt::format("argument `{}` must be of type {}, not {}", path, type->get<std::string>(),
                               value.type_name()));
  if (auto choices = schema.find("enum"); choices != schema.end() && choices->is_array()) {
    bool found = false;
    for (const json& choice : *choices) found = found || choice == value;
    if (!found) throw RpcError(RpcCode::invalid_params, fmt::format("argument `{}` must be one of {}", path, choices->dump()));
  }
  if (!value.is_object()) return;
  auto properties = schema.find("properties");
  for (const json& name : schema.value("required", json::array()))
    if (name.is_string() && !value.contains(name.get<std::string>()))
      throw RpcError(RpcCode::invalid_params,
                     fmt::format("argument `{}{}` is required", path.empty() ? "" : path + ".", name.get<std::string>()));
  for (const auto& [name, member] : value.items()) {
    std::string inner = path.empty() ? name : path + "." + name;
    if (properties != schema.end() && properties->contains(name)) {
      check_value((*properties)[name], member, inner);
    } else if (schema.value("additionalProperties", true) == false) {
      throw RpcError(RpcCode::invalid_params, fmt::format("unknown argument `{}`", inner));
    }
  }
}

}  // namespace

void check_arguments(const json& schema, const json& arguments) {
  if (!arguments.is_object()) throw RpcError(RpcCode::invalid_params, "\"arguments\" must be an object");
  check_value(schema, arguments, "");
}

json read_only_hints() { return {{"readOnlyHint", true}, {"idempotentHint", true}, {"openWorldHint", false}}; }

std::string optional_string(const json& arguments, const char* name) {
  auto it = arguments.find(name);
  return it == arguments.end() || !it->is_string() ? std::string() : it->get<std::string>();
}

}  // namespace weir::mcp
