/* cellinfo: inspect and validate cell objects (relocatable ELF, one per cell) on the host.
 *
 *   cellinfo [--check] [--json] <cell.o>...
 *
 * Prints each cell's descriptor, sections and the region the loader puts them in, exports,
 * imports, relocation counts and state, then the loader's own verdict: the validation is the
 * kernel loader's code (cell_image_parse), so a refusal reads exactly as it would on the target.
 * Exit status: 0 all accepted, 1 some object refused or unreadable, 2 usage error. */
#include <stdio.h>
#include <string.h>

#include "cellinfo.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cellinfo [--check] [--json] <cell.o>...\n"
            "Inspect cell objects and validate them with the kernel loader's own parser.\n"
            "  --check   print only problems (the loader's refusal, warnings); nothing if all\n"
            "            objects are fine\n"
            "  --json    machine-readable output: one JSON array, one element per object\n"
            "  --help    this text\n"
            "Exit status: 0 all objects accepted, 1 an object would be refused by the loader\n"
            "(or could not be read), 2 usage error.\n");
}

int main(int argc, char **argv)
{
    bool check = false, json = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
        const char *a = argv[first];
        if (strcmp(a, "--") == 0) {
            first++;
            break;
        } else if (strcmp(a, "--check") == 0) {
            check = true;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "cellinfo: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "cellinfo: no object given\n");
        usage(stderr);
        return 2;
    }
    int status = 0;
    if (json)
        printf("[\n");
    for (int i = first; i < argc; i++) {
        struct cell_report r;
        cell_report_build(argv[i], &r);
        if (cell_report_refused(&r))
            status = 1;
        if (json) {
            report_json(stdout, &r, check);
            printf("%s\n", i + 1 < argc ? "," : "");
        } else if (check) {
            report_check(stderr, &r);
        } else {
            if (i > first)
                putchar('\n');
            report_text(stdout, &r);
        }
        cell_report_free(&r);
    }
    if (json)
        printf("]\n");
    if (fflush(stdout) != 0) {
        fprintf(stderr, "cellinfo: write error\n");
        return 1;
    }
    return status;
}
