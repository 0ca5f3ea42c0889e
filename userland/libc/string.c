/* string.c - memory and string functions.
 *
 * memcpy, memmove and memset use the x86 string instructions (rep movs,
 * rep stos, with DF set for the backward copy), which is both fast and a
 * steady workout for the emulator's string-instruction code.  The rest is
 * plain C.  This file is built with -fno-tree-loop-distribute-patterns so
 * gcc does not turn these loops back into calls to themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *memcpy(void *dst, const void *src, size_t n)
{
    int c, d, s;
    __asm__ volatile("rep movsl\n\t"
                     "movl %4, %%ecx\n\t"
                     "rep movsb"
                     : "=&c"(c), "=&D"(d), "=&S"(s)
                     : "0"(n >> 2), "g"(n & 3), "1"(dst), "2"(src)
                     : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    const char *s = src;
    char *d = dst;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    /* Overlap with dst above src: copy from the end, downwards.  First the
     * n % 4 trailing bytes one by one, then whole dwords. */
    int c, di, si;
    __asm__ volatile("std\n\t"
                     "rep movsb\n\t"
                     "subl $3, %%esi\n\t"
                     "subl $3, %%edi\n\t"
                     "movl %4, %%ecx\n\t"
                     "rep movsl\n\t"
                     "cld"
                     : "=&c"(c), "=&D"(di), "=&S"(si)
                     : "0"(n & 3), "g"(n >> 2), "1"(d + n - 1), "2"(s + n - 1)
                     : "memory", "cc");
    return dst;
}

void *memset(void *dst, int ch, size_t n)
{
    uint32_t v = (uint8_t)ch * 0x01010101u;
    int c, d;
    __asm__ volatile("rep stosl\n\t"
                     "movl %3, %%ecx\n\t"
                     "rep stosb"
                     : "=&c"(c), "=&D"(d)
                     : "a"(v), "g"(n & 3), "0"(n >> 2), "1"(dst)
                     : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (size_t i = 0; i < n; i++)
        if (p[i] != q[i])
            return p[i] - q[i];
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++)
        if (p[i] == (unsigned char)c)
            return (void *)(p + i);
    return NULL;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return p - s;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n > 0; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (*a == 0)
            break;
    }
    return 0;
}

char *strcpy(char *dst, const char *src)
{
    char *d = dst;
    while ((*d++ = *src++) != 0)
        ;
    return dst;
}

/* Copies at most n bytes and pads with NULs up to n; like the standard's,
 * the result is not terminated when src is n bytes or longer. */
char *strncpy(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++)
        dst[i] = src[i];
    for (; i < n; i++)
        dst[i] = 0;
    return dst;
}

char *strcat(char *dst, const char *src)
{
    strcpy(dst + strlen(dst), src);
    return dst;
}

char *strncat(char *dst, const char *src, size_t n)
{
    char *d = dst + strlen(dst);
    size_t i = 0;
    for (; i < n && src[i]; i++)
        d[i] = src[i];
    d[i] = 0;
    return dst;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (*s == 0)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (*s == 0)
            return (char *)last;
    }
}

char *strstr(const char *h, const char *n)
{
    size_t nl = strlen(n);
    if (nl == 0)
        return (char *)h;
    for (; *h; h++)
        if (*h == *n && strncmp(h, n, nl) == 0)
            return (char *)h;
    return NULL;
}

size_t strspn(const char *s, const char *accept)
{
    size_t n = 0;
    while (s[n] && strchr(accept, s[n]))
        n++;
    return n;
}

size_t strcspn(const char *s, const char *reject)
{
    size_t n = 0;
    while (s[n] && !strchr(reject, s[n]))
        n++;
    return n;
}

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

static const char *const errnames[] = {
    [0] = "Success",
    [1] = "Operation not permitted",
    [2] = "No such file or directory",
    [3] = "No such process",
    [4] = "Interrupted system call",
    [5] = "Input/output error",
    [9] = "Bad file descriptor",
    [11] = "Resource temporarily unavailable",
    [12] = "Cannot allocate memory",
    [13] = "Permission denied",
    [14] = "Bad address",
    [16] = "Device or resource busy",
    [17] = "File exists",
    [22] = "Invalid argument",
    [25] = "Inappropriate ioctl for device",
    [28] = "No space left on device",
    [29] = "Illegal seek",
    [32] = "Broken pipe",
    [34] = "Numerical result out of range",
    [38] = "Function not implemented",
};

char *strerror(int e)
{
    static char buf[32];
    if (e >= 0 && e < (int)(sizeof errnames / sizeof errnames[0]) && errnames[e])
        return (char *)errnames[e];
    /* Build "Unknown error N" by hand: printf is not needed here. */
    char num[12];
    int i = 0;
    unsigned u = e < 0 ? -(unsigned)e : (unsigned)e;
    do {
        num[i++] = '0' + u % 10;
        u /= 10;
    } while (u);
    char *p = strcpy(buf, "Unknown error ") + 14;
    if (e < 0)
        *p++ = '-';
    while (i > 0)
        *p++ = num[--i];
    *p = 0;
    return buf;
}
