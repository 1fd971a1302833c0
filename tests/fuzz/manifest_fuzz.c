/* Fuzz the boot manifest parser against a model of keel/manifest.h. Each call must return one of
 * the documented codes (1, 0, KE_NOEXEC) and make progress (1 and KE_NOEXEC move the cursor past
 * one line, 0 leaves it at the end); the model, a plain line-by-line reading of the documented
 * format, says which lines are batches, which are malformed, and which names each batch holds:
 * the parser must agree on every call, line numbers included. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <keel/errno.h>
#include <keel/manifest.h>

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("@._+-", c) != NULL);
}

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The model's reading of the line [p, eol): 0 empty (or a comment), 1 a batch (names in *want),
 * or KE_NOEXEC. */
static int model_line(const char *p, const char *eol, struct manifest_batch *want)
{
    want->count = 0;
    int bad = 0;
    for (const char *q = p; q < eol && *q != '#';) {
        if (blank(*q)) {
            q++;
            continue;
        }
        const char *s = q;
        while (q < eol && *q != '#' && !blank(*q))
            bad |= !name_char(*q++); /* '\0' is no name character: refused */
        if ((size_t)(q - s) > MANIFEST_NAME_MAX || want->count == MANIFEST_MAX_BATCH)
            bad = 1;
        else {
            want->items[want->count].name = s;
            want->items[want->count].len = (size_t)(q - s);
            want->count++;
        }
    }
    return bad ? KE_NOEXEC : want->count ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1); /* exact size: ASan sees any read past the end */
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    const char *cur = copy, *end = copy + size, *model = copy;
    unsigned model_lineno = 0;
    struct manifest_batch b = {0}, want;
    for (;;) {
        /* The model: skip empty lines, then the next batch or malformed line, or the end. */
        int expect = 0;
        const char *next = end;
        while (model < end) {
            const char *eol = memchr(model, '\n', (size_t)(end - model));
            eol = eol ? eol : end;
            next = eol < end ? eol + 1 : end;
            model_lineno++;
            expect = model_line(model, eol, &want);
            model = next;
            if (expect)
                break;
        }
        const char *before = cur;
        int r = manifest_next(&cur, end, &b);
        if (r != expect)
            abort(); /* a wrong code, or one outside {1, 0, KE_NOEXEC} */
        if (r == 0) {
            if (cur != end)
                abort(); /* the end must leave the cursor at the end */
            break;
        }
        if (cur <= before || cur != next || b.line != model_lineno)
            abort(); /* no progress, the wrong line, or a wrong line number */
        if (r == KE_NOEXEC)
            continue;
        if (b.count != want.count || b.count < 1 || b.count > MANIFEST_MAX_BATCH)
            abort();
        for (size_t i = 0; i < b.count; i++)
            if (b.items[i].name != want.items[i].name || b.items[i].len != want.items[i].len)
                abort();
    }
    free(copy);
    return 0;
}
