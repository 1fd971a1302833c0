/* lbench: the guest side of tools/bench/linux.py, a static program in the Linux reference's
 * initramfs. The operations it times are the Linux counterparts of Keel's in-guest benchmarks:
 *
 *   module_load      init_module() of keel_hello.ko, its bytes already in memory   (loader: load)
 *   module_unload    delete_module("keel_hello", O_NONBLOCK)                      (loader: unload)
 *   livepatch        init_module() of keel_lp.ko until /sys/kernel/livepatch/keel_lp/transition
 *                    reads 0 (the patch is then checked in /proc/cmdline, disabled and removed
 *                    outside the timing)                                     (swap: whole swap)
 *   yield_pingpong   two threads of one process yielding to each other with sched_yield, both
 *                    on CPU 0; one round is one yield that comes back (two switches), reported
 *                    per switch                                                 (tasks: switch)
 *   spawn_join       pthread_create + pthread_join of a thread that returns at once, on CPU 0
 *                                                                           (tasks: spawn_join)
 *   pipe_roundtrip   one byte written to a pipe, read by an echo thread, written back (+1) on a
 *                    second pipe and read; both threads on CPU 0          (tasks: rv/async_rtt)
 *   spawn_join_x     spawn_join with the thread created pinned to CPU 1    (tasks: spawn_join_x)
 *   pipe_roundtrip_x pipe_roundtrip with the echo thread pinned to CPU 1      (tasks: rv_rtt_x)
 *   stop_machine     one stop_machine() of an empty function, timed in the kernel by
 *                    keel_stop.ko (a read of /proc/keel_stop)              (swap: world_stop)
 * The *_x figures need a second CPU: with one they are reported as skipped. The measuring thread
 * is pinned to CPU 0 throughout.
 *
 * Each round is timed with the TSC (as Keel's benchmarks are), converted to ns with a rate
 * calibrated against CLOCK_MONOTONIC over the whole run. Unmeasured warm-up rounds first (QEMU
 * translates code on first use). The result is one line, "LINUX_BENCH_JSON {...}", holding every
 * sample in ns (the host computes median, p99 and min) or, for an operation that failed, its
 * error, or why it was skipped.
 *
 *   lbench uptime                prints "LINUX_INIT_BOOTTIME_NS <CLOCK_BOOTTIME in ns>"
 *   lbench run ROUNDS MODDIR     runs every benchmark, ROUNDS rounds each
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define MAX_ROUNDS    100000
#define THREAD_WARMUP 20
#define MODULE_WARMUP 3
#define WAIT_NS       (20ull * 1000 * 1000 * 1000) /* bound of every wait for the kernel */
#define LP_DIR        "/sys/kernel/livepatch/keel_lp"

struct metric {
    const char *name;
    unsigned divisor; /* a round measures this many operations */
    uint64_t *ticks;  /* TSC ticks per round */
    unsigned n;
    char error[200];
    char skipped[100]; /* not measured on purpose (a figure across CPUs, with one CPU) */
};

enum {
    M_LOAD,
    M_UNLOAD,
    M_LIVEPATCH,
    M_YIELD,
    M_SPAWN,
    M_PIPE,
    M_SPAWN_X,
    M_PIPE_X,
    M_STOP,
    M_COUNT
};
static struct metric metrics[M_COUNT] = {
    [M_LOAD] = {"module_load", 1},     [M_UNLOAD] = {"module_unload", 1},
    [M_LIVEPATCH] = {"livepatch", 1},  [M_YIELD] = {"yield_pingpong", 2},
    [M_SPAWN] = {"spawn_join", 1},     [M_PIPE] = {"pipe_roundtrip", 1},
    [M_SPAWN_X] = {"spawn_join_x", 1}, [M_PIPE_X] = {"pipe_roundtrip_x", 1},
    [M_STOP] = {"stop_machine", 1},
};

static uint64_t tsc(void)
{
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fail(struct metric *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof(m->error), fmt, ap);
    va_end(ap);
    for (char *p = m->error; *p; p++) /* the error goes into a JSON string */
        if (*p == '"' || *p == '\\' || (unsigned char)*p < ' ')
            *p = '\'';
    return -1;
}

