/* stack_vs_heap.c - what a buffer on the stack costs, against the same
 * buffer from malloc/free, counted in instructions.
 *
 *   toyemu run --count on_stack,on_heap,malloc,free userland/stack_vs_heap
 *
 * on_stack and on_heap do the same work on a 64-byte buffer; only where
 * the buffer comes from differs.  A stack buffer is part of the frame the
 * prologue makes with one `sub $N,%esp` (and `leave` gives it back), so its
 * size costs nothing.  malloc has to find a free chunk, split it and write
 * its header; free has to check the header and put the chunk back on a
 * free list, coalescing with its neighbours.  The first malloc also asks
 * the kernel for the heap (brk), which is why its dearest call is far
 * above the others.
 *
 * Built -O0 (userland/Makefile says so) so the compiler keeps both
 * functions as written.  The program prints only checksums, the same
 * natively and under toyemu; the counts are toyemu's (--count).
 */
#include <stdio.h>
#include <stdlib.h>

#define CALLS 1000
#define SIZE 64

/* The work both do on their buffer: write its first and last byte, read
 * them back.  Kept tiny, so what is left is the cost of the allocation. */
static int use(char *buf, int n)
{
    buf[0] = (char)n;
    buf[SIZE - 1] = (char)(n + 1);
    return buf[0] + buf[SIZE - 1];
}

/* The buffer is in this function's stack frame: allocated by the
 * prologue's `sub`, freed by the epilogue's `leave`. */
__attribute__((noinline)) int on_stack(int n)
{
    char buf[SIZE];
    return use(buf, n);
}

/* The same buffer from the heap. */
__attribute__((noinline)) int on_heap(int n)
{
    char *buf = malloc(SIZE);
    if (buf == NULL)
        return -1;
    int sum = use(buf, n);
    free(buf);
    return sum;
}

int main(void)
{
    long stack_sum = 0, heap_sum = 0;
    for (int i = 0; i < CALLS; i++)
        stack_sum += on_stack(i);
    for (int i = 0; i < CALLS; i++)
        heap_sum += on_heap(i);
    printf("stack_vs_heap: %d calls of on_stack, checksum %ld\n", CALLS, stack_sum);
    printf("stack_vs_heap: %d calls of on_heap,  checksum %ld (%s)\n", CALLS, heap_sum,
           heap_sum == stack_sum ? "the same work" : "DIFFERENT");
    printf("stack_vs_heap: what each call cost: toyemu run --count on_stack,on_heap,malloc,free userland/stack_vs_heap\n");
    return heap_sum == stack_sum ? 0 : 1;
}
