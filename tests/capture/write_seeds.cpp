// Writes the mutation seeds as files into a directory: the fuzzer's corpus.
#include <cstdio>
#include <string>

#include "pcapfile.hpp"
#include "seeds.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    for (const auto& [name, bytes] : dwt::capture_seeds()) dwt::write_bytes(std::string(argv[1]) + "/" + name, bytes);
    return 0;
}
