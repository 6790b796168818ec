/* HTTP for the client: one libcurl request at a time, with timeouts. */
#include <string.h>

#include <curl/curl.h>

#include "chat.h"

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    chat_response *r = arg;
    /* Answers are small JSON or one message: bound them. */
    if (r->body.len + size * n > CHAT_MESSAGE_MAX + 4096 ||
        !chat_buf_append(&r->body, p, size * n))
        return 0;
    return size * n;
}

bool chat_http(const char *method, const char *url, const char *bearer,
               const char *content_type, const void *body, size_t size,
               const char *extra_header, chat_response *response)
{
    memset(response, 0, sizeof *response);
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(response->error, sizeof response->error, "cannot start libcurl");
        return false;
    }
    struct curl_slist *h = NULL;
    char line[512];
    if (bearer) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", bearer);
        h = curl_slist_append(h, line);
    }
    if (content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        h = curl_slist_append(h, line);
    }
    if (extra_header)
        h = curl_slist_append(h, extra_header);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, response);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
    }
    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response->status);
    else
        snprintf(response->error, sizeof response->error, "%s: %s", url,
                 curl_easy_strerror(rc));
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (!response->body.data)
        chat_buf_append(&response->body, "", 0);
    return rc == CURLE_OK;
}

void chat_response_free(chat_response *r)
{
    chat_buf_free(&r->body);
}
