/* The safetensors format (Hugging Face): an 8-byte little-endian header
 * length, a JSON header naming each tensor's dtype, shape and byte range, then
 * the raw data. The reader trusts nothing in the file. */
#include "agentft/checkpoint.h"
#include "agentft/fileio.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Hugging Face's own reader refuses headers over 100 MB; so do we. */
#define MAX_HEADER ((uint64_t)100000000)
/* Integers above 2^53 do not survive a JSON double. */
#define MAX_JSON_INT 9007199254740992.0

static const struct {
    const char *name;
    aft_dtype dtype;
    size_t size;
} dtypes[] = {
    {"F32", AFT_DT_F32, 4}, {"F16", AFT_DT_F16, 2}, {"BF16", AFT_DT_BF16, 2},
    {"I8", AFT_DT_I8, 1},   {"I32", AFT_DT_I32, 4}, {"I64", AFT_DT_I64, 8},
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

static size_t dtype_size(aft_dtype dt)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == dt)
            return dtypes[i].size;
    return 0;
}

static const char *dtype_name(aft_dtype dt)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == dt)
            return dtypes[i].name;
    return NULL;
}

/* Bytes of a tensor of this shape, or -1 on overflow. */
static int shape_bytes(const size_t *shape, int ndim, size_t elem, size_t *out)
{
    size_t n = elem;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] != 0 && n > SIZE_MAX / shape[i])
            return -1;
        n *= shape[i];
    }
    *out = n;
    return 0;
}

static int cmp_by_name(const void *a, const void *b)
{
    return strcmp(((const aft_st_tensor *)a)->name, ((const aft_st_tensor *)b)->name);
}

static int cmp_ptr_by_name(const void *a, const void *b)
{
    return strcmp((*(const aft_st_tensor *const *)a)->name, (*(const aft_st_tensor *const *)b)->name);
}

static int cmp_ptr_by_data(const void *a, const void *b)
{
    const char *x = (*(const aft_st_tensor *const *)a)->data;
    const char *y = (*(const aft_st_tensor *const *)b)->data;
    return x < y ? -1 : x > y;
}

/* ---- reading ---- */

/* A JSON number that is a whole number in [0, 2^53]. */
static int json_size(const cJSON *j, size_t *out)
{
    if (!cJSON_IsNumber(j))
        return -1;
    double d = j->valuedouble;
    if (!(d >= 0 && d <= MAX_JSON_INT) || d != (double)(uint64_t)d || (uint64_t)d > SIZE_MAX)
        return -1;
    *out = (size_t)d;
    return 0;
}

static int parse_dtype(const char *path, const char *name, const cJSON *j, aft_st_tensor *t,
                       aft_error *err)
{
    if (!cJSON_IsString(j))
        return aft_error_set(err, "%s: tensor \"%s\": \"dtype\" is missing or not a string", path, name);
    for (size_t i = 0; i < N_DTYPES; i++)
        if (strcmp(j->valuestring, dtypes[i].name) == 0) {
            t->dtype = dtypes[i].dtype;
            return 0;
        }
    return aft_error_set(err, "%s: tensor \"%s\": dtype \"%.32s\" is not supported "
                         "(F32, F16, BF16, I8, I32, I64)", path, name, j->valuestring);
}

static int parse_shape(const char *path, const char *name, const cJSON *j, aft_st_tensor *t,
                       aft_error *err)
{
    if (!cJSON_IsArray(j))
        return aft_error_set(err, "%s: tensor \"%s\": \"shape\" is missing or not an array", path, name);
    int n = cJSON_GetArraySize(j);
    if (n > 8)
        return aft_error_set(err, "%s: tensor \"%s\": %d dimensions (at most 8 are supported)",
                             path, name, n);
    t->ndim = 0;
    for (const cJSON *d = j->child; d; d = d->next)
        if (json_size(d, &t->shape[t->ndim++]) < 0)
            return aft_error_set(err, "%s: tensor \"%s\": shape entry %d is not a non-negative "
                                 "integer", path, name, t->ndim - 1);
    return 0;
}

