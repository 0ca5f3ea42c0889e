// mm_file_mmap.c - mapping a file: MAP_PRIVATE pages show the file's bytes, a private write stays private (the file is unchanged), MAP_SHARED read-only, the maps line names the file with its offset, and the errors (EACCES, ENODEV, EBADF).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s (errno %d)\n", __LINE__, #cond, errno); exit(code); } } while (0)
#define PAGE 4096
#define SRC "tests/corpus/mm_file_mmap.c"

int main(int argc, char **argv)
{
    char path[512];
    int fd = open(SRC, O_RDONLY);
    CHECK(fd >= 0, 1);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size > 100, 2);
    char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED, 3);
    CHECK(memcmp(m, "// mm_file_mmap.c - mapping a file", 34) == 0, 5);
    printf("the mapping shows the file: %.17s\n", m);
    /* Past the end of the file but inside its last page: zeroes. */
    CHECK(m[st.st_size] == 0 && m[st.st_size - 1] == '\n', 6);
    /* A private write does not reach the file. */
    m[0] = 'X';
    char first;
    CHECK(lseek(fd, 0, SEEK_SET) == 0 && read(fd, &first, 1) == 1 && first == '/', 7);
    printf("private write kept private: mapping %c, file %c\n", m[0], first);

    /* The maps line names the file. */
    int mfd = open("/proc/self/maps", O_RDONLY);
    static char maps[16384];
    int n = 0, got;
    while ((got = read(mfd, maps + n, sizeof maps - 1 - n)) > 0)
        n += got;
    maps[n] = 0;
    close(mfd);
    CHECK(strstr(maps, "tests/corpus/mm_file_mmap.c") != NULL, 8);
    printf("/proc/self/maps names the file\n");
    CHECK(munmap(m, 2 * PAGE) == 0, 9);

    /* A shared read-only mapping at an offset. */
    char *s = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(s != MAP_FAILED && s[1] == '/', 10);
    CHECK(munmap(s, PAGE) == 0, 11);

    /* Errors. */
    snprintf(path, sizeof path, "%s/w.txt", argv[argc - 1]);
    int w = open(path, O_WRONLY | O_CREAT, 0644);
    CHECK(w >= 0 && write(w, "data", 4) == 4, 12);
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, w, 0) == MAP_FAILED && errno == EACCES, 13);
    int dir = open("tests", O_RDONLY);
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dir, 0) == MAP_FAILED && errno == ENODEV, 14);
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 77, 0) == MAP_FAILED && errno == EBADF, 15);
    CHECK(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EACCES, 16);
    printf("errors: EACCES ENODEV EBADF EACCES\n");
    return 0;
}
