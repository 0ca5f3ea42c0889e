/* fork_cow.c - fork copies nothing at first: parent and child share every
 * frame, read-only, until one of them writes a page (copy-on-write).
 *
 *   toyemu run --trace process,fault userland/fork_cow
 *   toyemu run --trace sched userland/fork_cow
 *
 * The parent fills 16 pages (a 64 KiB static array: 16 zero-fill faults),
 * then forks.  The trace's fork line says how many pages the two now
 * share.  The child writes 4 of the 16 pages: 4 "copy-on-write copy"
 * faults, each giving the child a frame of its own with the old bytes in
 * it; reading the other 12 costs nothing.  The child exits, and its exit
 * line says how many of the frames it dropped the parent still holds.
 * The parent, back from wait, finds its pages as it left them — the same
 * virtual addresses held different data in the two processes — and its
 * first write to a page the child had copied is a "copy-on-write reuse":
 * the parent is now the frame's only holder and takes it over, no copy.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define PAGES 16
#define WRITTEN 4

static char pages[PAGES * PAGE] __attribute__((aligned(PAGE)));

/* A small checksum over every page, so the reads are real. */
static unsigned sum_pages(void)
{
    unsigned s = 0;
    for (int i = 0; i < PAGES; i++)
        s = s * 31 + (unsigned char)pages[i * PAGE];
    return s;
}

int main(void)
{
    for (int i = 0; i < PAGES; i++)
        pages[i * PAGE] = (char)('a' + i);
    printf("parent %d: %d pages at %p filled, sum %u\n", getpid(), PAGES, (void *)pages, sum_pages());
    fflush(stdout);

    pid_t child = fork();
    if (child < 0) {
        printf("fork failed\n");
        return 1;
    }
    if (child == 0) {
        for (int i = 0; i < WRITTEN; i++)
            pages[i * PAGE] = (char)('A' + i);
        printf("child %d (parent %d): wrote %d pages, page 0 at %p holds '%c', sum %u\n", getpid(),
               getppid(), WRITTEN, (void *)pages, pages[0], sum_pages());
        return 7;
    }

    int status = 0;
    pid_t done = waitpid(child, &status, 0);
    printf("parent: child %d exited with %d\n", done, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    printf("parent: page 0 at %p still holds '%c', sum %u\n", (void *)pages, pages[0], sum_pages());
    pages[0] = 'z';
    printf("parent: wrote page 0 again: '%c'\n", pages[0]);
    return 0;
}