/* The whole file (NUL-terminated), read up to EOF: /proc and sysfs files report size 0. */
static void *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, got = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf && got + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        if (!buf)
            break;
        ssize_t r = read(fd, buf + got, cap - got - 1);
        if (r < 0) {
            free(buf);
            buf = NULL;
        }
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!buf)
        return NULL;
    buf[got] = 0;
    *len = got;
    return buf;
}

/* The first byte of a small sysfs/proc file, or -1. */
static int read_char(const char *path)
{
    char c;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = read(fd, &c, 1);
    close(fd);
    return r == 1 ? c : -1;
}

static int write_str(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = write(fd, s, strlen(s));
    close(fd);
    return r == (ssize_t)strlen(s) ? 0 : -1;
}

static long sys_init_module(void *image, size_t len)
{
    return syscall(SYS_init_module, image, len, "");
}

static long sys_delete_module(const char *name)
{
    return syscall(SYS_delete_module, name, O_NONBLOCK);
}

/* --- module load / unload ----------------------------------------------------------------- */

static int bench_module(unsigned rounds, const char *dir)
{
    struct metric *ld = &metrics[M_LOAD], *ul = &metrics[M_UNLOAD];
    char path[512];
    size_t len;
    snprintf(path, sizeof(path), "%s/keel_hello.ko", dir);
    void *image = read_file(path, &len);
    if (!image) {
        fail(ul, "cannot read %s: %s", path, strerror(errno));
        return fail(ld, "cannot read %s: %s", path, strerror(errno));
    }
    for (unsigned r = 0; r < MODULE_WARMUP + rounds; r++) {
        uint64_t t0 = tsc();
        long err = sys_init_module(image, len);
        uint64_t t1 = tsc();
        if (err) {
            fail(ul, "not measured: the load failed");
            return fail(ld, "init_module(keel_hello.ko): %s", strerror(errno));
        }
        err = sys_delete_module("keel_hello");
        uint64_t t2 = tsc();
        if (err)
            return fail(ul, "delete_module(keel_hello): %s", strerror(errno));
        if (r >= MODULE_WARMUP) {
            ld->ticks[ld->n++] = t1 - t0;
            ul->ticks[ul->n++] = t2 - t1;
        }
    }
    free(image);
    return 0;
}

/* --- livepatch ------------------------------------------------------------------------------ */

/* Disable the patch and remove its module; 0 once keel_lp is gone. */
static int livepatch_remove(struct metric *m)
{
    uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + WAIT_NS;
    if (write_str(LP_DIR "/enabled", "0") < 0)
        return fail(m, "cannot disable the patch (%s/enabled): %s", LP_DIR, strerror(errno));
    /* The patch's sysfs directory goes once the disabling transition is complete and the patch
     * is freed; then the module's reference is dropped and it can be removed. */
    for (;;) {
        /* errno is read right after the call that set it: the directory can vanish between
         * two looks, and a second access() would overwrite delete_module's errno. */
        if (access(LP_DIR, F_OK) != 0) {
            if (sys_delete_module("keel_lp") == 0)
                break;
            if (errno != EBUSY && errno != EAGAIN)
                return fail(m, "delete_module(keel_lp): %s", strerror(errno));
        }
        if (clock_ns(CLOCK_MONOTONIC) > deadline)
            return fail(m, "keel_lp still loaded %llu s after disabling it",
                        (unsigned long long)(WAIT_NS / 1000000000ull));
        usleep(1000);
    }
    return 0;
}

