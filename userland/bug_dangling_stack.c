/* bug_dangling_stack.c - a pointer to a local variable used after its
 * function returned.
 *
 *   toyemu run --memcheck userland/bug_dangling_stack
 *
 * remember() hands the address of its local `answer` to keep(), which
 * stores it in the global `kept`; when remember() returns, that stack slot
 * is no longer anybody's, and main reads it through `kept` anyway.  Natively nothing has reused the
 * slot yet, so 42 comes out and the program exits 0.  memcheck reports
 *
 *   Invalid read of size 4 ... on the stack, below the stack pointer
 *
 * at the line marked BUG (the local is marked LOCAL).  Returning &answer
 * would not do: gcc turns that into returning NULL; and `kept = &answer`
 * in remember() itself gcc 12 sees (-Wdangling-pointer), so the address
 * goes through keep(), as it would through any register-a-callback API.
 * `answer` is volatile so its store stays at -O2, and the read goes to the
 * volatile `seen` before anything else touches the stack.
 */
#include <stdio.h>

static volatile int *kept;
static volatile int seen;

__attribute__((noinline)) static void keep(volatile int *p)
{
    kept = p;
}

__attribute__((noinline)) static void remember(void)
{
    volatile int answer = 42;                     /* LOCAL */
    keep(&answer);
}

int main(void)
{
    printf("bug_dangling_stack: remember() keeps a pointer to its local\n");
    remember();

    seen = *kept;                                 /* BUG */

    printf("bug_dangling_stack: after it returned, the pointer reads %d\n", seen);
    return 0;
}
