#include "mcp/server.hpp"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cmath>
#include <stop_token>

#include "mcp/json_rpc.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"
#include "weir/secret.hpp"

namespace weir::mcp {

using nlohmann::json;

namespace {

// A count as an integer, a fraction as it is.
json number(double value) {
  return value == std::floor(value) && std::abs(value) < 9e15 ? json(static_cast<std::int64_t>(value)) : json(value);
}

// Thrown past the tool's result when the client cancelled the call: no reply is sent for it.
struct CallCancelled {};

}  // namespace

// A tools/call under way: how to stop it, and the progress it has reported.
struct Server::Running {
  std::string key;  // the request id as JSON text
  std::stop_source stop;
  json progress_token;  // null: the client asked for no progress
  Send send;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::mutex mutex;  // guards what follows
  double reported = 0;
  bool reports_own = false;  // the tool reports progress itself: no heartbeat
  std::chrono::steady_clock::time_point last_sent = started;

  // Sends a progress notification if the client asked for them and `done` has risen.
  void progress(double done, std::optional<double> total, std::string_view message, bool own) {
    if (progress_token.is_null() || !send) return;
    std::lock_guard lock(mutex);
    if (done <= reported) return;  // progress must increase with each notification
    if (own) reports_own = true;
    reported = done;
    last_sent = std::chrono::steady_clock::now();
    json params{{"progressToken", progress_token}, {"progress", number(done)}};
    if (total) params["total"] = number(*total);
    if (!message.empty()) params["message"] = message;
    send(notification_message("notifications/progress", params));
  }
};

std::span<const std::string_view> supported_protocol_versions() {
  static constexpr std::array<std::string_view, 4> versions{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
  return versions;
}

Server::Server(std::vector<Tool> tools, ServerInfo info) : tools_(std::move(tools)), info_(std::move(info)) {}

Server::~Server() = default;

std::shared_ptr<Server::Running> Server::start_call(const json& id, const json& params, const Send& send) {
  auto running = std::make_shared<Running>();
  running->key = id.dump();
  running->send = send;
  if (auto meta = params.find("_meta"); meta != params.end() && meta->is_object())
    if (auto token = meta->find("progressToken"); token != meta->end() && (token->is_string() || token->is_number_integer()))
      running->progress_token = *token;
  std::lock_guard lock(running_mutex_);
  if (cancelled_early_.erase(running->key) || ended_) running->stop.request_stop();
  running_[running->key] = running;
  return running;
}

void Server::end_call(const std::shared_ptr<Running>& running) {
  std::lock_guard lock(running_mutex_);
  auto it = running_.find(running->key);
  if (it != running_.end() && it->second == running) running_.erase(it);
}

bool Server::handle_at_once(std::string_view line, const Send& send) {
  json message, id;
  Incoming in;
  try {
    in = read_message(line, message, id);
  } catch (const RpcError&) {
    return false;  // answered in turn, with the error
  }
  if (in.kind == Incoming::Kind::request && in.method == "ping") {
    send(result_message(*in.id, json::object()));
    return true;
  }
  if (in.kind != Incoming::Kind::notification || in.method != "notifications/cancelled") return false;
  if (!in.params || !in.params->is_object() || !in.params->contains("requestId")) return true;
  std::string key = (*in.params)["requestId"].dump();
  std::shared_ptr<Running> running;
  {
    std::lock_guard lock(running_mutex_);
    if (auto it = running_.find(key); it != running_.end()) {
      running = it->second;
    } else {
      // Not started yet (it waits behind another call), or already answered: remembered, a few.
      if (cancelled_early_.size() >= 256) cancelled_early_.clear();
      cancelled_early_.insert(key);
    }
  }
  // Outside the lock: stopping runs the call's stop callbacks (cancelling a statement takes a
  // round trip).
  if (running) running->stop.request_stop();
  return true;
}

std::vector<std::shared_ptr<Server::Running>> Server::running_calls() {
  std::vector<std::shared_ptr<Running>> calls;
  std::lock_guard lock(running_mutex_);
  for (auto& [key, running] : running_) calls.push_back(running);
  return calls;
}

void Server::end_session() {
  {
    std::lock_guard lock(running_mutex_);
    ended_ = true;
  }
  for (const auto& running : running_calls()) running->stop.request_stop();
}

void Server::heartbeat() {
  auto now = std::chrono::steady_clock::now();
  for (const auto& running : running_calls()) {
    {
      std::lock_guard lock(running->mutex);
      if (running->reports_own || now - running->last_sent < std::chrono::seconds(1)) continue;
    }
    double seconds = std::floor(std::chrono::duration<double>(now - running->started).count());
    running->progress(seconds, std::nullopt, fmt::format("running for {:.0f} s", seconds), false);
  }
}

json Server::initialize(const json& params) {
  // Another type than a string is the client's mistake, not the server's (json::value threw
  // type_error, answered as internal_error).
  auto asked = params.find("protocolVersion");
  if (asked != params.end() && !asked->is_string())
    throw RpcError(RpcCode::invalid_params, "\"protocolVersion\" must be a string");
  const std::string wanted = asked == params.end() ? std::string() : asked->get<std::string>();
  protocol_version_ = std::string(supported_protocol_versions().front());
  for (std::string_view version : supported_protocol_versions())
    if (version == wanted) protocol_version_ = wanted;
  json result{{"protocolVersion", protocol_version_},
              {"capabilities", {{"tools", {{"listChanged", false}}}}},
              {"serverInfo", {{"name", info_.name}, {"version", info_.version}}}};
  if (!info_.instructions.empty()) result["instructions"] = info_.instructions;
  return result;
}

json Server::list_tools() const {
  json tools = json::array();
  for (const Tool& tool : tools_) {
    json entry{{"name", tool.name}, {"description", tool.description}, {"inputSchema", tool.input_schema}};
    if (!tool.output_schema.is_null()) entry["outputSchema"] = tool.output_schema;
    if (!tool.annotations.is_null()) entry["annotations"] = tool.annotations;
    tools.push_back(std::move(entry));
  }
  return json{{"tools", std::move(tools)}};
}

json Server::call_tool(const json& id, const json& params, const Send& send) {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string()) throw RpcError(RpcCode::invalid_params, "tools/call needs a tool \"name\"");
  const Tool* tool = nullptr;
  for (const Tool& t : tools_)
    if (t.name == name->get<std::string>()) tool = &t;
  if (!tool) throw RpcError(RpcCode::invalid_params, fmt::format("unknown tool `{}`", name->get<std::string>()));
  json arguments = params.value("arguments", json::object());
  check_arguments(tool->input_schema, arguments);
  auto running = start_call(id, params, send);
  CallContext context{.stop = running->stop.get_token(),
                      .progress = [running](double done, std::optional<double> total, std::string_view message) {
                        running->progress(done, total, message, true);
                      }};
  json result;
  try {
    ToolOutput output = tool->call(arguments, context);
    result = json{{"content", json::array({{{"type", "text"}, {"text", output.text}}})}, {"isError", false}};
    if (!output.structured.is_null()) result["structuredContent"] = std::move(output.structured);
  } catch (const Error& e) {
    // A failed call is the agent's to read and act on, not a protocol error.
    std::string text = fmt::format("{} error: {}", to_string(e.kind()), redact(e.what()));
    result = json{{"content", json::array({{{"type", "text"}, {"text", text}}})}, {"isError", true}};
  } catch (...) {
    end_call(running);
    throw;
  }
  end_call(running);
  if (running->stop.stop_requested()) throw CallCancelled{};
  return result;
}

json Server::answer(const json& id, const std::string& method, const json& params, const Send& send) {
  if (method == "initialize") return initialize(params);
  if (method == "ping") return json::object();
  if (method == "tools/list") return list_tools();
  if (method == "tools/call") return call_tool(id, params, send);
  throw RpcError(RpcCode::method_not_found, fmt::format("method `{}` is not supported", method));
}

std::optional<std::string> Server::handle(std::string_view line, const Send& send) {
  json message, id;
  try {
    Incoming in = read_message(line, message, id);
    if (in.kind != Incoming::Kind::request) return std::nullopt;  // notifications need no answer
    static const json no_params = json::object();
    const json& params = in.params && in.params->is_object() ? *in.params : no_params;
    return result_message(*in.id, answer(*in.id, in.method, params, send));
  } catch (const CallCancelled&) {
    return std::nullopt;
  } catch (const RpcError& e) {
    return error_message(id, e.code(), e.what());
  } catch (const Error& e) {
    return error_message(id, RpcCode::internal_error, fmt::format("{} error: {}", to_string(e.kind()), redact(e.what())));
  } catch (const std::exception& e) {
    log::error(fmt::format("mcp: internal error answering a request: {}", redact(e.what())));
    return error_message(id, RpcCode::internal_error, "internal error");
  }
}

}  // namespace weir::mcp