static int bench_livepatch(unsigned rounds, const char *dir)
{
    struct metric *m = &metrics[M_LIVEPATCH];
    char path[512];
    size_t len, clen;
    if (access("/sys/kernel/livepatch", F_OK) != 0)
        return fail(m, "unavailable: no /sys/kernel/livepatch (kernel without CONFIG_LIVEPATCH)");
    snprintf(path, sizeof(path), "%s/keel_lp.ko", dir);
    void *image = read_file(path, &len);
    if (!image)
        return fail(m, "cannot read %s: %s", path, strerror(errno));
    for (unsigned r = 0; r < MODULE_WARMUP + rounds; r++) {
        uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + WAIT_NS;
        uint64_t t0 = tsc();
        if (sys_init_module(image, len))
            return fail(m, "init_module(keel_lp.ko): %s", strerror(errno));
        int c;
        while ((c = read_char(LP_DIR "/transition")) != '0') {
            if (c < 0)
                return fail(m, "cannot read %s/transition: %s", LP_DIR, strerror(errno));
            if (clock_ns(CLOCK_MONOTONIC) > deadline)
                return fail(m, "the transition did not complete in %llu s",
                            (unsigned long long)(WAIT_NS / 1000000000ull));
            sched_yield();
        }
        uint64_t t1 = tsc();
        char *cmdline = read_file("/proc/cmdline", &clen);
        int patched = cmdline && strstr(cmdline, "keel_lp: patched");
        free(cmdline);
        if (!patched)
            return fail(m, "the transition completed but /proc/cmdline is not patched");
        if (livepatch_remove(m))
            return -1;
        if (r >= MODULE_WARMUP)
            m->ticks[m->n++] = t1 - t0;
    }
    free(image);
    return 0;
}

/* --- sched_yield ping-pong ----------------------------------------------------------------- */

static volatile int yield_stop;
static volatile unsigned yield_partner_rounds;
static unsigned yield_partner_measured; /* the partner's rounds while the main thread measured */

static void pin_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

static void pin_cpu0(void)
{
    pin_cpu(0);
}

static void *yield_partner(void *arg)
{
    (void)arg;
    pin_cpu0();
    while (!__atomic_load_n(&yield_stop, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&yield_partner_rounds, yield_partner_rounds + 1, __ATOMIC_RELEASE);
        sched_yield();
    }
    return NULL;
}

static int bench_yield(unsigned rounds)
{
    struct metric *m = &metrics[M_YIELD];
    pthread_t t;
    yield_stop = 0;
    int err = pthread_create(&t, NULL, yield_partner, NULL);
    if (err)
        return fail(m, "pthread_create: %s", strerror(err));
    /* Warm up until the partner has run THREAD_WARMUP times: CFS starts a new thread with a
     * vruntime a slice ahead, and yields only alternate once the two are within the wakeup
     * granularity of each other. */
    uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + WAIT_NS;
    while (__atomic_load_n(&yield_partner_rounds, __ATOMIC_ACQUIRE) < THREAD_WARMUP) {
        if (clock_ns(CLOCK_MONOTONIC) > deadline) {
            __atomic_store_n(&yield_stop, 1, __ATOMIC_RELEASE);
            pthread_join(t, NULL);
            return fail(m, "the partner thread did not run in %llu s of yields",
                        (unsigned long long)(WAIT_NS / 1000000000ull));
        }
        sched_yield();
    }
    unsigned before = __atomic_load_n(&yield_partner_rounds, __ATOMIC_ACQUIRE);
    for (unsigned r = 0; r < rounds; r++) {
        uint64_t t0 = tsc();
        sched_yield();
        m->ticks[m->n++] = tsc() - t0;
    }
    unsigned partner = __atomic_load_n(&yield_partner_rounds, __ATOMIC_ACQUIRE) - before;
    yield_partner_measured = partner;
    __atomic_store_n(&yield_stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    /* As in Keel's taskbench: yields that come back without running the partner are not
     * switches; a partner that ran in fewer than half of the rounds fails the metric. */
    if (partner < rounds / 2) {
        m->n = 0;
        return fail(m, "the partner thread ran only %u of %u rounds", partner, rounds);
    }
    return 0;
}

/* --- pthread create + join ----------------------------------------------------------------- */

static void *empty_thread(void *arg)
{
    return arg;
}

/* cpu < 0: the thread inherits the measuring thread's CPU 0; else it is created pinned to cpu
 * (glibc sets the affinity before the thread first runs). */
static int bench_spawn(struct metric *m, unsigned rounds, int cpu)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        int err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
        if (err)
            return fail(m, "pthread_attr_setaffinity_np: %s", strerror(err));
    }
    for (unsigned r = 0; r < THREAD_WARMUP + rounds; r++) {
        pthread_t t;
        void *ret = NULL;
        uint64_t t0 = tsc();
        int err = pthread_create(&t, cpu >= 0 ? &attr : NULL, empty_thread, &metrics);
        if (!err)
            err = pthread_join(t, &ret);
        uint64_t t1 = tsc();
        if (err)
            return fail(m, "pthread_create/join: %s", strerror(err));
        if (ret != &metrics)
            return fail(m, "the thread returned %p, not %p", ret, (void *)&metrics);
        if (r >= THREAD_WARMUP)
            m->ticks[m->n++] = t1 - t0;
    }
    pthread_attr_destroy(&attr);
    return 0;
}

