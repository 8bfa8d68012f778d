// The HTTP side of `dscpwatch serve`: GET /metrics returns the last rendered
// Prometheus text (cpp-httplib, on its own thread). The daemon loop publishes
// a new text after every refresh; a scrape never touches the BPF maps.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace dw {

class MetricsServer {
public:
    // "127.0.0.1:9462", "[::1]:9462", ":9462" (all addresses). Binds now:
    // throws dw::Error when the address is bad or taken.
    explicit MetricsServer(const std::string& listen);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    void publish(std::string text);
    void stop();
    int port() const { return port_; }

private:
    std::unique_ptr<httplib::Server> srv_;
    std::thread thread_;
    std::mutex mu_;
    std::shared_ptr<const std::string> text_;
    int port_ = 0;
};

}  // namespace dw
