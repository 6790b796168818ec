/*
 * libFuzzer targets for what review reads from outside: with
 * BW_FUZZ_VAULT the sealed-file reader (any bytes in the media directory
 * must be refused cleanly, never opened), otherwise the report renderers
 * fed a hostile platform context and reporter (the XML must always be
 * well-formed, the JSON always parse). Without libFuzzer, replay.c runs
 * them over the committed corpus in the normal test run.
 *
 * Input of the report target: context JSON, a NUL, reporter JSON, a NUL,
 * the upload's hashes JSON (missing parts are empty objects).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bulwark/bulwark.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef BW_FUZZ_VAULT
#include <sys/stat.h>

static char dir[64], key[96];

static void cleanup(void)
{
    unlink(key);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char ref[] = "00112233445566778899aabbccddeeff";
    if (!*dir) {
        snprintf(dir, sizeof dir, "/tmp/bw-fuzz-vault-%d", (int)getpid());
        snprintf(key, sizeof key, "%s.key", dir);
        FILE *k = fopen(key, "wb");
        if (!k)
            abort();
        fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", k);
        fclose(k);
        chmod(key, 0600);
        atexit(cleanup);
    }
    bw_ctx *ctx;
    bw_vault *v = NULL;
    if (bw_ctx_create(&ctx) != BW_OK)
        return 0;
    bw_ctx_set_limit(ctx, BW_LIMIT_INPUT_BYTES, 1 << 20);
    if (bw_vault_open(ctx, &v, dir, key) == BW_OK) {
        char path[160];
        snprintf(path, sizeof path, "%s/%s.bwm", dir, ref);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(data, 1, size, f);
            fclose(f);
            uint8_t *plain = NULL;
            size_t n = 0;
            /* Forging a tag is not what a fuzzer finds: nothing opens. */
            if (bw_vault_get(ctx, v, &plain, &n, ref) == BW_OK)
                abort();
            bw_vault_delete(ctx, v, ref);
        }
    }
    bw_vault_close(v);
    bw_ctx_free(ctx);
    return 0;
}
#else
#include <jansson.h>
#include <libxml/parser.h>

#include "service/review_internal.h"

static json_t *part(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nul = memchr(*p, 0, (size_t)(end - *p));
    const uint8_t *stop = nul ? nul : end;
    json_t *j = json_loadb((const char *)*p, (size_t)(stop - *p), 0, NULL);
    *p = nul ? nul + 1 : end;
    if (!json_is_object(j)) {
        json_decref(j);
        j = json_object();
    }
    return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    bwi_report_input in;
    memset(&in, 0, sizeof in);
    in.id = 7;
    in.at = 1700000000;
    in.reviewed_at = 1700000600;
    in.reviewer_key = 3;
    in.context = part(&p, end);
    in.reporter = part(&p, end);
    in.query = part(&p, end);
    in.matches = json_pack("[{s:s, s:s, s:s, s:s, s:i}]", "bank", "known", "bank_kind", "block",
                           "signal_type", "pdq", "value", "ab", "distance", 3);
    in.media_viewed = size & 1;
    bw_ctx *ctx;
    if (bw_ctx_create(&ctx) != BW_OK)
        abort();
    bwi_text xml = {NULL, 0, 0, false}, js = {NULL, 0, 0, false};
    if (bwi_report_xml(ctx, &xml, &in) != BW_OK || bwi_report_json(ctx, &js, &in) != BW_OK ||
        xml.failed || js.failed)
        abort();
    xmlDocPtr doc = xmlReadMemory(xml.data, (int)xml.len, "report.xml", "UTF-8",
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) /* hostile text must never break the document */
        abort();
    xmlFreeDoc(doc);
    json_t *back = json_loadb(js.data, js.len, 0, NULL);
    if (!back)
        abort();
    json_decref(back);
    bwi_text_free(&xml);
    bwi_text_free(&js);
    json_decref(in.context);
    json_decref(in.reporter);
    json_decref(in.query);
    json_decref(in.matches);
    bw_ctx_free(ctx);
    return 0;
}
#endif