/* --- one-byte pipe round trip -------------------------------------------------------------- */

static int ping_pipe[2], pong_pipe[2];

/* Answers every byte with byte + 1 until the ping pipe is closed; runs on the CPU *arg. */
static void *echo_thread(void *arg)
{
    pin_cpu(*(const int *)arg);
    unsigned char c;
    while (read(ping_pipe[0], &c, 1) == 1) {
        c++;
        if (write(pong_pipe[1], &c, 1) != 1)
            break;
    }
    return NULL;
}

static int pipe_round(unsigned r, uint64_t *ticks)
{
    unsigned char ping = (unsigned char)r, pong = 0;
    uint64_t t0 = tsc();
    if (write(ping_pipe[1], &ping, 1) != 1 || read(pong_pipe[0], &pong, 1) != 1)
        return -1;
    *ticks = tsc() - t0;
    return pong == (unsigned char)(ping + 1) ? 0 : -2;
}

static int bench_pipe(struct metric *m, unsigned rounds, int cpu)
{
    if (pipe2(ping_pipe, O_CLOEXEC) || pipe2(pong_pipe, O_CLOEXEC))
        return fail(m, "pipe2: %s", strerror(errno));
    pthread_t t;
    int err = pthread_create(&t, NULL, echo_thread, &cpu);
    if (err)
        return fail(m, "pthread_create: %s", strerror(err));
    uint64_t ticks;
    int rc = 0;
    for (unsigned r = 0; r < THREAD_WARMUP + rounds && !rc; r++) {
        rc = pipe_round(r, &ticks);
        if (!rc && r >= THREAD_WARMUP)
            m->ticks[m->n++] = ticks;
    }
    close(ping_pipe[1]); /* ends the echo thread */
    pthread_join(t, NULL);
    close(ping_pipe[0]);
    close(pong_pipe[0]);
    close(pong_pipe[1]);
    if (rc == -1)
        return fail(m, "pipe read/write: %s", strerror(errno));
    if (rc == -2)
        return fail(m, "the echo thread answered a wrong byte");
    return 0;
}

/* --- stop_machine ------------------------------------------------------------------------- */

/* keel_stop.ko: each read of /proc/keel_stop runs stop_machine() once and answers the TSC ticks
 * it took, measured in the kernel around the call (the read's own cost is not counted). */
static int bench_stop(unsigned rounds, const char *dir)
{
    struct metric *m = &metrics[M_STOP];
    char path[512], buf[32];
    size_t len;
    snprintf(path, sizeof(path), "%s/keel_stop.ko", dir);
    void *image = read_file(path, &len);
    if (!image)
        return fail(m, "cannot read %s: %s", path, strerror(errno));
    long err = sys_init_module(image, len);
    free(image);
    if (err)
        return fail(m, "init_module(keel_stop.ko): %s", strerror(errno));
    int fd = open("/proc/keel_stop", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(m, "cannot open /proc/keel_stop: %s", strerror(errno));
    } else {
        for (unsigned r = 0; r < MODULE_WARMUP + rounds; r++) {
            ssize_t got = pread(fd, buf, sizeof(buf) - 1, 0);
            if (got <= 0) {
                fail(m, "read /proc/keel_stop: %s", got ? strerror(errno) : "empty");
                break;
            }
            buf[got] = 0;
            char *end;
            unsigned long long ticks = strtoull(buf, &end, 10);
            if (end == buf || ticks == 0) {
                fail(m, "/proc/keel_stop answered '%s'", buf);
                break;
            }
            if (r >= MODULE_WARMUP)
                m->ticks[m->n++] = ticks;
        }
        close(fd);
    }
    if (sys_delete_module("keel_stop") && !m->error[0])
        fail(m, "delete_module(keel_stop): %s", strerror(errno));
    return m->error[0] ? -1 : 0;
}

