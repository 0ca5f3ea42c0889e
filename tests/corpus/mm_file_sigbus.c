// mm_file_sigbus.c - a file mapping longer than the file: the page holding the file's end reads (zeroes after it), the next page is SIGBUS, not SIGSEGV (exit status 135).
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
    int fd = open("tests/corpus/mm_file_sigbus.c", O_RDONLY);
    char *m = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return 1;
    printf("inside the file's last page: %d\n", m[4000]);
    printf("one page past the end of the file...\n");
    return m[4096 + 10];
}
