// asm_string_ops.c - x86 string instructions: rep movs/stos (b/w/l), with DF set (std) for backward copies, repe cmpsb, repne scasb, lodsb/lodsl, single movs/cmps/scas, rep with ECX=0; ESI/EDI/ECX after each.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define ZF 0x40u
#define CF 0x01u

struct regs { uintptr_t si, di, cx; };

static struct regs rep_movsb(void *d, const void *s, size_t n)
{
    struct regs r;
    __asm__ volatile("rep movsb" : "=S"(r.si), "=D"(r.di), "=c"(r.cx) : "0"(s), "1"(d), "2"(n) : "memory");
    return r;
}

static struct regs rep_movsw(void *d, const void *s, size_t n)
{
    struct regs r;
    __asm__ volatile("rep movsw" : "=S"(r.si), "=D"(r.di), "=c"(r.cx) : "0"(s), "1"(d), "2"(n) : "memory");
    return r;
}

static struct regs rep_movsl(void *d, const void *s, size_t n)
{
    struct regs r;
    __asm__ volatile("rep movsl" : "=S"(r.si), "=D"(r.di), "=c"(r.cx) : "0"(s), "1"(d), "2"(n) : "memory");
    return r;
}

/* backward: point at the last byte of each buffer, copy downwards */
static struct regs rep_movsb_back(void *d_last, const void *s_last, size_t n)
{
    struct regs r;
    __asm__ volatile("std\n\trep movsb\n\tcld"
                     : "=S"(r.si), "=D"(r.di), "=c"(r.cx) : "0"(s_last), "1"(d_last), "2"(n) : "memory", "cc");
    return r;
}

static struct regs rep_movsl_back(void *d_last, const void *s_last, size_t n)
{
    struct regs r;
    __asm__ volatile("std\n\trep movsl\n\tcld"
                     : "=S"(r.si), "=D"(r.di), "=c"(r.cx) : "0"(s_last), "1"(d_last), "2"(n) : "memory", "cc");
    return r;
}

static uintptr_t rep_stosb(void *d, int c, size_t n)
{
    uintptr_t di, cx;
    __asm__ volatile("rep stosb" : "=D"(di), "=c"(cx) : "0"(d), "1"(n), "a"(c) : "memory");
    return di;
}

static uintptr_t rep_stosw(void *d, uint16_t v, size_t n)
{
    uintptr_t di, cx;
    __asm__ volatile("rep stosw" : "=D"(di), "=c"(cx) : "0"(d), "1"(n), "a"(v) : "memory");
    return di;
}

static uintptr_t rep_stosl(void *d, uint32_t v, size_t n)
{
    uintptr_t di, cx;
    __asm__ volatile("rep stosl" : "=D"(di), "=c"(cx) : "0"(d), "1"(n), "a"(v) : "memory");
    return di;
}

static uintptr_t rep_stosl_back(void *d_last, uint32_t v, size_t n)
{
    uintptr_t di, cx;
    __asm__ volatile("std\n\trep stosl\n\tcld" : "=D"(di), "=c"(cx) : "0"(d_last), "1"(n), "a"(v) : "memory", "cc");
    return di;
}

/* repe cmpsb: returns ECX left and the flags */
static uint32_t repe_cmpsb(const void *a, const void *b, size_t n, uintptr_t *cx_left)
{
    uint32_t f;
    uintptr_t si, di, cx;
    __asm__ volatile("cmpl %%ecx, %%ecx\n\trepe cmpsb\n\tpushfl\n\tpopl %3"
                     : "=S"(si), "=D"(di), "=c"(cx), "=r"(f) : "0"(a), "1"(b), "2"(n) : "memory", "cc");
    *cx_left = cx;
    return f;
}

/* strlen with repne scasb */
static size_t scas_strlen(const char *s)
{
    uintptr_t di, cx;
    __asm__ volatile("repne scasb" : "=D"(di), "=c"(cx) : "0"(s), "1"(~0u), "a"(0) : "memory", "cc");
    return ~cx - 1;
}

/* skip leading spaces with repe scasb; returns index of the first non-space */
static size_t skip_spaces(const char *s, size_t n)
{
    uintptr_t di, cx;
    __asm__ volatile("repe scasb" : "=D"(di), "=c"(cx) : "0"(s), "1"(n), "a"(' ') : "memory", "cc");
    return (const char *)di - s - 1;
}

/* sum bytes with lodsb + loop */
static uint32_t lods_sum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    uintptr_t si, cx;
    __asm__ volatile("xorl %%eax, %%eax\n"
                     "1:\n\tlodsb\n\taddl %%eax, %0\n\tloop 1b"
                     : "+r"(sum), "=S"(si), "=c"(cx) : "1"(p), "2"(n) : "eax", "memory", "cc");
    return sum;
}

static uint32_t lodsl_xor(const uint32_t *p, size_t n)
{
    uint32_t x = 0;
    uintptr_t si, cx;
    __asm__ volatile("1:\n\tlodsl\n\txorl %%eax, %0\n\tloop 1b"
                     : "+r"(x), "=S"(si), "=c"(cx) : "1"(p), "2"(n) : "eax", "memory", "cc");
    return x;
}

