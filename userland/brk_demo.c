/* brk_demo.c - moving the program break by hand with the raw brk syscall.
 *
 * The raw syscall always returns the break as it is afterwards: the new one
 * on success, the old one when the kernel refuses.  (glibc-style brk()
 * turns that into 0 / -1.)  Addresses are printed relative to the initial
 * break, so Linux and toyemu print the same thing.
 */
#include <stdio.h>
#include <syscall.h>
#include <unistd.h>

static unsigned long initial;

static unsigned long raw_brk(unsigned long addr)
{
    return (unsigned long)syscall(__NR_brk, addr);
}

static void try_brk(const char *what, unsigned long addr)
{
    unsigned long got = raw_brk(addr);
    if (got == addr)
        printf("brk(%s): moved, break is now initial%+ld\n", what, (long)(got - initial));
    else
        printf("brk(%s): refused, break stays at initial%+ld\n", what, (long)(got - initial));
}

int main(void)
{
    initial = raw_brk(0);
    printf("brk(0): the initial break is %spage aligned\n", initial % 4096 ? "NOT " : "");

    try_brk("initial + 64 KiB", initial + 65536);
    unsigned char *heap = (unsigned char *)initial;
    unsigned sum = 0;
    for (int i = 0; i < 16; i++) {
        heap[i * 4096] = (unsigned char)(i + 1);     /* first touch: a page fault each */
        sum += heap[i * 4096];
    }
    printf("touched 16 new pages, checksum %u\n", sum);

    try_brk("initial + 4 KiB", initial + 4096);      /* give 15 pages back */
    try_brk("initial + 64 KiB", initial + 65536);    /* and take them again */
    sum = 0;
    for (int i = 0; i < 16; i++)
        sum += heap[i * 4096];
    printf("after shrinking and growing again, checksum %u (page 0 kept its byte, the rest are fresh zero pages)\n", sum);

    try_brk("initial + 100 bytes", initial + 100);    /* the break need not be page aligned */
    try_brk("initial - 4 KiB", initial - 4096);       /* below the start of the heap */
    try_brk("1", 1);
    try_brk("0xffff0000", 0xffff0000ul);              /* kernel space / the stack */
    try_brk("initial", initial);

    void *s = sbrk(0);
    printf("sbrk(0) agrees with brk(0): %s\n", (unsigned long)s == raw_brk(0) ? "yes" : "no");
    return 0;
}
