/* Host tests of the PS/2 scancode translation: plain keys, Shift, Caps Lock, Ctrl, Alt, the
 * E0-prefixed editing keys, the keypad and Num Lock, releases, Pause and stray bytes. */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "ps2kbd/kbd.h"

static struct kbd k;
static char typed[256];
static size_t ntyped;

/* Feed scancodes and collect what they translate to. */
static void feed(const uint8_t *sc, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char out[KBD_OUT_MAX + 1];
        memset(out, 0x55, sizeof(out));
        size_t got = kbd_feed(&k, sc[i], out);
        CHECK(got <= KBD_OUT_MAX);
        CHECK_EQ_INT((unsigned char)out[KBD_OUT_MAX], 0x55);
        for (size_t j = 0; j < got && ntyped < sizeof(typed) - 1; j++)
            typed[ntyped++] = out[j];
    }
    typed[ntyped] = 0;
}

#define FEED(...)                                                                                  \
    do {                                                                                           \
        static const uint8_t sc_[] = {__VA_ARGS__};                                                \
        feed(sc_, sizeof(sc_));                                                                    \
    } while (0)

static void reset(void)
{
    kbd_init(&k);
    ntyped = 0;
    typed[0] = 0;
}

/* A key press and its release. */
#define TAP(sc) (sc), (uint8_t)((sc) | 0x80)

static void test_plain_keys(void)
{
    reset();
    /* e c h o space H(shift) i Enter */
    FEED(TAP(0x12), TAP(0x2e), TAP(0x23), TAP(0x18), TAP(0x39), 0x2a, TAP(0x23), 0xaa, TAP(0x17),
         TAP(0x1c));
    CHECK_EQ_STR(typed, "echo Hi\r");
    reset();
    FEED(TAP(0x02), TAP(0x0b), TAP(0x0c), TAP(0x0d), TAP(0x1a), TAP(0x1b), TAP(0x27), TAP(0x28),
         TAP(0x29), TAP(0x2b), TAP(0x33), TAP(0x34), TAP(0x35), TAP(0x37));
    CHECK_EQ_STR(typed, "10-=[];'`\\,./*");
    reset();
    FEED(0x36, TAP(0x02), TAP(0x0b), TAP(0x0c), TAP(0x0d), TAP(0x1a), TAP(0x1b), TAP(0x27),
         TAP(0x28), TAP(0x29), TAP(0x2b), TAP(0x33), TAP(0x34), TAP(0x35), 0xb6, TAP(0x10));
    CHECK_EQ_STR(typed, "!)_+{}:\"~|<>?q");
    reset();
    FEED(TAP(0x0e), TAP(0x0f), TAP(0x01));
    CHECK_EQ_STR(typed, "\x7f\t\x1b");
}

static void test_caps_lock(void)
{
    reset();
    FEED(TAP(0x3a), TAP(0x1e), TAP(0x02), 0x2a, TAP(0x1e), TAP(0x02), 0xaa);
    CHECK_EQ_STR(typed, "A1a!"); /* Caps Lock shifts letters only; Shift undoes it */
    reset();
    FEED(0x3a, 0x3a, 0x3a, 0xba, TAP(0x1e)); /* held: repeats do not toggle again */
    CHECK_EQ_STR(typed, "A");
    FEED(TAP(0x3a), TAP(0x1e));
    CHECK_EQ_STR(typed, "Aa");
}

static void test_control_and_alt(void)
{
    reset();
    FEED(0x1d, TAP(0x2e), TAP(0x1e), TAP(0x1a), TAP(0x39), 0x9d, TAP(0x2e));
    CHECK_EQ_INT(ntyped, 5);
    CHECK_EQ_INT(typed[0], 0x03); /* Ctrl-C */
    CHECK_EQ_INT(typed[1], 0x01);
    CHECK_EQ_INT(typed[2], 0x1b);
    CHECK_EQ_INT(typed[3], 0x00);
    CHECK_EQ_INT(typed[4], 'c'); /* released */
    reset();
    FEED(0xe0, 0x1d, TAP(0x11), 0xe0, 0x9d, TAP(0x11)); /* right Ctrl */
    CHECK_EQ_STR(typed, "\x17w");
    reset();
    FEED(0x38, TAP(0x30), 0xb8, 0xe0, 0x38, TAP(0x30), 0xe0, 0xb8, TAP(0x30));
    CHECK_EQ_STR(typed, "\x1b"
                        "b\x1b"
                        "bb");
}

static void test_editing_keys(void)
{
    reset();
    FEED(0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x50, 0xe0, 0x4d, 0xe0, 0x4b, 0xe0, 0x47, 0xe0, 0x4f, 0xe0,
         0x53, 0xe0, 0xd3);
    CHECK_EQ_STR(typed, "\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F\x1b[3~");
    reset();
    /* Page Up/Down, Insert, F1, F12, Windows key: nothing. */
    FEED(0xe0, 0x49, 0xe0, 0x51, 0xe0, 0x52, 0x3b, 0x58, 0xe0, 0x5b);
    CHECK_EQ_INT(ntyped, 0);
    /* Keypad Enter and /. */
    FEED(0xe0, 0x1c, 0xe0, 0x35);
    CHECK_EQ_STR(typed, "\r/");
    reset();
    /* Fake shifts around an E0 key (Num Lock on, some keyboards) must not shift. */
    FEED(0xe0, 0x2a, 0xe0, 0x4b, 0xe0, 0xcb, 0xe0, 0xaa, TAP(0x1e));
    CHECK_EQ_STR(typed, "\x1b[Da");
    reset();
    FEED(0x2a, 0xe0, 0xaa, TAP(0x1e), 0xaa); /* a fake shift release keeps the real Shift down */
    CHECK_EQ_STR(typed, "A");
}

static void test_keypad(void)
{
    reset();
    FEED(TAP(0x47), TAP(0x48), TAP(0x4b), TAP(0x53), TAP(0x4a), TAP(0x4e), TAP(0x4c));
    CHECK_EQ_STR(typed, "\x1b[H\x1b[A\x1b[D\x1b[3~-+"); /* Num Lock off: editing keys */
    reset();
    FEED(TAP(0x45), TAP(0x47), TAP(0x48), TAP(0x49), TAP(0x4c), TAP(0x52), TAP(0x53));
    CHECK_EQ_STR(typed, "7895"
                        "0.");
}

static void test_pause_and_noise(void)
{
    reset();
    FEED(0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5, TAP(0x1e)); /* Pause, then 'a' */
    CHECK_EQ_STR(typed, "a");
    reset();
    FEED(0xfa, 0xfe, 0xff, 0x00, 0x5d, 0x7f, 0xaa, TAP(0x1e)); /* ACK, resend, overrun, BAT */
    CHECK_EQ_STR(typed, "a");
    reset();
    /* Every byte value, in every state, stays within the output buffer (checked in feed). */
    for (unsigned pre = 0; pre < 4; pre++) {
        for (unsigned b = 0; b < 256; b++) {
            static const uint8_t prefix[] = {0x1d, 0x2a, 0x38, 0xe0};
            ntyped = 0;
            feed(&prefix[pre], 1);
            uint8_t v = (uint8_t)b;
            feed(&v, 1);
        }
    }
}

int main(void)
{
    test_plain_keys();
    test_caps_lock();
    test_control_and_alt();
    test_editing_keys();
    test_keypad();
    test_pause_and_noise();
    return check_report("ps2kbd_kbd_test");
}
