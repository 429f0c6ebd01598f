// libcurl for Swift. curl_easy_setopt/getinfo are variadic, which Swift cannot
// call, so these typed, non-variadic shims forward to them.
#ifndef HONGBAO_CCURL_SHIM_H
#define HONGBAO_CCURL_SHIM_H
#include <curl/curl.h>
#include <sys/prctl.h>

// Names the calling thread for the kernel (ps, /proc/…/comm); prctl is variadic too.
static inline int hb_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

typedef size_t (*hb_curl_write_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef size_t (*hb_curl_read_cb)(char *buffer, size_t size, size_t nitems, void *userdata);

static inline CURLcode hb_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hb_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hb_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hb_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hb_curl_setopt_write(CURL *h, CURLoption o, hb_curl_write_cb v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hb_curl_setopt_read(CURL *h, CURLoption o, hb_curl_read_cb v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode hb_curl_setopt_blob(CURL *h, CURLoption o, const void *data, size_t len) {
    struct curl_blob b; b.data = (void *)data; b.len = len; b.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(h, o, &b);
}
static inline CURLcode hb_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode hb_curl_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode hb_curl_getinfo_offt(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode hb_curl_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode hb_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
#endif
