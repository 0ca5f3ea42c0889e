/* leak_kinds.c - one block of each kind the leak report tells apart, left
 * allocated at exit (tests/report.rs checks the report's verdicts):
 *
 *   keep      still reachable: the global `kept` points to its start
 *   head      still reachable: the global `list` points to it
 *   tail      still reachable too, though only `head` points to it
 *   middle    possibly lost: only a pointer 50 bytes into it is left
 *   lost      definitely lost: no pointer to it anywhere
 *   behind    indirectly lost: only `lost` points to it
 *
 * The blocks are made deep in the stack (under a 4 KiB frame), so no stale
 * copy of a pointer is left where the exit path's stack could scan it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *next;
    char name[28];
};

void *kept;
struct node *list;
char *into_middle;

static struct node *node(const char *name, struct node *next)
{
    struct node *n = malloc(sizeof *n);
    strcpy(n->name, name);
    n->next = next;
    return n;
}

__attribute__((noinline)) static void make_blocks(void)
{
    kept = malloc(100);
    memset(kept, 0, 100);
    list = node("head", node("tail", NULL));
    char *middle = malloc(200);
    memset(middle, 0, 200);
    into_middle = middle + 50;
    struct node *lost = node("lost", node("behind", NULL));
    lost->name[0] = 'L';
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
    deep();
    printf("leak_kinds: kept %s, list %s -> %s, a pointer into the middle of a block,\n",
           kept ? "set" : "NULL", list->name, list->next->name);
    printf("leak_kinds: and a block pointing to another, both forgotten\n");
    return 0;
}
