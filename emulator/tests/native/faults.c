/* Ways to die of a segment (or BCD) fault, one per -DCASE=n (see
 * tests/native_segments.rs): each prints "ready" and then faults; natively
 * the kernel sends the signal, in toyemu the CPU returns the trap.
 */
typedef unsigned int u32;

struct user_desc {
    u32 entry_number, base_addr, limit;
    u32 seg_32bit : 1, contents : 2, read_exec_only : 1, limit_in_pages : 1,
        seg_not_present : 1, useable : 1;
};

static u32 sys3(u32 n, u32 a, u32 b, u32 c)
{
    u32 r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

static u32 buf[1024];

/* A TLS segment over buf: its selector. */
static u32 tls(u32 limit, int pages, int contents, int ro)
{
    struct user_desc d = {-1u, (u32)buf, limit, 1, contents, ro, pages, 0, 1};
    if (sys3(243, (u32)&d, 0, 0) != 0)
        sys3(1, 99, 0, 0);
    return d.entry_number * 8 + 3;
}

void _start(void)
{
    u32 v = 0, sel = 0;
    if (CASE >= 3 && CASE <= 5)
        sel = tls(CASE == 5 ? 0xff : 15, 0, CASE == 5, CASE == 4);
    sys3(4, 1, (u32) "ready\n", 6);
    switch (CASE) {
    case 1:
        __asm__ volatile("movl %1, %%gs\n\tmovl %%gs:0, %0" : "=r"(v) : "r"(0));
        break;
    case 2:
        __asm__ volatile("movl %0, %%fs\n\tmovl $1, %%fs:(%0)" ::"r"(3));
        break;
    case 3:
        /* The dword at 12 fits a limit of 15; the one at 13 does not. */
        __asm__ volatile("movl %1, %%gs\n\tmovl %%gs:12, %0\n\tmovl %%gs:13, %0" : "=r"(v) : "r"(sel));
        break;
    case 4:
        __asm__ volatile("movl %0, %%gs\n\tmovl %%gs:0, %%eax\n\tmovl %%eax, %%gs:4" ::"r"(sel) : "eax");
        break;
    case 5:
        __asm__ volatile("movl %1, %%gs\n\tmovl %%gs:0x100, %0\n\tmovl %%gs:0xfc, %0" : "=r"(v) : "r"(sel));
        break;
    case 6:
        __asm__ volatile("movl %0, %%gs" ::"r"(0xfffb));
        break;
    case 7:
        __asm__ volatile("movl %0, %%fs" ::"r"(0x0f));
        break;
    case 8:
        __asm__ volatile("pushl $0\n\tpopl %%ss" ::: "memory");
        break;
    case 9:
        __asm__ volatile("movl %0, %%ds" ::"r"(0x18));
        break;
    case 10:
        __asm__ volatile("movl %%ds, %%eax\n\tpushl %%eax\n\tpushl $1f\n\tlret\n1:" ::: "eax", "memory");
        break;
    case 11:
        __asm__ volatile("movl $0x1234, %%eax\n\t.byte 0xd4, 0x00" ::: "eax", "cc");
        break;
    case 12:
        __asm__ volatile("movl %%ds, %%eax\n\tmovl %1, %%fs\n\tlodsb %%fs:(%%esi)"
                         : "=&a"(v) : "r"(0), "S"(buf) : "memory");
        break;
    }
    sys3(4, 1, (u32) "survived\n", 9);
    sys3(1, v & 0, 0, 0);
    for (;;)
        ;
}
