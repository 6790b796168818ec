/* The transparency charts, drawn on the server as SVG (stats_svg.c). */
#ifndef BULWARKD_STATS_SVG_H
#define BULWARKD_STATS_SVG_H

#include <stddef.h>

#include <bulwark/bulwark.h>

/* Stacked bars: matches per day, by bank. malloc'd; NULL when out of memory. */
char *bwd_svg_matches(const bw_stats_info *s, size_t *size_out);
/* Bars of review outcomes, with the false-positive rate, the median time
 * to review and the self-report counts. malloc'd; NULL when out of memory. */
char *bwd_svg_outcomes(const bw_stats_info *s, size_t *size_out);
/* "YYYY-MM-DD" of a Unix time (UTC). */
void bwd_date(char out[16], int64_t t);

#endif
