// dw_bench: what the dscpwatch classifier costs per packet.
//
// Every figure comes from BPF_PROG_TEST_RUN. Each case runs three programs on
// the same frames: the classifier, an empty program of the same hook (the fixed
// cost of a test run) and a minimal per-flow reference (bench/reference.bpf.c).
// Two regimes:
//
//   hot       one frame, repeat R (1,000,000; 100,000 with --quick); the figure
//             is the kernel's mean ns per run. Same frame, same flow, warm caches.
//   per-call  a list of pre-built frames, one BPF_PROG_TEST_RUN each (repeat 1);
//             the figure is the mean of the kernel-reported durations, and the
//             wall column is clock_gettime around the whole loop divided by the
//             number of calls (syscall included, nothing subtracted). Each frame
//             is copied in fresh, and consecutive frames hit different flows.
//
// Each measurement is repeated (5 times) with the order of the three programs
// rotated, and the median is reported. The classifier's own event counters are
// read around every case to check that the intended path really ran (e.g. that
// every run was remarked, or that no flow had to be created).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <sched.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bpf/classifier.hpp"
#include "core/error.hpp"
#include "core/frame.hpp"
#include "core/remark_config.hpp"
#include "reference.skel.h"

namespace {

using Frame = std::vector<uint8_t>;

// ---------------------------------------------------------------- options

struct Options {
    bool quick = false;
    bool json = false;
    int cpu = -1;  // -1: the CPU we start on
    uint32_t repeat = 1'000'000;
    int reps = 5;
    size_t calls = 65'536;  // per-call regime: test runs per program per pass
    bool big = true;        // the 1,000,000-flow case
};

void usage(FILE* to) {
    std::fprintf(to,
                 "usage: dw_bench [--quick] [--json] [--cpu N]\n"
                 "  --quick   smoke run: repeat 100,000, fewer per-call runs, no 1M-flow case\n"
                 "  --json    print the results as JSON instead of the table\n"
                 "  --cpu N   pin to CPU N (default: the CPU it starts on)\n"
                 "Needs root: it loads BPF programs and runs them with BPF_PROG_TEST_RUN.\n");
}

// ---------------------------------------------------------------- statistics

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// ---------------------------------------------------------------- programs

struct Prog {
    int fd = -1;
    bool xdp = true;
};

// One BPF_PROG_TEST_RUN. ifindex 1 (lo) for both hooks, no data_out (the frame
// is not copied back), the same way for every program measured.
uint32_t test_run(Prog p, const Frame& f, uint32_t repeat) {
    LIBBPF_OPTS(bpf_test_run_opts, o);
    o.data_in = f.data();
    o.data_size_in = static_cast<uint32_t>(f.size());
    o.repeat = repeat;
    xdp_md xctx{};
    __sk_buff sctx{};
    if (p.xdp) {
        xctx.data_end = static_cast<uint32_t>(f.size());
        xctx.ingress_ifindex = 1;
        o.ctx_in = &xctx;
        o.ctx_size_in = sizeof(xctx);
    } else {
        sctx.ifindex = 1;
        o.ctx_in = &sctx;
        o.ctx_size_in = sizeof(sctx);
    }
    if (int err = bpf_prog_test_run_opts(p.fd, &o)) dw::throw_errno("BPF_PROG_TEST_RUN", err);
    return o.duration;
}

struct RefDeleter {
    void operator()(reference* s) const { reference::destroy(s); }
};
using RefPtr = std::unique_ptr<reference, RefDeleter>;

RefPtr load_reference(uint32_t flow_capacity) {
    RefPtr s(reference::open());
    if (!s) dw::throw_errno("opening the reference BPF object", errno);
    if (int err = bpf_map__set_max_entries(s->maps.ref_flows, flow_capacity))
        dw::throw_errno("sizing the reference flow table", err);
    if (int err = reference::load(s.get())) dw::throw_errno("loading the reference BPF object", err);
    return s;
}

struct Trio {
    Prog empty, ref, dw;
};

Trio trio(const dw::Classifier& c, const reference* r, dw::Hook h) {
    bool xdp = h == dw::Hook::Xdp;
    return Trio{
        .empty = {bpf_program__fd(xdp ? r->progs.xdp_empty : r->progs.tc_empty), xdp},
        .ref = {bpf_program__fd(xdp ? r->progs.xdp_reference : r->progs.tc_reference), xdp},
        .dw = {c.prog_fd(h), xdp},
    };
}

// ---------------------------------------------------------------- frames and flows

struct Flow {
    int family = 4;
    std::array<uint8_t, 16> src{}, dst{};
    uint16_t sport = 0, dport = 0;
    uint8_t proto = IPPROTO_TCP;
    uint8_t dscp = 0;
};

std::string addr_text(int family, const std::array<uint8_t, 16>& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family == 4 ? AF_INET : AF_INET6, a.data(), buf, sizeof(buf));
    return buf;
}