/* The tensor's byte range [begin, end) inside a data area of data_size bytes. */
static int parse_range(const char *path, const char *name, const cJSON *j, size_t data_size,
                       size_t *begin, size_t *end, aft_error *err)
{
    if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) != 2 || json_size(j->child, begin) < 0 ||
        json_size(j->child->next, end) < 0)
        return aft_error_set(err, "%s: tensor \"%s\": \"data_offsets\" must be [begin, end] "
                             "with non-negative integers", path, name);
    if (*begin > *end || *end > data_size)
        return aft_error_set(err, "%s: tensor \"%s\": data_offsets [%zu, %zu] lie outside the "
                             "%zu bytes of data (truncated file?)", path, name, *begin, *end, data_size);
    return 0;
}

static int parse_tensor(const char *path, const cJSON *j, const char *data, size_t data_size,
                        aft_st_tensor *t, aft_error *err)
{
    const char *name = j->string;
    if (!name[0])
        return aft_error_set(err, "%s: a tensor has an empty name", path);
    if (!cJSON_IsObject(j))
        return aft_error_set(err, "%s: tensor \"%s\": its entry is not an object", path, name);
    size_t begin = 0, end = 0, want = 0;
    if (parse_dtype(path, name, cJSON_GetObjectItemCaseSensitive(j, "dtype"), t, err) < 0 ||
        parse_shape(path, name, cJSON_GetObjectItemCaseSensitive(j, "shape"), t, err) < 0 ||
        parse_range(path, name, cJSON_GetObjectItemCaseSensitive(j, "data_offsets"), data_size,
                    &begin, &end, err) < 0)
        return -1;
    if (shape_bytes(t->shape, t->ndim, dtype_size(t->dtype), &want) < 0)
        return aft_error_set(err, "%s: tensor \"%s\": its shape is too large to address",
                             path, name);
    if (want != end - begin)
        return aft_error_set(err, "%s: tensor \"%s\": shape and dtype need %zu bytes but "
                             "data_offsets give %zu", path, name, want, end - begin);
    t->nbytes = end - begin;
    t->data = data + begin;
    t->name = strdup(name);
    if (!t->name)
        return aft_error_set(err, "%s: out of memory", path);
    return 0;
}

static int parse_metadata(const char *path, const cJSON *j, aft_st_file *f, aft_error *err)
{
    if (f->metadata_json)
        return aft_error_set(err, "%s: \"__metadata__\" appears twice", path);
    if (!cJSON_IsObject(j))
        return aft_error_set(err, "%s: \"__metadata__\" is not an object", path);
    for (const cJSON *e = j->child; e; e = e->next)
        if (!cJSON_IsString(e))
            return aft_error_set(err, "%s: \"__metadata__\": value of \"%s\" is not a string",
                                 path, e->string);
    f->metadata_json = cJSON_PrintUnformatted(j);
    if (!f->metadata_json)
        return aft_error_set(err, "%s: out of memory", path);
    return 0;
}

/* Names must be unique and byte ranges disjoint (empty tensors aside), so
 * no two tensors alias each other's data. */
static int check_layout(const char *path, aft_st_file *f, aft_error *err)
{
    if (f->count < 2)
        return 0;
    qsort(f->tensors, f->count, sizeof *f->tensors, cmp_by_name);
    for (size_t i = 1; i < f->count; i++)
        if (strcmp(f->tensors[i - 1].name, f->tensors[i].name) == 0)
            return aft_error_set(err, "%s: tensor \"%s\" appears twice", path, f->tensors[i].name);
    const aft_st_tensor **by = malloc(f->count * sizeof *by);
    if (!by)
        return aft_error_set(err, "%s: out of memory", path);
    size_t n = 0;
    for (size_t i = 0; i < f->count; i++)
        if (f->tensors[i].nbytes)
            by[n++] = &f->tensors[i];
    qsort(by, n, sizeof *by, cmp_ptr_by_data);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++)
        if ((const char *)by[i - 1]->data + by[i - 1]->nbytes > (const char *)by[i]->data)
            rc = aft_error_set(err, "%s: tensors \"%s\" and \"%s\" overlap in the data area",
                               path, by[i - 1]->name, by[i]->name);
    free(by);
    return rc;
}