/* single (unrepeated) cmpsl and scasw with their flags */
static uint32_t cmpsl_once(const uint32_t *a, const uint32_t *b)
{
    uint32_t f;
    uintptr_t si, di;
    __asm__ volatile("cmpsl\n\tpushfl\n\tpopl %2" : "=S"(si), "=D"(di), "=r"(f) : "0"(a), "1"(b) : "memory", "cc");
    return f;
}

static uint32_t scasw_once(const uint16_t *p, uint16_t v)
{
    uint32_t f;
    uintptr_t di;
    __asm__ volatile("scasw\n\tpushfl\n\tpopl %1" : "=D"(di), "=r"(f) : "0"(p), "a"(v) : "memory", "cc");
    return f;
}

static uint8_t src[600], dst[600];

static uint32_t h;
static void mix_buf(const uint8_t *p, size_t n) { while (n--) h = (h ^ *p++) * 16777619u; }

int main(void)
{
    for (int i = 0; i < 600; i++)
        src[i] = (uint8_t)(i * 7 + 3);
    struct regs r;

    r = rep_movsb(dst, src, 101);
    CHECK(memcmp(dst, src, 101) == 0 && r.cx == 0, 1);
    CHECK(r.si == (uintptr_t)src + 101 && r.di == (uintptr_t)dst + 101, 2);
    r = rep_movsw(dst + 200, src + 1, 50);
    CHECK(memcmp(dst + 200, src + 1, 100) == 0 && r.di == (uintptr_t)dst + 300, 3);
    r = rep_movsl(dst + 301, src + 3, 40);
    CHECK(memcmp(dst + 301, src + 3, 160) == 0 && r.si == (uintptr_t)src + 163, 4);
    r = rep_movsb(dst, src + 500, 0);                  /* ECX = 0: nothing at all */
    CHECK(r.si == (uintptr_t)src + 500 && r.di == (uintptr_t)dst && r.cx == 0 && dst[0] == src[0], 5);
    mix_buf(dst, sizeof dst);

    /* overlapping move up by 3, done backwards so nothing is overwritten early */
    memcpy(dst, src, 600);
    r = rep_movsb_back(dst + 3 + 99, dst + 99, 100);
    CHECK(memcmp(dst + 3, src, 100) == 0, 6);
    CHECK(r.si == (uintptr_t)dst - 1 && r.di == (uintptr_t)dst + 2, 7);
    r = rep_movsl_back(dst + 400 + 4 * 9, dst + 396 + 4 * 9, 10);
    CHECK(memcmp(dst + 400, src + 396, 40) == 0 && r.si == (uintptr_t)dst + 392, 8);
    uint32_t df;
    __asm__ volatile("pushfl\n\tpopl %0" : "=r"(df));
    CHECK(!(df & 0x400), 9);                           /* DF was cleared again */
    mix_buf(dst, sizeof dst);

    CHECK(rep_stosb(dst, 0xab, 33) == (uintptr_t)dst + 33 && dst[32] == 0xab && dst[33] != 0xab, 10);
    CHECK(rep_stosw(dst + 40, 0x1234, 5) == (uintptr_t)dst + 50 && dst[40] == 0x34 && dst[49] == 0x12, 11);
    CHECK(rep_stosl(dst + 52, 0xdeadbeef, 7) == (uintptr_t)dst + 80, 12);
    CHECK(rep_stosl_back(dst + 120, 0x01020304, 4) == (uintptr_t)dst + 104 && dst[108] == 4, 13);
    mix_buf(dst, sizeof dst);

    uintptr_t left;
    memcpy(dst, src, 600);
    dst[77] ^= 0x10;
    uint32_t f = repe_cmpsb(src, dst, 200, &left);
    CHECK(!(f & ZF) && 200 - left - 1 == 77, 14);       /* stopped just after the mismatch */
    CHECK(!!(f & CF) == (src[77] < dst[77]), 15);
    f = repe_cmpsb(src, dst, 77, &left);
    CHECK((f & ZF) && left == 0, 16);
    f = repe_cmpsb(src, dst, 0, &left);                 /* ECX = 0: flags untouched (ZF from cmp) */
    CHECK((f & ZF) && left == 0, 17);

    const char *text = "     the quick brown fox jumps over the lazy dog";
    CHECK(scas_strlen(text) == strlen(text), 18);
    CHECK(scas_strlen("") == 0, 19);
    CHECK(skip_spaces(text, strlen(text)) == 5, 20);
    uint32_t sum = lods_sum(src, 600), want = 0;
    for (int i = 0; i < 600; i++)
        want += src[i];
    CHECK(sum == want, 21);
    uint32_t words[5] = { 1, 2, 4, 8, 0x80000000 };
    CHECK(lodsl_xor(words, 5) == 0x8000000f, 22);
    f = cmpsl_once(&words[0], &words[1]);
    CHECK((f & CF) && !(f & ZF), 23);
    uint16_t w16 = 0x5555;
    f = scasw_once(&w16, 0x5555);
    CHECK(f & ZF, 24);

    printf("string instructions agree: strlen %u, byte sum %u, mismatch at 77\n",
           (unsigned)scas_strlen(text), sum);
    printf("buffer checksum %08x\n", h);
    return 0;
}