Frame frame_of(const Flow& f) {
    std::string s = addr_text(f.family, f.src), d = addr_text(f.family, f.dst);
    return dw::build_frame(dw::FrameSpec{.family = f.family,
                                         .proto = f.proto,
                                         .src = s,
                                         .dst = d,
                                         .sport = f.sport,
                                         .dport = f.dport,
                                         .dscp = f.dscp,
                                         .tcp_flags = 0x10 /* ACK: no orientation change */});
}

// Flow i of the populated tables: client 10.0.0.0 + i + 1, port 1024 + i % 64000,
// server 198.19.0.10:443. Odd flows are measured in the server-to-client
// direction, so both halves of the canonical ordering are exercised.
Flow table_flow(uint32_t i) {
    Flow f;
    uint32_t client = 0x0a000000u + i + 1;
    std::array<uint8_t, 16> c{}, s{};
    c[0] = static_cast<uint8_t>(client >> 24);
    c[1] = static_cast<uint8_t>(client >> 16);
    c[2] = static_cast<uint8_t>(client >> 8);
    c[3] = static_cast<uint8_t>(client);
    s[0] = 198, s[1] = 19, s[2] = 0, s[3] = 10;
    uint16_t cport = static_cast<uint16_t>(1024 + i % 64000);
    if (i & 1) {
        f.src = s, f.dst = c, f.sport = 443, f.dport = cport;
    } else {
        f.src = c, f.dst = s, f.sport = cport, f.dport = 443;
    }
    return f;
}

// The classifier's canonical key (bpf/flow.h): endpoint A is the smaller
// (address bytes, then port). Sets from_b: the frame was sent by endpoint B.
dw_flow_key canonical_key(const Flow& f, int& from_b) {
    dw_flow_key k{};
    int c = std::memcmp(f.src.data(), f.dst.data(), 16);
    from_b = c > 0 || (c == 0 && f.sport > f.dport);
    const Flow& x = f;
    std::memcpy(k.addr_a, from_b ? x.dst.data() : x.src.data(), 16);
    std::memcpy(k.addr_b, from_b ? x.src.data() : x.dst.data(), 16);
    k.port_a = from_b ? x.dport : x.sport;
    k.port_b = from_b ? x.sport : x.dport;
    k.proto = f.proto;
    k.family = static_cast<uint8_t>(f.family);
    return k;
}

// The reference's key: the 5-tuple as sent, no ordering.
dw_flow_key plain_key(const Flow& f) {
    dw_flow_key k{};
    std::memcpy(k.addr_a, f.src.data(), 16);
    std::memcpy(k.addr_b, f.dst.data(), 16);
    k.port_a = f.sport;
    k.port_b = f.dport;
    k.proto = f.proto;
    k.family = static_cast<uint8_t>(f.family);
    return k;
}

// A live flow record, as if one packet of the flow had been counted already.
dw_flow live_record(const dw_flow_key& k, int from_b, uint8_t dscp, uint32_t len, uint64_t now) {
    dw_flow v{};
    dw_flow_dir& d = v.dir[from_b & 1];
    d.packets = 1;
    d.bytes = len;
    d.slot_tag[0] = dscp + 1u;
    d.slot_packets[0] = 1;
    d.slot_bytes[0] = len;
    d.seen_mask = 1ull << (dscp & 63);
    d.last_dscp = dscp;
    v.first_ns = v.last_ns = now;
    v.first_ifindex = v.last_ifindex = 1;
    v.client = k.port_a < k.port_b ? DW_SIDE_B : DW_SIDE_A;
    v.orient = DW_ORIENT_PORT;
    return v;
}