static int parse_entries(const char *path, const cJSON *root, const char *data, size_t data_size,
                         aft_st_file *f, aft_error *err)
{
    size_t n = 0;
    for (const cJSON *e = root->child; e; e = e->next)
        n++;
    f->tensors = calloc(n ? n : 1, sizeof *f->tensors);
    if (!f->tensors)
        return aft_error_set(err, "%s: out of memory for %zu tensors", path, n);
    for (const cJSON *e = root->child; e; e = e->next) {
        int rc = strcmp(e->string, "__metadata__") == 0
                     ? parse_metadata(path, e, f, err)
                     : parse_tensor(path, e, data, data_size, &f->tensors[f->count], err);
        if (rc < 0)
            return -1;
        if (strcmp(e->string, "__metadata__") != 0)
            f->count++;
    }
    return check_layout(path, f, err);
}

static int parse_file(const char *path, aft_st_file *f, aft_error *err)
{
    const unsigned char *b = f->bytes;
    if (f->size < 8)
        return aft_error_set(err, "%s: %zu bytes is too short for a safetensors file", path, f->size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | b[i];
    if (n > MAX_HEADER)
        return aft_error_set(err, "%s: header length %llu is absurd (not a safetensors file?)",
                             path, (unsigned long long)n);
    if (n > f->size - 8)
        return aft_error_set(err, "%s: header length %llu runs past the end of the file "
                             "(%zu bytes; truncated?)", path, (unsigned long long)n, f->size);
    const char *hdr = (const char *)b + 8, *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)n, &end, 0);
    if (!root)
        return aft_error_set(err, "%s: the header is not valid JSON (near byte %zu)", path,
                             (size_t)(8 + (end ? end - hdr : 0)));
    for (; end && end < hdr + n; end++)
        if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
            cJSON_Delete(root);
            return aft_error_set(err, "%s: stray bytes after the JSON header (byte %zu)", path,
                                 (size_t)(8 + (end - hdr)));
        }
    int rc = cJSON_IsObject(root)
                 ? parse_entries(path, root, hdr + n, f->size - 8 - (size_t)n, f, err)
                 : aft_error_set(err, "%s: the header is not a JSON object", path);
    cJSON_Delete(root);
    return rc;
}

aft_st_file *aft_st_read(const char *path, aft_error *err)
{
    char *bytes;
    size_t size;
    if (aft_read_file(path, &bytes, &size, err) < 0)
        return NULL;
    aft_st_file *f = calloc(1, sizeof *f);
    if (!f) {
        free(bytes);
        aft_error_set(err, "%s: out of memory", path);
        return NULL;
    }
    f->bytes = bytes;
    f->size = size;
    if (parse_file(path, f, err) < 0) {
        aft_st_free(f);
        return NULL;
    }
    return f;
}

void aft_st_free(aft_st_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->count; i++)
        free(f->tensors[i].name);
    free(f->tensors);
    cJSON_free(f->metadata_json);
    free(f->bytes);
    free(f);
}

