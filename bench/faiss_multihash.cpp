// The comparison point for the PDQ index: faiss's IndexBinaryMultiHash, the
// structure Meta's Hasher-Matcher-Actioner uses for PDQ, on the same dataset
// (make_pdq_dataset) and threshold, single-threaded. Prints build time,
// memory and queries per second, and writes one line per query
// ("count,fnv1a64-of-sorted-ids") so the result sets can be compared with
// bench_pdq_index's. The only C++ in the project; built when Debian's
// libfaiss-dev is present.
//
//   faiss_multihash PREFIX THRESHOLD MAX_QUERIES RESULTS
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

static double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

static long rss_kib()
{
    FILE *f = std::fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        std::fclose(f);
    return kib;
}

static std::vector<uint8_t> load(const char *prefix, const char *ext)
{
    char path[4096];
    std::snprintf(path, sizeof path, "%s.%s", prefix, ext);
    FILE *f = std::fopen(path, "rb");
    if (!f) {
        std::perror(path);
        std::exit(1);
    }
    std::fseek(f, 0, SEEK_END);
    long bytes = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    std::vector<uint8_t> d(bytes);
    if (std::fread(d.data(), 1, bytes, f) != (size_t)bytes) {
        std::perror(path);
        std::exit(1);
    }
    std::fclose(f);
    return d;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        std::fprintf(stderr, "usage: faiss_multihash PREFIX THRESHOLD MAX_QUERIES RESULTS\n");
        return 2;
    }
    omp_set_num_threads(1);
    const int threshold = std::atoi(argv[2]);
    std::vector<uint8_t> hashes = load(argv[1], "hashes");
    std::vector<uint8_t> queries = load(argv[1], "queries");
    const long n = (long)hashes.size() / 32;
    const long nq = std::min((long)queries.size() / 32, std::atol(argv[3]));
    const long rss0 = rss_kib();
    // 16 tables of 16 bits, each probed within floor(T / 16) flips: the
    // same pigeonhole as Bulwark's index, as HMA configures it.
    faiss::IndexBinaryMultiHash index(256, 16, 16);
    index.nflip = threshold / 16;
    double t0 = now();
    index.add(n, hashes.data());
    const double build = now() - t0;
    const long rss1 = rss_kib();
    hashes.clear();
    hashes.shrink_to_fit();

    faiss::RangeSearchResult res(nq);
    t0 = now();
    index.range_search(nq, queries.data(), threshold + 1, &res); // dis < radius
    const double t_query = now() - t0;
    FILE *out = std::fopen(argv[4], "w");
    for (long q = 0; q < nq; q++) {
        std::vector<int64_t> ids(res.labels + res.lims[q], res.labels + res.lims[q + 1]);
        std::sort(ids.begin(), ids.end());
        uint64_t h = 1469598103934665603ull;
        for (int64_t id : ids)
            for (int b = 0; b < 8; b++) {
                h ^= (uint64_t)((id >> (8 * b)) & 0xFF);
                h *= 1099511628211ull;
            }
        std::fprintf(out, "%zu,%016llx\n", ids.size(), (unsigned long long)h);
    }
    std::fclose(out);
    std::printf("faiss IndexBinaryMultiHash(256, 16, 16), nflip %d\n", index.nflip);
    std::printf("build (add)               %8.2f s\n", build);
    std::printf("memory (RSS growth)       %8.1f MiB\n", (rss1 - rss0) / 1024.0);
    std::printf("faiss multi-hash          %10.1f queries/s  (%ld queries)\n", nq / t_query, nq);
    return 0;
}