template <typename V>
void write_entries(int fd, const std::vector<dw_flow_key>& keys, const std::vector<V>& vals, const char* what) {
    constexpr size_t chunk = 8192;
    LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = BPF_ANY);
    for (size_t off = 0; off < keys.size(); off += chunk) {
        uint32_t n = static_cast<uint32_t>(std::min(chunk, keys.size() - off));
        uint32_t done = n;
        int err = bpf_map_update_batch(fd, &keys[off], &vals[off], &done, &bo);
        if (err == 0) continue;
        // No batch support: one element at a time from where the batch stopped.
        for (size_t i = off + (err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP ? 0 : done);
             i < off + n; i++)
            if (bpf_map_update_elem(fd, &keys[i], &vals[i], BPF_ANY) != 0)
                dw::throw_errno(std::string("writing ") + what, errno);
    }
}

// Fills the classifier's table and the reference's table with flows 0..n-1.
void populate(const dw::Classifier& c, const reference* r, uint32_t n, uint32_t frame_len) {
    std::vector<dw_flow_key> ck(n), rk(n);
    std::vector<dw_flow> cv(n);
    std::vector<std::array<uint64_t, 2>> rv(n);
    uint64_t now = now_ns();
    for (uint32_t i = 0; i < n; i++) {
        Flow f = table_flow(i);
        int from_b = 0;
        ck[i] = canonical_key(f, from_b);
        cv[i] = live_record(ck[i], from_b, f.dscp, frame_len, now);
        rk[i] = plain_key(f);
        rv[i] = {1, frame_len};
    }
    write_entries(c.maps().fds().flows, ck, cv, "the classifier flow table");
    write_entries(bpf_map__fd(r->maps.ref_flows), rk, rv, "the reference flow table");
}

// How many of `sample` flows (spread over 0..n-1) are present in each table.
std::pair<uint32_t, uint32_t> present(const dw::Classifier& c, const reference* r, uint32_t n, uint32_t sample) {
    uint32_t in_c = 0, in_r = 0;
    dw_flow v{};
    std::array<uint64_t, 2> rv{};
    for (uint32_t j = 0; j < sample; j++) {
        Flow f = table_flow(static_cast<uint32_t>(uint64_t(j) * n / sample));
        int from_b = 0;
        dw_flow_key k = canonical_key(f, from_b), pk = plain_key(f);
        in_c += bpf_map_lookup_elem(c.maps().fds().flows, &k, &v) == 0;
        in_r += bpf_map_lookup_elem(bpf_map__fd(r->maps.ref_flows), &pk, rv.data()) == 0;
    }
    return {in_c, in_r};
}

// ---------------------------------------------------------------- measurement

struct Figures {
    double empty = 0, ref = 0, dw = 0;             // ns per packet, kernel-measured (median)
    double empty_wall = -1, ref_wall = -1, dw_wall = -1;  // per-call only: wall ns per call
    uint64_t dw_runs = 0;                          // classifier runs, warm-up included
};

// Hot regime: one frame, repeat R, the kernel's mean. Warm-up, then `reps` rounds
// with the program order rotated; median per program.
Figures measure_hot(const Trio& t, const Frame& f, const Options& o) {
    std::array<Prog, 3> progs{t.empty, t.ref, t.dw};
    std::array<std::vector<double>, 3> ns;
    Figures out;
    const uint32_t warm = std::max<uint32_t>(o.repeat / 20, 1000);
    for (const Prog& p : progs) test_run(p, f, warm);
    out.dw_runs += warm;
    for (int rep = 0; rep < o.reps; rep++) {
        for (int j = 0; j < 3; j++) {
            int k = (rep + j) % 3;
            ns[k].push_back(test_run(progs[k], f, o.repeat));
        }
        out.dw_runs += o.repeat;
    }
    out.empty = median(ns[0]);
    out.ref = median(ns[1]);
    out.dw = median(ns[2]);
    return out;
}

