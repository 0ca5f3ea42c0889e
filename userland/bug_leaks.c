/* bug_leaks.c - one block of each leak kind, left allocated at exit:
 *
 *   toyemu run --memcheck userland/bug_leaks
 *
 *   kept      still reachable: the global `kept` points to its start (100 bytes)
 *   middle    possibly lost: only a pointer 50 bytes into it is left (200 bytes)
 *   lost      definitely lost: its only pointer, the global `list`, is
 *             overwritten at the line marked BUG (32 bytes)
 *   behind    indirectly lost: only `lost` points to it (24 bytes)
 *
 * Each block's malloc is marked "ALLOC <kind>".  memcheck's leak summary
 * should say: definitely lost 32 bytes in 1 block, indirectly lost 24 in
 * 1, possibly lost 200 in 1, still reachable 100 in 1.  Natively nothing
 * shows: the program prints and exits 0, and the kernel takes every page
 * back.  The shape is tests/scenarios/leak_kinds.c's: the blocks are made
 * deep in the stack (under a 4 KiB frame), so no stale copy of a pointer
 * is left where the exit path's stack could scan it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    char *tail;
    char name[28];
};

void *kept;
char *into_middle;
struct node *list;

__attribute__((noinline)) static void make_blocks(void)
{
    kept = malloc(100);                           /* ALLOC still reachable */
    memset(kept, 0, 100);
    char *middle = malloc(200);                   /* ALLOC possibly lost */
    memset(middle, 0, 200);
    into_middle = middle + 50;
    list = malloc(sizeof *list);                  /* ALLOC definitely lost */
    strcpy(list->name, "lost");
    list->tail = malloc(24);                      /* ALLOC indirectly lost */
    strcpy(list->tail, "behind");
    printf("bug_leaks: list is \"%s\" -> \"%s\"\n", list->name, list->tail);

    list = NULL;                                  /* BUG */
}

/* A big frame between main and make_blocks. */
__attribute__((noinline)) static void deep(void)
{
    volatile char room[4096];
    room[0] = 0;
    make_blocks();
    room[4095] = room[0];
}

int main(void)
{
    printf("bug_leaks: making a block of each leak kind\n");
    deep();
    printf("bug_leaks: kept %s, a pointer into the middle of a block, list %s\n",
           kept ? "set" : "NULL", list ? "set" : "NULL");
    return 0;
}
