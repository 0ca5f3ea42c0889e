/* fork_storm.c SEED [STEPS] - random forks, exits, waits, mmaps, munmaps,
 * mprotects, brk moves and writes, the same for a given seed, for the
 * property tests of tests/processes.rs: whatever the mix, the frames'
 * reference counts must equal the mappings that hold them, no TLB entry
 * may outlive a switch, and every frame must come back at the end.
 *
 * Each process keeps a few regions (its own mmaps, plus a static array
 * and the heap every child inherits) and writes a checksum of what it
 * believes they hold when it ends: its exit code (low 7 bits) lets the
 * parent check that a child saw its own data, not a sibling's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define SLOTS 6
#define MAX_PAGES 8
#define MAX_LIVE 3
#define MAX_DEPTH 2

static unsigned rng;
static unsigned next(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static char statics[4 * PAGE];
struct region {
    char *at;
    int pages;
};
static struct region slots[SLOTS];
static int children, depth;

static void touch(char *at, int pages, unsigned v)
{
    for (int i = 0; i < pages; i++)
        if (next() % 2)
            at[i * PAGE + (next() % 8) * 512] = (char)(v + i);
}

static unsigned checksum(void)
{
    unsigned s = 0;
    for (int i = 0; i < (int)sizeof statics; i += 512)
        s = s * 33 + (unsigned char)statics[i];
    for (int k = 0; k < SLOTS; k++)
        for (int i = 0; slots[k].at && i < slots[k].pages * PAGE; i += 256)
            s = s * 33 + (unsigned char)slots[k].at[i];
    return s;
}

int main(int argc, char **argv)
{
    rng = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
    int steps = argc > 2 ? atoi(argv[2]) : 60;
    char *heap = malloc(3 * PAGE);
    for (int step = 0; step < steps; step++) {
        unsigned op = next() % 12;
        int k = (int)(next() % SLOTS);
        switch (op) {
        case 0:
        case 1:
            if (children < MAX_LIVE && depth < MAX_DEPTH) {
                pid_t c = fork();
                if (c == 0) {
                    rng ^= (unsigned)getpid() * 2654435761u;
                    children = 0;
                    depth++;
                    steps = step + 1 + (int)(next() % 20);
                } else if (c > 0) {
                    children++;
                }
            }
            break;
        case 2:
            if (children > 0) {
                int st;
                if (wait(&st) > 0)
                    children--;
            }
            break;
        case 3:
            if (!slots[k].at) {
                int pages = 1 + (int)(next() % MAX_PAGES);
                char *m = mmap(0, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m != MAP_FAILED)
                    slots[k] = (struct region){m, pages};
            }
            break;
        case 4:
            if (slots[k].at) {
                munmap(slots[k].at, slots[k].pages * PAGE);
                slots[k].at = 0;
            }
            break;
        case 5:
            if (slots[k].at) {
                mprotect(slots[k].at, PAGE, PROT_READ);
                (void)*(volatile char *)slots[k].at;
                mprotect(slots[k].at, PAGE, PROT_READ | PROT_WRITE);
            }
            break;
        case 6:
            sbrk((next() % 3) * PAGE);
            break;
        case 7:
            touch(heap, 3, step);
            break;
        case 8:
        case 9:
            touch(statics, 4, step);
            break;
        default:
            if (slots[k].at)
                touch(slots[k].at, slots[k].pages, step);
            break;
        }
    }
    while (children > 0) {
        int st;
        if (wait(&st) <= 0)
            break;
        children--;
    }
    unsigned s = checksum();
    printf("pid-free checksum %u\n", s);
    return (int)(s & 0x7f);
}