// Per-call regime: frames_for(rep) gives the frames of one round; each program
// runs each of them once with repeat 1.
Figures measure_calls(const Trio& t, const std::function<const std::vector<Frame>&(int rep)>& frames_for,
                      const Options& o) {
    std::array<Prog, 3> progs{t.empty, t.ref, t.dw};
    std::array<std::vector<double>, 3> ns, wall;
    Figures out;
    auto pass = [&](Prog p, const std::vector<Frame>& fr, double& kernel, double& w) {
        uint64_t sum = 0;
        uint64_t t0 = now_ns();
        for (const Frame& f : fr) sum += test_run(p, f, 1);
        uint64_t t1 = now_ns();
        kernel = double(sum) / double(fr.size());
        w = double(t1 - t0) / double(fr.size());
    };
    {
        // Warm-up on the first round's frames (the syscall path, the programs' text).
        const auto& fr = frames_for(-1);
        double k, w;
        for (const Prog& p : progs) pass(p, fr, k, w);
        out.dw_runs += fr.size();
    }
    for (int rep = 0; rep < o.reps; rep++) {
        const auto& fr = frames_for(rep);
        for (int j = 0; j < 3; j++) {
            int k = (rep + j) % 3;
            double kn, w;
            pass(progs[k], fr, kn, w);
            ns[k].push_back(kn);
            wall[k].push_back(w);
        }
        out.dw_runs += fr.size();
    }
    out.empty = median(ns[0]);
    out.ref = median(ns[1]);
    out.dw = median(ns[2]);
    out.empty_wall = median(wall[0]);
    out.ref_wall = median(wall[1]);
    out.dw_wall = median(wall[2]);
    return out;
}

// ---------------------------------------------------------------- results

struct Target {
    std::string text;  // e.g. "<= 1.2x ref"
    double value = 0;  // the ratio measured
    double limit = 0;
    std::string context;  // printed next to the verdict, e.g. the reference's own figure
    bool met() const { return value <= limit; }
};

struct Row {
    std::string regime;  // "hot" or "per-call"
    std::string name;
    std::string hook;    // "xdp" or "tc"
    std::string means;   // one line: what the row measures
    Figures fig;
    std::vector<Target> targets;
    std::vector<std::string> problems;  // the intended path did not run as planned
};

Row make_row(std::string regime, std::string name, std::string hook, std::string means) {
    Row r;
    r.regime = std::move(regime);
    r.name = std::move(name);
    r.hook = std::move(hook);
    r.means = std::move(means);
    return r;
}

// Counter deltas of the classifier around one case.
struct Delta {
    dw::Counters before{}, after{};
    uint64_t operator[](dw_cnt i) const { return after[i] - before[i]; }
};

void expect(Row& row, const Delta& d, dw_cnt cnt, uint64_t want, const char* name) {
    if (d[cnt] != want)
        row.problems.push_back(std::string(name) + " counted " + std::to_string(d[cnt]) + ", expected " +
                               std::to_string(want));
}

std::string fmt(const char* f, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, f);
    std::vsnprintf(buf, sizeof(buf), f, ap);
    va_end(ap);
    return buf;
}

std::string machine() {
    utsname u{};
    uname(&u);
    std::string model = "unknown CPU";
    if (FILE* f = std::fopen("/proc/cpuinfo", "r")) {
        char line[512];
        while (std::fgets(line, sizeof(line), f))
            if (std::strncmp(line, "model name", 10) == 0) {
                const char* c = std::strchr(line, ':');
                model = c ? c + 2 : line;
                if (!model.empty() && model.back() == '\n') model.pop_back();
                break;
            }
        std::fclose(f);
    }
    double load[1] = {-1};
    getloadavg(load, 1);
    return fmt("kernel %s, %s, %ld CPUs, load average %.2f", u.release, model.c_str(),
               sysconf(_SC_NPROCESSORS_ONLN), load[0]);
}