const aft_st_tensor *aft_st_find(const aft_st_file *f, const char *name)
{
    size_t lo = 0, hi = f->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->tensors[mid].name, name);
        if (c == 0)
            return &f->tensors[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- writing ---- */

static int check_input(const char *path, const aft_st_tensor *t, aft_error *err)
{
    size_t want, elem = dtype_size(t->dtype);
    if (!t->name || !t->name[0])
        return aft_error_set(err, "%s: a tensor to write has no name", path);
    if (!elem || t->ndim < 0 || t->ndim > 8)
        return aft_error_set(err, "%s: tensor \"%s\": bad dtype or ndim", path, t->name);
    if (shape_bytes(t->shape, t->ndim, elem, &want) < 0 || want != t->nbytes ||
        (t->nbytes && !t->data))
        return aft_error_set(err, "%s: tensor \"%s\": nbytes %zu does not match its shape",
                             path, t->name, t->nbytes);
    return 0;
}

static cJSON *tensor_entry(const aft_st_tensor *t, size_t begin)
{
    cJSON *e = cJSON_CreateObject(), *shape = cJSON_CreateArray(), *range = cJSON_CreateArray();
    if (!e || !shape || !range) {
        cJSON_Delete(e);
        cJSON_Delete(shape);
        cJSON_Delete(range);
        return NULL;
    }
    cJSON_AddItemToObject(e, "shape", shape);
    cJSON_AddItemToObject(e, "data_offsets", range);
    int ok = cJSON_AddStringToObject(e, "dtype", dtype_name(t->dtype)) != NULL;
    for (int d = 0; d < t->ndim; d++)
        ok = ok && cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
    ok = ok && cJSON_AddItemToArray(range, cJSON_CreateNumber((double)begin)) &&
         cJSON_AddItemToArray(range, cJSON_CreateNumber((double)(begin + t->nbytes)));
    if (!ok) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

/* The JSON header for tensors in `order`, padded with spaces to a multiple
 * of 8 bytes so the data starts aligned. */
static char *build_header(const char *path, const aft_st_tensor *const *order, size_t count,
                          const char *const *metadata, size_t n_metadata, size_t *len,
                          aft_error *err)
{
    cJSON *root = cJSON_CreateObject(), *meta = n_metadata ? cJSON_CreateObject() : NULL;
    int ok = root && (!n_metadata || meta);
    if (meta)
        cJSON_AddItemToObject(root, "__metadata__", meta);
    for (size_t i = 0; ok && i < n_metadata; i++)
        ok = metadata[2 * i] && metadata[2 * i + 1] &&
             cJSON_AddStringToObject(meta, metadata[2 * i], metadata[2 * i + 1]);
    size_t offset = 0;
    for (size_t i = 0; ok && i < count; i++) {
        cJSON *e = tensor_entry(order[i], offset);
        ok = e && offset <= MAX_JSON_INT - (double)order[i]->nbytes;
        if (e)
            cJSON_AddItemToObject(root, order[i]->name, e);
        offset += order[i]->nbytes;
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text) {
        aft_error_set(err, "%s: cannot build the header (out of memory or bad metadata)", path);
        return NULL;
    }
    size_t n = strlen(text), padded = (n + 7) / 8 * 8;
    char *out = malloc(padded);
    if (out) {
        memcpy(out, text, n);
        memset(out + n, ' ', padded - n);
        *len = padded;
    } else {
        aft_error_set(err, "%s: out of memory", path);
    }
    cJSON_free(text);
    return out;
}

static int write_all(const char *path, const char *header, size_t hlen,
                     const aft_st_tensor *const *order, size_t count, aft_error *err)
{
    aft_atomic_file *af = aft_atomic_open(path, err);
    if (!af)
        return -1;
    unsigned char lenbuf[8];
    for (int i = 0; i < 8; i++)
        lenbuf[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    int rc = aft_atomic_write(af, lenbuf, 8, err);
    if (rc == 0)
        rc = aft_atomic_write(af, header, hlen, err);
    for (size_t i = 0; rc == 0 && i < count; i++)
        if (order[i]->nbytes)
            rc = aft_atomic_write(af, order[i]->data, order[i]->nbytes, err);
    if (rc < 0) {
        aft_atomic_abort(af);
        return -1;
    }
    return aft_atomic_commit(af, err);
}

int aft_st_write(const char *path, const aft_st_tensor *tensors, size_t count,
                 const char *const *metadata, size_t n_metadata, aft_error *err)
{
    for (size_t i = 0; i < count; i++)
        if (check_input(path, &tensors[i], err) < 0)
            return -1;
    /* Sorted by name, as Hugging Face writes them, so equal models give equal files. */
    const aft_st_tensor **order = malloc((count ? count : 1) * sizeof *order);
    if (!order)
        return aft_error_set(err, "%s: out of memory", path);
    for (size_t i = 0; i < count; i++)
        order[i] = &tensors[i];
    qsort(order, count, sizeof *order, cmp_ptr_by_name);
    int rc = 0;
    for (size_t i = 1; i < count && rc == 0; i++)
        if (strcmp(order[i - 1]->name, order[i]->name) == 0)
            rc = aft_error_set(err, "%s: tensor \"%s\" given twice", path, order[i]->name);
    size_t hlen = 0;
    char *header = rc == 0 ? build_header(path, order, count, metadata, n_metadata, &hlen, err) : NULL;
    if (header)
        rc = write_all(path, header, hlen, order, count, err);
    else
        rc = -1;
    free(header);
    free(order);
    return rc;
}
