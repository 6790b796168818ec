/*
 * What edit resistance costs in hashing time: per image (decoded once,
 * decode excluded), the plain PDQ hash, the query sets of the matching
 * modes (bw_robust.h: dihedral, standard, robust) and the bank set (whole,
 * content boxes, 75 crop regions and 8 bands), single-threaded.
 *   bench_pdq_sets LIST [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bulwark/bulwark.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_pdq_sets LIST [N]\n");
        return 2;
    }
    const int max = argc > 2 ? atoi(argv[2]) : 100;
    FILE *list = fopen(argv[1], "r");
    bw_ctx *ctx;
    bw_pdq_set *set;
    if (!list || bw_ctx_create(&ctx) != BW_OK || bw_pdq_set_create(&set) != BW_OK)
        return 1;
    static const struct {
        const char *name;
        unsigned flags;
    } kinds[] = {
        {"plain hash", BW_PDQ_SET_WHOLE},
        {"dihedral query set", BW_PDQ_SET_DIHEDRAL_QUERY},
        {"standard query set", BW_PDQ_SET_STANDARD_QUERY},
        /* What standard mode would cost with its content boxes turned too. */
        {"  content turned", BW_PDQ_SET_STANDARD_QUERY & ~BW_PDQ_SET_UPRIGHT_CONTENT},
        {"robust query set", BW_PDQ_SET_ROBUST_QUERY},
        {"bank set", BW_PDQ_SET_WHOLE | BW_PDQ_SET_CONTENT | BW_PDQ_SET_REGIONS},
        /* What the tilted hashes of the robust set cost (with the plain hash). */
        {"  tilted alone", BW_PDQ_SET_TILTED},
    };
    enum { KINDS = sizeof kinds / sizeof kinds[0] };
    double seconds[KINDS] = {0};
    size_t hashes[KINDS] = {0};
    int images = 0;
    char path[4096];
    while (images < max && fgets(path, sizeof path, list)) {
        path[strcspn(path, "\n")] = '\0';
        bw_image *img;
        if (bw_image_decode_file(ctx, &img, path) != BW_OK)
            continue;
        for (int k = 0; k < KINDS; k++) {
            const double t0 = now();
            if (bw_pdq_set_compute(ctx, set, kinds[k].flags, img) != BW_OK)
                break;
            seconds[k] += now() - t0;
            hashes[k] += bw_pdq_set_count(set);
        }
        bw_image_free(img);
        images++;
    }
    fclose(list);
    printf("%d images (mean of whole decoded images; decode excluded)\n", images);
    for (int k = 0; k < KINDS && images; k++)
        printf("%-20s %8.2f ms per image  %6.1f hashes per image  (%.1fx the plain hash)\n",
               kinds[k].name, 1000 * seconds[k] / images, (double)hashes[k] / images,
               seconds[k] / seconds[0]);
    bw_pdq_set_free(set);
    bw_ctx_free(ctx);
    return 0;
}
