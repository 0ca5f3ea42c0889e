/* layout_demo.c - where everything lives in a process's address space.
 *
 * Prints the address of code (text), read-only data, initialised data,
 * bss, a small heap block, a large (mmap'd) block, a local variable on the
 * stack, and the argv/envp arrays, sorted from low to high.  This is the
 * one demo whose output differs between Linux and toyemu: the addresses
 * are the point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char rodata_string[] = "I live in .rodata";
int data_value = 42;
int bss_value;

struct place {
    const char *what;
    const void *where;
};

int main(int argc, char **argv, char **envp)
{
    int local = 0;
    void *small = malloc(32);
    void *large = malloc(1024 * 1024);
    struct place places[] = {
        { "text   (main)", (const void *)main },
        { "rodata (a string constant)", rodata_string },
        { "data   (an initialised global)", &data_value },
        { "bss    (a zeroed global)", &bss_value },
        { "break  (sbrk(0), end of heap)", sbrk(0) },
        { "heap   (malloc(32))", small },
        { "mmap   (malloc(1 MiB))", large },
        { "stack  (a local variable)", &local },
        { "argv   (the argument array)", argv },
        { "envp   (the environment array)", envp },
    };
    int n = sizeof places / sizeof places[0];

    /* insertion sort by address */
    for (int i = 1; i < n; i++) {
        struct place p = places[i];
        int j = i;
        for (; j > 0 && (unsigned long)places[j - 1].where > (unsigned long)p.where; j--)
            places[j] = places[j - 1];
        places[j] = p;
    }
    printf("layout_demo: %d arguments; the address space from low to high:\n", argc);
    for (int i = 0; i < n; i++)
        printf("  %#010lx  %s\n", (unsigned long)places[i].where, places[i].what);
    free(small);
    free(large);
    return 0;
}
