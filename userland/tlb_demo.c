/* tlb_demo.c - the same 2-D array summed row by row and column by column:
 * the same additions, very different TLB hit rates.
 *
 *   toyemu run --count walk_rows,walk_columns userland/tlb_demo
 *   toyemu run --count walk_rows,walk_columns userland/tlb_demo both 32
 *   toyemu run --count walk_rows,walk_columns --tlb 16 userland/tlb_demo both 32
 *   toyemu run --report userland/tlb_demo row     (or col: one walk, the report's TLB section)
 *
 * usage: tlb_demo [row|col|both] [ROWS]   (default: both, 128 rows)
 *
 * Each row is 3 pages wide (3072 ints).  Row by row, 1024 neighbouring
 * ints share a page, so one TLB miss serves 1023 hits.  Column by column,
 * every step goes down a row to another page: a column touches one page
 * per row, and with 128 rows that is more pages than the TLB's 64
 * entries, so by the time the walk comes back to a row's page its entry
 * has been evicted: (nearly) every access misses.  With 32 rows the pages
 * of a column fit in 64 entries and the column walk hits again, until
 * --tlb 16 makes the TLB smaller than the column.  (Rows of 3 pages, not
 * 4, spread a column's pages over all the TLB's sets.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLS 3072 /* ints per row: 12 KiB, 3 pages */
#define PASSES 2

/* Fill the array row by row (the same for every order). */
__attribute__((noinline)) void fill(unsigned *a, int rows)
{
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < COLS; c++)
            a[r * COLS + c] = (unsigned)(r * 7 + c);
}

__attribute__((noinline)) unsigned walk_rows(const unsigned *a, int rows)
{
    unsigned sum = 0;
    for (int pass = 0; pass < PASSES; pass++)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < COLS; c++)
                sum += a[r * COLS + c];
    return sum;
}

__attribute__((noinline)) unsigned walk_columns(const unsigned *a, int rows)
{
    unsigned sum = 0;
    for (int pass = 0; pass < PASSES; pass++)
        for (int c = 0; c < COLS; c++)
            for (int r = 0; r < rows; r++)
                sum += a[r * COLS + c];
    return sum;
}

int main(int argc, char **argv)
{
    const char *order = argc > 1 ? argv[1] : "both";
    int rows = argc > 2 ? atoi(argv[2]) : 128;
    int row = !strcmp(order, "row") || !strcmp(order, "both");
    int col = !strcmp(order, "col") || !strcmp(order, "both");
    if ((!row && !col) || rows < 1 || rows > 1024) {
        fprintf(stderr, "usage: tlb_demo [row|col|both] [ROWS]  (ROWS 1 to 1024, default 128)\n");
        return 2;
    }
    unsigned *a = malloc((size_t)rows * COLS * sizeof *a);
    if (a == NULL) {
        printf("tlb_demo: malloc failed\n");
        return 1;
    }
    fill(a, rows);
    printf("tlb_demo: %d rows of %d ints (3 pages each), %d passes\n", rows, COLS, PASSES);
    if (row)
        printf("tlb_demo: row by row:       sum %u\n", walk_rows(a, rows));
    if (col)
        printf("tlb_demo: column by column: sum %u\n", walk_columns(a, rows));
    free(a);
    return 0;
}
