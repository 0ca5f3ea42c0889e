/* Integer work: CRC-32 (IEEE, reflected, polynomial 0xedb88320) computed a
 * bit at a time, no table, over a 64 KiB buffer filled by an LCG; argv[1]
 * passes, each continuing the last one's CRC.  Prints the CRC. */
#include <stdio.h>
#include <stdlib.h>

#define LEN (1u << 16)
static unsigned char buf[LEN];

int main(int argc, char **argv)
{
    unsigned passes = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
    unsigned x = 12345;
    for (unsigned i = 0; i < LEN; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    unsigned crc = 0xffffffffu;
    for (unsigned p = 0; p < passes; p++)
        for (unsigned i = 0; i < LEN; i++) {
            crc ^= buf[i];
            for (int k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    printf("crc32 %u passes: %08x\n", passes, ~crc);
    return 0;
}
