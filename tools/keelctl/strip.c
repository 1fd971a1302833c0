/* A host object as the boot image carries it: without debug info. The image build strips every
 * cell with `llvm-objcopy --strip-debug` (cmake/KeelImage.cmake); keelctl runs the same tool on
 * a FILE before pushing it, so an unchanged cell has the very bytes of its boot module (nothing
 * stored again) and a changed one costs a third of the bytes or less on the slow UART. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common.h"

#ifndef KEELCTL_OBJCOPY
#define KEELCTL_OBJCOPY ""
#endif

extern char **environ;

static bool strip_on = true;

void set_strip(bool on)
{
    strip_on = on;
}

const char *objcopy_path(void)
{
    const char *env = getenv("KEEL_OBJCOPY");
    return env && *env ? env : KEELCTL_OBJCOPY;
}

/* Only an ELF file is worth the tool: anything else goes as is, for the guest to refuse with
 * its own reason. */
static bool looks_elf(const char *path)
{
    unsigned char magic[4];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool elf = fread(magic, 1, 4, f) == 4 && memcmp(magic, "\177ELF", 4) == 0;
    fclose(f);
    return elf;
}

/* objcopy --strip-debug path out, its messages silenced: 0 if it succeeded. */
static int run_objcopy(const char *tool, const char *path, const char *out)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa))
        return -1;
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {(char *)tool, "--strip-debug", (char *)path, (char *)out, NULL};
    pid_t pid;
    int err = posix_spawn(&pid, tool, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

const char *strip_object(const char *path, char *tmp, size_t size)
{
    if (!strip_on || !looks_elf(path))
        return path;
    const char *tool = objcopy_path();
    if (!*tool || access(tool, X_OK) != 0) {
        static bool said;
        if (!said)
            fail("cannot strip debug info: no llvm-objcopy at '%s' (set KEEL_OBJCOPY, or give "
                 "--as-is); pushing files as they are",
                 tool);
        said = true;
        return path;
    }
    const char *dir = getenv("TMPDIR");
    snprintf(tmp, size, "%s/keelctl-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fail("cannot strip %s: no temporary file (%s); pushing it as it is", path, strerror(errno));
        return path;
    }
    close(fd);
    if (run_objcopy(tool, path, tmp) != 0) {
        unlink(tmp);
        fail("%s cannot strip %s (not a well-formed object?); pushing it as it is", tool, path);
        return path;
    }
    return tmp;
}
