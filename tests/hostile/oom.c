/* oom.c - take memory until there is none, three ways:
 *   mmap     map 1 MiB at a time and touch every page (the CPU faults)
 *   syscall  map a page at a time and let uname() write it (the kernel's
 *            copy to user memory takes the frame)
 *   stack    recurse with big frames (the stack grows on faults)
 * Run with a small --mem and a big --stack: the OOM killer must end it.
 */
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <sys/mman.h>

#define PAGE 4096
#define MIB (1024 * 1024)

static unsigned long touched;

static int deep(int n)
{
    volatile char frame[16 * PAGE];
    for (int i = 0; i < (int)sizeof frame; i += PAGE)
        frame[i] = (char)n;
    touched += sizeof frame / PAGE;
    return deep(n + 1) + frame[0];
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "mmap";
    printf("oom: taking memory (%s)\n", mode);
    if (strcmp(mode, "stack") == 0)
        return deep(0);
    for (;;) {
        if (strcmp(mode, "syscall") == 0) {
            char *p = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED)
                return 2;
            if (syscall(__NR_uname, p) != 0)
                return 3;
            touched++;
        } else {
            char *p = mmap(0, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED)
                return 2;
            for (int i = 0; i < MIB; i += PAGE)
                p[i] = 1;
            touched += MIB / PAGE;
        }
        if (touched % 1024 == 0)
            printf("oom: %lu pages touched\n", touched);
    }
}