void print_table(const std::vector<Row>& rows, const Options& o, int cpu) {
    std::printf("%s\n", machine().c_str());
    std::printf("dw_bench: BPF_PROG_TEST_RUN, CPU %d, median of %d rounds; hot: repeat %u; per-call: %zu calls/round\n",
                cpu, o.reps, o.repeat, o.calls);
    std::printf("ns = ns per packet as the kernel measured it (test-run loop overhead included, nothing subtracted)\n\n");
    std::string regime;
    for (const Row& r : rows) {
        if (r.regime != regime) {
            regime = r.regime;
            if (regime == "hot")
                std::printf("HOT: one frame, kernel repeat loop (same flow every run, caches warm)\n");
            else
                std::printf("\nPER-CALL: repeat 1 per BPF_PROG_TEST_RUN, fresh frame copy each call; "
                            "wall = clock_gettime/call incl. syscall\n");
            std::printf("%-40s %-4s %8s %8s %8s %7s %6s", "case", "hook", "dw ns", "empty", "ref", "x empty",
                        "x ref");
            if (regime != "hot") std::printf(" %9s %9s %9s", "dw wall", "ref wall", "emp wall");
            std::printf("  target\n");
        }
        const Figures& f = r.fig;
        std::printf("%-40s %-4s %8.1f %8.1f %8.1f %7.2f %6.2f", r.name.c_str(), r.hook.c_str(), f.dw, f.empty, f.ref,
                    f.dw / f.empty, f.dw / f.ref);
        if (regime != "hot") std::printf(" %9.0f %9.0f %9.0f", f.dw_wall, f.ref_wall, f.empty_wall);
        std::string t;
        for (const Target& g : r.targets) {
            if (!t.empty()) t += "; ";
            t += fmt("%s: %.2fx %s", g.text.c_str(), g.value, g.met() ? "met" : "MISSED");
            if (!g.context.empty()) t += " (" + g.context + ")";
        }
        std::printf("  %s\n", t.empty() ? "-" : t.c_str());
        for (const auto& p : r.problems) std::printf("    !! %s\n", p.c_str());
    }

    std::printf("\nTargets:\n");
    int met = 0, all = 0;
    for (const Row& r : rows)
        for (const Target& g : r.targets) {
            all++;
            met += g.met();
            std::printf("  %-7s %-9s %-40s %-26s %5.2fx  %s\n", g.met() ? "met" : "MISSED", r.regime.c_str(),
                        r.name.c_str(), g.text.c_str(), g.value, g.context.c_str());
        }
    std::printf("  %d of %d targets met\n", met, all);

    std::printf("\nRows:\n");
    for (const Row& r : rows) std::printf("  %-9s %-40s %s\n", r.regime.c_str(), r.name.c_str(), r.means.c_str());
}

void print_json(const std::vector<Row>& rows, const Options& o, int cpu) {
    nlohmann::json j;
    j["machine"] = machine();
    j["cpu"] = cpu;
    j["rounds"] = o.reps;
    j["repeat"] = o.repeat;
    j["calls_per_round"] = o.calls;
    j["quick"] = o.quick;
    for (const Row& r : rows) {
        nlohmann::json x;
        x["regime"] = r.regime;
        x["case"] = r.name;
        x["hook"] = r.hook;
        x["means"] = r.means;
        x["ns"] = {{"dw", r.fig.dw}, {"empty", r.fig.empty}, {"ref", r.fig.ref}};
        x["ratio_empty"] = r.fig.dw / r.fig.empty;
        x["ratio_ref"] = r.fig.dw / r.fig.ref;
        if (r.fig.dw_wall >= 0)
            x["wall_ns_per_call"] = {{"dw", r.fig.dw_wall}, {"empty", r.fig.empty_wall}, {"ref", r.fig.ref_wall}};
        x["targets"] = nlohmann::json::array();
        for (const Target& g : r.targets)
            x["targets"].push_back({{"target", g.text},
                                    {"value", g.value},
                                    {"limit", g.limit},
                                    {"met", g.met()},
                                    {"context", g.context}});
        x["problems"] = r.problems;
        j["rows"].push_back(x);
    }
    std::printf("%s\n", j.dump(2).c_str());
}

// ---------------------------------------------------------------- the cases

constexpr double kCountLimit = 1.2;
constexpr double kRemarkLimit = 1.3;
constexpr double kScaleLimit = 2.0;

Target vs_ref(const Figures& f, double limit) {
    return Target{fmt("<= %.1fx ref", limit), f.dw / f.ref, limit, {}};
}

Flow base_flow(int family, uint8_t dscp) {
    Flow f;
    f.family = family;
    f.dscp = dscp;
    if (family == 4) {
        inet_pton(AF_INET, "198.18.0.1", f.src.data());
        inet_pton(AF_INET, "198.19.0.10", f.dst.data());
    } else {
        inet_pton(AF_INET6, "2001:db8::1", f.src.data());
        inet_pton(AF_INET6, "2001:db8:1::10", f.dst.data());
    }
    f.sport = 40000;
    f.dport = 443;
    return f;
}

constexpr uint8_t kEF = 46;

