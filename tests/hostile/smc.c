/* smc.c - programs that write their own code, each checked against what a
 * real x86 CPU does (Intel SDM Vol. 3A §11.6: a store to code is seen by
 * the very next instruction fetched). stdin holds the bytes of
 * `mov eax, 7; ret` for the case where the kernel writes the code (read).
 * The exit status counts the surprises.
 */
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <unistd.h>
#include <sys/mman.h>

#define PAGE 4096
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

typedef int (*fn)(void);
static int failures;

static void check(const char *what, int got, int want)
{
    printf("%s: %d\n", what, got);
    if (got != want) {
        printf("  ^ expected %d\n", want);
        failures++;
    }
}

static char *map(int prot, int pages)
{
    char *p = mmap(0, pages * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("mmap failed\n");
        _exit(100);
    }
    return p;
}

/* mov eax, imm32; ret */
static void ret_imm(char *at, int v)
{
    at[0] = (char)0xb8;
    memcpy(at + 1, &v, 4);
    at[5] = (char)0xc3;
}

int main(void)
{
    char *code = map(RWX, 2);

    /* Run, rewrite, run again. */
    ret_imm(code, 1);
    check("first version", ((fn)code)(), 1);
    ret_imm(code, 2);
    check("rewritten", ((fn)code)(), 2);

    /* An instruction patches the one right after it, in the same block. */
    unsigned char next[] = {
        0xc6, 0x05, 0, 0, 0, 0, 42, /* mov byte [imm_of_next], 42 */
        0xb8, 0, 0, 0, 0,           /* mov eax, 0 */
        0xc3,                       /* ret */
    };
    unsigned int target = (unsigned int)(code + 8);
    memcpy(next + 2, &target, 4);
    memcpy(code, next, sizeof next);
    check("patches the next instruction", ((fn)code)(), 42);

    /* A loop that bumps an immediate in its own first instruction. */
    unsigned char loop[] = {
        0xb9, 10, 0, 0, 0,           /* mov ecx, 10 */
        0xb8, 0, 0, 0, 0,            /* L: mov eax, imm (at code+6) */
        0x80, 0x05, 0, 0, 0, 0, 1,   /* add byte [code+6], 1 */
        0x49,                        /* dec ecx */
        0x75, 0xf1,                  /* jnz L */
        0xc3,                        /* ret */
    };
    target = (unsigned int)(code + 6);
    memcpy(loop + 12, &target, 4);
    memcpy(code, loop, sizeof loop);
    check("loop rewriting its own body", ((fn)code)(), 9);

    /* An instruction across a page boundary, its immediate changed in the
     * second page. */
    char *cross = code + PAGE - 3;
    ret_imm(cross, 0x11223344);
    check("across pages", ((fn)cross)(), 0x11223344);
    code[PAGE + 1] = 0x55; /* the immediate's top byte */
    check("across pages, second page rewritten", ((fn)cross)(), 0x55223344);

    /* JIT style: write while RW, run while RX, and again. */
    char *jit = map(PROT_READ | PROT_WRITE, 1);
    ret_imm(jit, 3);
    mprotect(jit, PAGE, PROT_READ | PROT_EXEC);
    check("jit, first", ((fn)jit)(), 3);
    mprotect(jit, PAGE, PROT_READ | PROT_WRITE);
    ret_imm(jit, 4);
    mprotect(jit, PAGE, PROT_READ | PROT_EXEC);
    check("jit, recompiled", ((fn)jit)(), 4);

    /* The kernel writes the code: read() from stdin over it. */
    ret_imm(code, 6);
    check("before read", ((fn)code)(), 6);
    check("read 6 bytes of code", (int)read(0, code, 6), 6);
    check("code from read", ((fn)code)(), 7);

    /* Unmap run code, map anew (the frame comes back), run the new code. */
    munmap(code, 2 * PAGE);
    char *again = map(RWX, 1);
    ret_imm(again, 5);
    check("fresh mapping", ((fn)again)(), 5);

    printf("%d failures\n", failures);
    return failures;
}
