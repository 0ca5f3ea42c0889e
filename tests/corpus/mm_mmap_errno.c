// mm_mmap_errno.c - error returns of mmap/munmap/mprotect: EINVAL for length 0, unaligned MAP_FIXED, missing PRIVATE/SHARED, bad offsets and unaligned munmap/mprotect; ENOMEM for huge lengths and unmapped mprotect; EEXIST for MAP_FIXED_NOREPLACE; EBADF; what succeeds quietly.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define PAGE 4096
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static int fails = 0;

/* prints "what: ok" or "what: error NAME" and returns errno (0 for success) */
static int report(const char *what, int failed)
{
    int e = failed ? errno : 0;
    const char *name = e == 0 ? "ok" : e == EINVAL ? "EINVAL" : e == ENOMEM ? "ENOMEM" :
                       e == EEXIST ? "EEXIST" : e == EBADF ? "EBADF" : e == EPERM ? "EPERM" :
                       e == EACCES ? "EACCES" : "other";
    printf("%-52s %s\n", what, name);
    fails += failed;
    return e;
}

static int try_mmap(const char *what, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    errno = 0;
    void *p = mmap(addr, len, prot, flags, fd, off);
    int e = report(what, p == MAP_FAILED);
    if (p != MAP_FAILED)
        munmap(p, len);
    return e;
}

static int try_munmap(const char *what, void *addr, size_t len)
{
    errno = 0;
    return report(what, munmap(addr, len) != 0);
}

static int try_mprotect(const char *what, void *addr, size_t len, int prot)
{
    errno = 0;
    return report(what, mprotect(addr, len, prot) != 0);
}

int main(void)
{
    char *base = mmap(NULL, 8 * PAGE, RW, ANON, -1, 0);
    CHECK(base != MAP_FAILED && ((uintptr_t)base & (PAGE - 1)) == 0, 1);
    memset(base, 0x11, 8 * PAGE);

    CHECK(try_mmap("mmap length 0", NULL, 0, RW, ANON, -1, 0) == EINVAL, 10);
    CHECK(try_mmap("mmap MAP_FIXED at an unaligned address", base + 100, PAGE, RW, ANON | MAP_FIXED, -1, 0) == EINVAL, 11);
    CHECK(try_mmap("mmap neither MAP_PRIVATE nor MAP_SHARED", NULL, PAGE, RW, MAP_ANONYMOUS, -1, 0) == EINVAL, 12);
    CHECK(try_mmap("mmap with an unaligned offset", NULL, PAGE, RW, ANON, -1, 100) == EINVAL, 13);
    CHECK(try_mmap("mmap of 0xfffff000 bytes", NULL, 0xfffff000u, RW, ANON, -1, 0) == ENOMEM, 14);
    CHECK(try_mmap("mmap of a file with fd -1", NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0) == EBADF, 16);
    CHECK(try_mmap("MAP_FIXED_NOREPLACE over an existing mapping", base + PAGE, PAGE, RW,
                   ANON | MAP_FIXED_NOREPLACE, -1, 0) == EEXIST, 17);
    CHECK(try_mmap("mmap with an unaligned hint (rounded, not an error)", base + 5, PAGE, RW, ANON, -1, 0) == 0, 18);
    CHECK(try_mmap("mmap length 1 (rounded up to a page)", NULL, 1, RW, ANON, -1, 0) == 0, 19);

    CHECK(try_munmap("munmap at an unaligned address", base + 1, PAGE) == EINVAL, 20);
    CHECK(try_munmap("munmap of length 0", base, 0) == EINVAL, 21);
    CHECK(try_munmap("munmap past the end of the address space", (void *)0xfffff000u, 2 * PAGE) == EINVAL, 22);
    CHECK(try_munmap("munmap with an unaligned length (rounded up)", base + 7 * PAGE, 10) == 0, 23);
    CHECK(try_munmap("munmap of a range where nothing is mapped", base + 7 * PAGE, PAGE) == 0, 24);
    CHECK(try_munmap("munmap of nothing at 0x20000000", (void *)0x20000000, 16 * PAGE) == 0, 25);

    CHECK(try_mprotect("mprotect at an unaligned address", base + 3, PAGE, PROT_READ) == EINVAL, 30);
    CHECK(try_mprotect("mprotect of an unmapped range", (void *)0x20000000, PAGE, PROT_READ) == ENOMEM, 31);
    CHECK(try_mprotect("mprotect running into an unmapped page", base + 6 * PAGE, 2 * PAGE, PROT_READ) == ENOMEM, 32);
    CHECK(try_mprotect("mprotect of length 0", base, 0, PROT_READ) == 0, 33);
    CHECK(try_mprotect("mprotect with an unaligned length (rounded up)", base, PAGE + 1, PROT_READ) == 0, 34);
    CHECK(base[PAGE + 5] == 0x11, 35);                  /* still readable */
    CHECK(try_mprotect("mprotect back to read-write", base, 2 * PAGE, RW) == 0, 36);
    base[PAGE + 5] = 0x22;
    CHECK(try_mprotect("mprotect to PROT_NONE and back", base + 2 * PAGE, PAGE, PROT_NONE) == 0, 37);
    CHECK(mprotect(base + 2 * PAGE, PAGE, RW) == 0 && base[2 * PAGE] == 0x11, 38);

    /* mprotect failing part way: the first page changed?  Linux applies it up to the hole */
    errno = 0;
    CHECK(munmap(base + 4 * PAGE, PAGE) == 0, 39);
    CHECK(try_mprotect("mprotect across a hole", base + 3 * PAGE, 3 * PAGE, PROT_READ) == ENOMEM, 40);

    CHECK(munmap(base, 8 * PAGE) == 0, 41);
    printf("%d calls failed, as expected\n", fails);
    return 0;
}
