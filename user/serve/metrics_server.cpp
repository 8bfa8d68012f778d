#include "serve/metrics_server.hpp"

#include <httplib.h>

#include "core/error.hpp"

namespace dw {

MetricsServer::MetricsServer(const std::string& listen)
    : srv_(std::make_unique<httplib::Server>()), text_(std::make_shared<const std::string>()) {
    const auto colon = listen.rfind(':');
    int port = -1;
    if (colon != std::string::npos) {
        try {
            size_t used = 0;
            port = std::stoi(listen.substr(colon + 1), &used);
            if (used != listen.size() - colon - 1) port = -1;
        } catch (const std::exception&) {
            port = -1;
        }
    }
    if (port < 0 || port > 65535)
        throw Error("bad metrics address '" + listen + "'", "give ADDR:PORT, e.g. --metrics 127.0.0.1:9462");
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "0.0.0.0";
    srv_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
        std::shared_ptr<const std::string> t;
        {
            std::lock_guard<std::mutex> g(mu_);
            t = text_;
        }
        res.set_content(*t, "text/plain; version=0.0.4; charset=utf-8");
    });
    srv_->Get("/", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("dscpwatch: metrics at /metrics\n", "text/plain");
    });
    // cpp-httplib's default sets SO_REUSEPORT, which would let a second daemon
    // share the port silently: SO_REUSEADDR only, so "port taken" is an error.
    srv_->set_socket_options([](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    srv_->set_keep_alive_max_count(10);
    srv_->set_read_timeout(5, 0);
    srv_->set_write_timeout(5, 0);
    if (port == 0)
        port_ = srv_->bind_to_any_port(host);
    else
        port_ = srv_->bind_to_port(host, port) ? port : -1;
    if (port_ < 0)
        throw Error("cannot listen for metrics on " + listen,
                    "is the address local and the port free? (ss -ltnp 'sport = :" + std::to_string(port) + "')");
    thread_ = std::thread([this] { srv_->listen_after_bind(); });
}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::publish(std::string text) {
    auto t = std::make_shared<const std::string>(std::move(text));
    std::lock_guard<std::mutex> g(mu_);
    text_ = std::move(t);
}

void MetricsServer::stop() {
    if (thread_.joinable()) {
        srv_->stop();
        thread_.join();
    }
}

}  // namespace dw
