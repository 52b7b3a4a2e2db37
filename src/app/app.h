// The application: what HBF answers, independent of the HTTP engine.
//
// It receives HttpRequests from the server, works out which site they are for
// (apex or a henv, by Host), serves the built-in endpoints, and returns
// HttpResponses. Later layers (henvs, auth, documents, JavaScript) plug in
// here; none of them sees CivetWeb.
//
// Thread safety: Handle() is called concurrently from the server's worker
// threads. Everything set in the constructor is constant afterwards.
#pragma once

#include <chrono>
#include <functional>

#include "core/config.h"
#include "http/host_routing.h"
#include "http/server.h"

namespace hbf {

// Live figures the app reports on /health; supplied by whoever owns them.
struct RuntimeProbe {
  std::function<int()> in_flight_requests = [] { return 0; };
  std::function<bool()> draining = [] { return false; };
  std::function<int()> active_henvs = [] { return 0; };   // henvs with an open database
  std::function<int()> db_connections = [] { return 0; };  // SQLite connections open
};

class App : public RequestHandler {
 public:
  using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

  App(const Config& config, RuntimeProbe probe,
      SteadyNow now = [] { return std::chrono::steady_clock::now(); });

  HttpResponse Handle(HttpRequest& request) override;

 private:
  HttpResponse Health(const HttpRequest& request) const;
  HttpResponse ServeApex(const HttpRequest& request, const RequestContext& ctx);
  HttpResponse ServeHenv(const HttpRequest& request, const RequestContext& ctx);

  const Config config_;
  const RuntimeProbe probe_;
  const SteadyNow now_;
  const std::chrono::steady_clock::time_point started_;
};

// Resident memory of this process in MiB (falls back to peak RSS where
// /proc is absent, e.g. in an empty chroot).
double ProcessMemoryMb();

}  // namespace hbf
