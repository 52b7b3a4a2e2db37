#include "http/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "http/connection_limiter.h"
#include "http/dispatcher.h"
#include "http/io_loop.h"
#include "http/socket_address.h"

namespace hbf {

namespace {

// The loops' listeners share the port through SO_REUSEPORT, which would also
// let a second hbf (same user) join the group silently and take half the
// connections. A plain bind first says whether anyone else holds the port.
std::string PortTaken(const std::string& bind, uint16_t port) {
  int fd = ::socket(IsIpv6(bind) ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int err = BindNumeric(fd, bind, port);
  ::close(fd);
  return err == 0 ? std::string() : DescribeBindError(err);
}

}  // namespace

HttpServer::HttpServer(ServerOptions options, RequestHandler& handler)
    : options_(std::move(options)), handler_(handler) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (options_.port != 0) {
    if (std::string why = PortTaken(options_.bind, options_.port); !why.empty()) {
      const bool ipv6 = IsIpv6(options_.bind);
      return Error{"listen_failed", "cannot listen on " + (ipv6 ? "[" + options_.bind + "]" : options_.bind) + ":" +
                                        std::to_string(options_.port) + ": " + why, 1};
    }
  }
  limiter_ = std::make_unique<ConnectionLimiter>(options_.max_connections, options_.max_connections_per_ip);
  DispatcherOptions dispatch;
  dispatch.threads = options_.handler_threads;
  dispatch.per_key_limit = options_.per_key_concurrency;
  dispatch.running_target = options_.running_threads;
  dispatch.queue_timeout = options_.queue_timeout;
  dispatch.shards = options_.dispatch_shards;
  dispatcher_ = std::make_unique<Dispatcher>(dispatch);

  const int loops = options_.io_threads < 1 ? 1 : options_.io_threads;
  uint16_t port = options_.port;
  for (int i = 0; i < loops; ++i) {
    auto loop = std::make_shared<IoLoop>(options_, handler_, *dispatcher_, *limiter_, draining_);
    uint16_t bound = 0;
    if (Status listening = loop->Listen(port, bound); !listening.ok()) {
      loops_.clear();
      dispatcher_->Stop();
      dispatcher_.reset();
      return listening;
    }
    port = bound;  // the others join the first loop's port (SO_REUSEPORT)
    loops_.push_back(std::move(loop));
  }
  bound_port_ = port;
  for (size_t i = 0; i < loops_.size(); ++i) loops_[i]->Start(static_cast<int>(i));
  running_ = true;
  return Ok{};
}

void HttpServer::BeginDrain() { draining_.store(true); }

bool HttpServer::WaitIdle(std::chrono::milliseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (in_flight() == 0) return true;
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void HttpServer::Stop() {
  if (!running_) return;
  running_ = false;
  draining_.store(true);
  // Handlers first: their responses still have loops to go to.
  dispatcher_->Stop();
  for (auto& loop : loops_) loop->Stop();
  loops_.clear();
  // dispatcher_ lives on (stopped) until destruction: Post() may still be called.
}

namespace {
class PostedTask : public DispatchJob {
 public:
  explicit PostedTask(std::function<void()> task) : task_(std::move(task)) {}
  void Run() override { task_(); }
  // Already admitted work (a request that was running): it goes on even
  // past the queue timeout, which is for new requests.
  void Expire() override { task_(); }

 private:
  std::function<void()> task_;
};
}  // namespace

void HttpServer::Post(const std::string& key, std::function<void()> task) {
  if (!dispatcher_) {
    task();
    return;
  }
  dispatcher_->Submit(key, std::make_unique<PostedTask>(std::move(task)));
}

int HttpServer::in_flight() const {
  int total = 0;
  for (const auto& loop : loops_) total += loop->in_flight();
  return total;
}


}  // namespace hbf