/* --- driver -------------------------------------------------------------------------------- */

static void print_clocksource(void)
{
    size_t len;
    char *cs = read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource", &len);
    if (cs)
        cs[strcspn(cs, "\n\"\\")] = 0;
    printf("\"clocksource\": \"%s\"", cs ? cs : "unknown");
    free(cs);
}

static int run(unsigned rounds, const char *dir)
{
    for (int i = 0; i < M_COUNT; i++)
        if (!(metrics[i].ticks = calloc(rounds, sizeof(uint64_t)))) {
            fprintf(stderr, "lbench: out of memory\n");
            return 1;
        }
    pin_cpu0();
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t mono0 = clock_ns(CLOCK_MONOTONIC), tsc0 = tsc();
    bench_module(rounds, dir);
    bench_livepatch(rounds, dir);
    bench_yield(rounds);
    bench_spawn(&metrics[M_SPAWN], rounds, -1);
    bench_pipe(&metrics[M_PIPE], rounds, 0);
    if (cpus >= 2) {
        bench_spawn(&metrics[M_SPAWN_X], rounds, 1);
        bench_pipe(&metrics[M_PIPE_X], rounds, 1);
    } else {
        for (int i = M_SPAWN_X; i <= M_PIPE_X; i++)
            snprintf(metrics[i].skipped, sizeof(metrics[i].skipped),
                     "needs 2 CPUs, the guest has %ld", cpus);
    }
    bench_stop(rounds, dir);
    /* The TSC rate against CLOCK_MONOTONIC over the whole run (seconds long: the rate is exact
     * to far better than the rounds' spread). */
    uint64_t mono1 = clock_ns(CLOCK_MONOTONIC), tsc1 = tsc();
    double ns_per_tick = (double)(mono1 - mono0) / (double)(tsc1 - tsc0);
    printf("LINUX_BENCH_JSON {\"rounds\": %u, \"tsc_hz\": %.0f, ", rounds, 1e9 / ns_per_tick);
    print_clocksource();
    printf(", \"cpus\": %ld", cpus);
    printf(", \"yield_partner_rounds\": %u", yield_partner_measured);
    printf(", \"metrics\": {");
    for (int i = 0; i < M_COUNT; i++) {
        struct metric *m = &metrics[i];
        printf("%s\"%s\": {", i ? ", " : "", m->name);
        if (m->skipped[0]) {
            printf("\"skipped\": \"%s\"}", m->skipped);
            continue;
        }
        if (m->error[0] || m->n == 0) {
            printf("\"error\": \"%s\"}", m->error[0] ? m->error : "no round measured");
            continue;
        }
        printf("\"samples_ns\": [");
        for (unsigned r = 0; r < m->n; r++)
            printf("%s%.0f", r ? "," : "", (double)m->ticks[r] * ns_per_tick / m->divisor);
        printf("]}");
    }
    printf("}}\n");
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    if (argc == 2 && !strcmp(argv[1], "uptime")) {
        printf("LINUX_INIT_BOOTTIME_NS %llu\n", (unsigned long long)clock_ns(CLOCK_BOOTTIME));
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "run")) {
        long rounds = strtol(argv[2], NULL, 10);
        if (rounds < 1 || rounds > MAX_ROUNDS) {
            fprintf(stderr, "lbench: ROUNDS must be 1..%d\n", MAX_ROUNDS);
            return 2;
        }
        return run((unsigned)rounds, argv[3]);
    }
    fprintf(stderr, "usage: lbench uptime | lbench run ROUNDS MODDIR\n");
    return 2;
}
