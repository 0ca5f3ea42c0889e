/* pagetable_demo.c - what the page tables of a process cost: two levels
 * against one flat table, and how far-apart pages multiply the tables.
 *
 *   toyemu run --report userland/pagetable_demo dense
 *   toyemu run --report userland/pagetable_demo sparse
 *
 * usage: pagetable_demo [dense|sparse]   (default dense)
 *
 * A flat table for a 32-bit address space needs an entry for each of its
 * 2^20 pages: 4 MiB per process, used or not.  i386's two levels need a
 * 4 KiB page directory plus one 4 KiB page table per 4 MiB region that has
 * a page in it.  Both runs write 64 pages (256 KiB):
 *  - dense: 64 neighbouring pages share one page table;
 *  - sparse: one page every 16 MiB across a 1 GiB mapping, so each page is
 *    alone in its 4 MiB region and brings its own page table: 64 tables
 *    (256 KiB) for 256 KiB of data, still far below the flat 4 MiB.
 * The report's page-table section lists every table and their total size
 * against the flat table's.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096
#define MIB (1024 * 1024)
#define TOUCHED 64

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "dense";
    int sparse = !strcmp(how, "sparse");
    if (!sparse && strcmp(how, "dense")) {
        fprintf(stderr, "usage: pagetable_demo [dense|sparse]\n");
        return 2;
    }
    /* dense: 64 pages in a row; sparse: 64 pages 16 MiB apart in 1 GiB. */
    size_t stride = sparse ? 16 * MIB : PAGE;
    size_t len = stride * TOUCHED;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("pagetable_demo: mmap of %zu MiB failed\n", len / MIB);
        return 1;
    }
    for (int i = 0; i < TOUCHED; i++)
        p[i * stride] = (char)i;
    unsigned sum = 0;
    for (int i = 0; i < TOUCHED; i++)
        sum += (unsigned char)p[i * stride];
    printf("pagetable_demo: %s: mapped %zu KiB, wrote %d pages %zu KiB apart (checksum %u)\n",
           how, len / 1024, TOUCHED, stride / 1024, sum);
    /* Left mapped on purpose: the report is taken just before teardown. */
    return 0;
}
