/* libFuzzer target for the shell's line editor (cells/shell/lineedit.c). The input is typed
 * byte by byte into an editor whose output drives a terminal model (tests/host/shell_term.h).
 * After every byte the screen must show exactly the prompt and the line with the cursor in
 * place; an entered line must be what the screen showed; a Tab takes the next input byte as the
 * completion to do (insert text, or list and redraw). */
#include <keel/string.h>
#include <stdint.h>
#include <stdlib.h>
#include "shell/complete.h"
#include "shell/lineedit.h"
#include "shell_term.h"

#define P "keel> "

static struct lineedit le;
static struct term term;

static void check_screen(void)
{
    if (!term_shows(&term, P, lineedit_text(&le), lineedit_cursor(&le)))
        abort();
    if (lineedit_length(&le) >= LINEEDIT_MAX || lineedit_cursor(&le) > lineedit_length(&le) ||
        strlen(lineedit_text(&le)) != lineedit_length(&le))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    term_reset(&term);
    lineedit_init(&le, term_write, &term);
    lineedit_begin(&le, P);
    check_screen();
    for (size_t i = 0; i < size; i++) {
        enum lineedit_event ev = lineedit_feed(&le, (char)data[i]);
        if (ev == LINEEDIT_LINE) {
            char shown[LINEEDIT_MAX + 8];
            memcpy(shown, P, sizeof(P) - 1);
            memcpy(shown + sizeof(P) - 1, lineedit_text(&le), lineedit_length(&le) + 1);
            if (strcmp(term.prev, shown) != 0 || term.len != 0 || term.col != 0)
                abort();
            lineedit_begin(&le, P);
        } else if (ev == LINEEDIT_TAB && i + 1 < size) {
            uint8_t op = data[++i];
            if (op & 0x80) {
                term_write(&term, "\nlisting\n", 9);
                lineedit_redraw(&le);
            } else {
                char text[8];
                size_t n = op % 8;
                memset(text, 'a' + op % 26, n);
                size_t before = lineedit_length(&le);
                int r = lineedit_insert(&le, text, n);
                if (r == 0 ? lineedit_length(&le) != before + n : lineedit_length(&le) != before)
                    abort();
            }
        }
        check_screen();
        if (lineedit_history_count(&le) > LINEEDIT_HISTORY)
            abort();
    }
    return 0;
}
