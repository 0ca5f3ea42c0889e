// mm_segments.c - the loaded image: initialised .data, zeroed .bss (including the part of a page shared with .data and a 256 KiB array), writable globals, read-only .rodata, the break just past .bss.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

int data_words[300] = { 1, 2, 3, [299] = 0x12345678 };
char data_tail[5] = "tail";
static uint32_t bss_small[7];
static uint8_t bss_big[256 * 1024];
static const char rodata[] = "rodata is readable";
extern char etext[], edata[], end[];

int main(void)
{
    CHECK(data_words[0] == 1 && data_words[2] == 3 && data_words[3] == 0 && data_words[299] == 0x12345678, 1);
    uint32_t nz = 0;
    for (int i = 0; i < 7; i++)
        nz |= bss_small[i];
    for (uint32_t i = 0; i < sizeof bss_big; i++)
        nz |= bss_big[i];
    CHECK(nz == 0, 2);
    printf("data initialised, bss all zero (%u bytes checked)\n", (unsigned)(sizeof bss_big + sizeof bss_small));

    /* the bytes between edata and the end of its page belong to .bss: zero */
    uintptr_t page_end = ((uintptr_t)edata + 4095) & ~(uintptr_t)4095;
    nz = 0;
    for (volatile uint8_t *p = (volatile uint8_t *)edata; (uintptr_t)p < page_end && (uintptr_t)p < (uintptr_t)end; p++)
        nz |= *p;
    CHECK(nz == 0, 3);
    printf("the page shared by .data and .bss is zero past .data: yes\n");

    for (int i = 0; i < 300; i++)
        data_words[i] += i;
    for (uint32_t i = 0; i < sizeof bss_big; i += 4096)
        bss_big[i] = (uint8_t)(i >> 12);
    uint32_t sum = 0;
    for (int i = 0; i < 300; i++)
        sum += (uint32_t)data_words[i];
    for (uint32_t i = 0; i < sizeof bss_big; i += 4096)
        sum += bss_big[i];
    printf("after writing: checksum %u, tail \"%s\"\n", sum, data_tail);

    printf("order: text < rodata < data < bss < break: %s\n",
           (uintptr_t)main < (uintptr_t)etext && (uintptr_t)etext <= (uintptr_t)rodata &&
           (uintptr_t)rodata < (uintptr_t)data_words && (uintptr_t)edata <= (uintptr_t)bss_big &&
           (uintptr_t)bss_big + sizeof bss_big <= (uintptr_t)end &&
           (uintptr_t)end <= (uintptr_t)sbrk(0) ? "yes" : "no");
    uintptr_t brk0 = (uintptr_t)sbrk(0);
    printf("break - end of bss = %u (less than a page: %s)\n", (unsigned)(brk0 - (uintptr_t)end),
           brk0 - (uintptr_t)end < 4096 ? "yes" : "no");
    printf("%s\n", rodata);
    return 0;
}