std::vector<Row> run_all(const Options& o) {
    std::vector<Row> rows;
    auto log = [&](const std::string& s) {
        std::fprintf(stderr, "dw_bench: %s\n", s.c_str());
    };

    // ---- single-flow cases on one classifier and one reference ----
    {
        auto cls = dw::Classifier::load();
        RefPtr ref = load_reference(DW_FLOWS_DEFAULT);
        auto& maps = cls->maps();
        const Trio x = trio(*cls, ref.get(), dw::Hook::Xdp);
        const Trio tc = trio(*cls, ref.get(), dw::Hook::TcIngress);

        auto hot = [&](const std::string& name, const std::string& hook, const Trio& t, const Frame& f,
                       const dw::RemarkConfig& cfg, std::string means,
                       const std::function<void(Row&, const Delta&)>& check) {
            log("hot: " + name + " (" + hook + ")");
            maps.publish(cfg);
            Row row = make_row("hot", name, hook, std::move(means));
            Delta d;
            d.before = maps.counters();
            row.fig = measure_hot(t, f, o);
            d.after = maps.counters();
            expect(row, d, DW_CNT_FRAMES, row.fig.dw_runs, "frames");
            check(row, d);
            rows.push_back(std::move(row));
            return &rows.back();
        };

        const dw::RemarkConfig off{};
        dw::RemarkConfig zero;
        zero.mode = dw::RemarkMode::Zero;
        // EF <-> CS0: the frame (rewritten in place by each run of the repeat loop)
        // is rewritten again by the next run, so every run takes the remark path.
        dw::RemarkConfig swap;
        swap.mode = dw::RemarkMode::Map;
        swap.map[kEF] = 0;
        swap.map[0] = kEF;
        dw::RemarkConfig exempt = zero;
        exempt.exempt_prefixes.push_back(dw::parse_prefix("198.18.0.0/15"));

        const Frame v4 = frame_of(base_flow(4, 0));
        const Frame v6 = frame_of(base_flow(6, 0));
        const Frame v4ef = frame_of(base_flow(4, kEF));
        const Frame arp = dw::build_arp_frame();
        auto no_remark = [](Row& r, const Delta& d) { expect(r, d, DW_CNT_REMARKED, 0, "remarked"); };

        Row* r = hot("count-only IPv4 TCP", "xdp", x, v4, off,
                     "remark off; IPv4/TCP CS0 frame of an existing flow: parse, counters, flow update",
                     [&](Row& r, const Delta& d) {
                         no_remark(r, d);
                         expect(r, d, DW_CNT_IPV4, r.fig.dw_runs, "ipv4");
                     });
        r->targets.push_back(vs_ref(r->fig, kCountLimit));

        r = hot("count-only IPv6 TCP", "xdp", x, v6, off, "as above, IPv6 (no extension headers)",
                [&](Row& r, const Delta& d) {
                    no_remark(r, d);
                    expect(r, d, DW_CNT_IPV6, r.fig.dw_runs, "ipv6");
                });
        r->targets.push_back(vs_ref(r->fig, kCountLimit));

        r = hot("remark EF->CS0, every run rewrites", "xdp", x, v4ef, swap,
                "map mode EF->CS0 and CS0->EF: the repeat loop reuses the rewritten buffer, so each run "
                "rewrites (IPv4 DSCP + checksum) and counts a remark",
                [&](Row& r, const Delta& d) { expect(r, d, DW_CNT_REMARKED, r.fig.dw_runs, "remarked"); });
        r->targets.push_back(vs_ref(r->fig, kRemarkLimit));

        r = hot("remark zero on, CS0 frame (no rewrite)", "xdp", x, v4, zero,
                "zero mode published, frame already CS0: the remark decision runs, nothing to rewrite", no_remark);
        r->targets.push_back(vs_ref(r->fig, kRemarkLimit));

        r = hot("remark zero, EF frame exempt by prefix", "xdp", x, v4ef, exempt,
                "zero mode, EF frame whose source is in an exempt /15: decision plus LPM lookup, no rewrite",
                [&](Row& r, const Delta& d) {
                    no_remark(r, d);
                    expect(r, d, DW_CNT_EXEMPT_PREFIX, r.fig.dw_runs, "exempt_prefix");
                });
        r->targets.push_back(vs_ref(r->fig, kRemarkLimit));

        hot("non-IP (ARP)", "xdp", x, arp, off,
            "ARP frame: L2 parse and the non-IP counters only (the reference returns at once)",
            [&](Row& r, const Delta& d) { expect(r, d, DW_CNT_NONIP, r.fig.dw_runs, "nonip"); });

        r = hot("count-only IPv4 TCP", "tc", tc, v4, off,
                "tc ingress entry point (skb), ratios against the tc empty and tc reference programs",
                [&](Row& r, const Delta& d) {
                    no_remark(r, d);
                    expect(r, d, DW_CNT_IPV4, r.fig.dw_runs, "ipv4");
                });
        r->targets.push_back(vs_ref(r->fig, kCountLimit));

        // Per-call: remark zero on an EF frame. Each call copies the EF frame in
        // anew, so every run rewrites it in zero mode.
        {
            log("per-call: remark zero EF->CS0");
            maps.publish(zero);
            std::vector<Frame> frames(o.calls, v4ef);
            Row row = make_row("per-call", "remark zero EF->CS0", "xdp", "zero mode, the same EF flow; each call gets a fresh EF copy, so every run rewrites "
                             "(the honest zero-mode figure; repeat would rewrite only the first run)");
            Delta d;
            d.before = maps.counters();
            row.fig = measure_calls(x, [&](int) -> const std::vector<Frame>& { return frames; }, o);
            d.after = maps.counters();
            expect(row, d, DW_CNT_REMARKED, row.fig.dw_runs, "remarked");
            row.targets.push_back(vs_ref(row.fig, kRemarkLimit));
            rows.push_back(std::move(row));
        }
    }

    // ---- flow tables holding N live flows ----
    std::vector<uint32_t> sizes{1, 10'000};
    if (o.big) sizes.push_back(1'000'000);
    const uint32_t frame_len = static_cast<uint32_t>(frame_of(table_flow(0)).size());
    std::vector<Row> hot_rows, call_rows;
    for (uint32_t n : sizes) {
        const uint32_t cap = n > DW_FLOWS_DEFAULT / 2 ? 2'000'000u : DW_FLOWS_DEFAULT;
        log("flow table: " + std::to_string(n) + " live flows (capacity " + std::to_string(cap) + ")");
        auto cls = dw::Classifier::load(dw::LoadOptions{.flow_capacity = cap});
        RefPtr ref = load_reference(cap);
        auto& maps = cls->maps();
        const Trio x = trio(*cls, ref.get(), dw::Hook::Xdp);
        uint64_t t0 = now_ns();
        populate(*cls, ref.get(), n, frame_len);
        log(fmt("  populated both tables in %.2f s", double(now_ns() - t0) / 1e9));
        const uint32_t sample = std::min<uint32_t>(n, 1000);
        auto [in_c, in_r] = present(*cls, ref.get(), n, sample);
        std::string label = n == 1 ? "flows: 1 live flow" : fmt("flows: %u live flows", n);

        // Hot: one live flow (the middle one), repeat R.
        {
            Row row = make_row("hot", label, "xdp", "count-only; table pre-filled with N live flows (both programs); one of them, repeat R");
            if (in_c != sample || in_r != sample)
                row.problems.push_back(fmt("only %u/%u (classifier) and %u/%u (reference) sampled flows present",
                                           in_c, sample, in_r, sample));
            Frame f = frame_of(table_flow(n / 2));
            Delta d;
            d.before = maps.counters();
            row.fig = measure_hot(x, f, o);
            d.after = maps.counters();
            expect(row, d, DW_CNT_FLOW_NEW, 0, "flow_new");
            row.targets.push_back(vs_ref(row.fig, kCountLimit));
            hot_rows.push_back(std::move(row));
        }

        // Per-call: cycle through distinct live flows in a random order. With
        // 10,000 flows the round wraps around the table; with 1,000,000 each
        // round uses its own slice of a permutation, so no flow is hit twice.
        {
            std::vector<uint32_t> perm(n);
            std::iota(perm.begin(), perm.end(), 0u);
            std::mt19937 rng(12345);
            std::shuffle(perm.begin(), perm.end(), rng);
            std::vector<Frame> frames;
            int built_for = -2;
            auto frames_for = [&](int rep) -> const std::vector<Frame>& {
                if (rep == built_for) return frames;
                // rep -1 (warm-up) uses the last round's slice so it never pre-warms a measured round.
                size_t start = (rep < 0 ? size_t(o.reps) : size_t(rep)) * o.calls;
                frames.resize(o.calls);
                for (size_t j = 0; j < o.calls; j++) frames[j] = frame_of(table_flow(perm[(start + j) % n]));
                built_for = rep;
                return frames;
            };
            Row row = make_row("per-call", label, "xdp", n == 1 ? "count-only; one live flow, the same frame every call (per-call baseline)"
                                    : "count-only; each call a different live flow in random order (cache-cold "
                                      "for large N)");
            Delta d;
            d.before = maps.counters();
            row.fig = measure_calls(x, frames_for, o);
            d.after = maps.counters();
            expect(row, d, DW_CNT_FLOW_NEW, 0, "flow_new");
            expect(row, d, DW_CNT_FLOW_INSERT_FAIL, 0, "flow_insert_fail");
            // The reference must have hit its pre-filled entries too (packets > 1).
            uint32_t ref_hits = 0, probe = std::min<size_t>(64, frames.size());
            for (uint32_t j = 0; j < probe; j++) {
                Flow f = table_flow(perm[(size_t(o.reps - 1) * o.calls + j) % n]);
                dw_flow_key k = plain_key(f);
                std::array<uint64_t, 2> v{};
                if (bpf_map_lookup_elem(bpf_map__fd(ref->maps.ref_flows), &k, v.data()) == 0 && v[0] > 1)
                    ref_hits++;
            }
            if (ref_hits != probe)
                row.problems.push_back(fmt("reference: only %u/%u probed flows were counted in place", ref_hits,
                                           probe));
            row.targets.push_back(vs_ref(row.fig, kCountLimit));
            call_rows.push_back(std::move(row));
        }
    }
    // At N flows vs at 1 flow, in each regime.
    for (auto* set : {&hot_rows, &call_rows}) {
        const Figures one = set->front().fig;
        for (size_t i = 1; i < set->size(); i++) {
            Row& r = (*set)[i];
            if (r.name.find("1000000") != std::string::npos)
                r.targets.push_back(Target{"<= 2x the 1-flow cost", r.fig.dw / one.dw, kScaleLimit,
                                           fmt("reference: %.2fx", r.fig.ref / one.ref)});
        }
    }
    // Order: all hot rows, then all per-call rows.
    std::vector<Row> out;
    for (auto& r : rows)
        if (r.regime == "hot") out.push_back(r);
    for (auto& r : hot_rows) out.push_back(r);
    for (auto& r : rows)
        if (r.regime != "hot") out.push_back(r);
    for (auto& r : call_rows) out.push_back(r);
    return out;
}

int libbpf_quiet(enum libbpf_print_level level, const char* f, va_list ap) {
    if (level != LIBBPF_WARN) return 0;
    return std::vfprintf(stderr, f, ap);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; i++) {
        std::string_view a = argv[i];
        if (a == "--quick") {
            o.quick = true;
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--cpu" && i + 1 < argc) {
            char* end = nullptr;
            long v = std::strtol(argv[++i], &end, 10);
            if (*argv[i] == 0 || *end != 0 || v < 0 || v >= CPU_SETSIZE) {
                std::fprintf(stderr, "dw_bench: --cpu wants a CPU number, not '%s'\n", argv[i]);
                return 2;
            }
            o.cpu = static_cast<int>(v);
        } else if (a == "-h" || a == "--help") {
            usage(stdout);
            return 0;
        } else {
            std::fprintf(stderr, "dw_bench: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (o.quick) {
        o.repeat = 100'000;
        o.calls = 16'384;
        o.big = false;
    }

    if (geteuid() != 0) {
        std::fprintf(stderr,
                     "dw_bench: must run as root: it loads BPF programs and runs them with BPF_PROG_TEST_RUN.\n"
                     "          try: sudo %s%s\n",
                     argv[0], o.quick ? " --quick" : "");
        return 1;
    }

    int cpu = o.cpu >= 0 ? o.cpu : sched_getcpu();
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        std::fprintf(stderr, "dw_bench: cannot pin to CPU %d: %s\n", cpu, std::strerror(errno));
        return 1;
    }
    libbpf_set_print(libbpf_quiet);

    try {
        dw::require_bpf_privileges();
        std::vector<Row> rows = run_all(o);
        if (o.json)
            print_json(rows, o, cpu);
        else
            print_table(rows, o, cpu);
        for (const Row& r : rows)
            if (!r.problems.empty()) return 3;  // a figure did not measure what it claims
    } catch (const dw::Error& e) {
        std::fprintf(stderr, "dw_bench: %s\n", e.line().c_str());
        return 1;
    }
    return 0;
}
