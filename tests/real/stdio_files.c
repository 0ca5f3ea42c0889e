/* stdio on files. argv[1] is a writable directory the harness made empty;
 * argv[2] a read-only file of the repository (tests/real/data/words.txt).
 * Writes a file with fprintf/fputs/fwrite, reads it back with fgets/fread/
 * getc/ungetc/fscanf, moves with fseek/ftell/rewind, appends, updates in
 * place with "r+", renames and removes it; reads the repository file and
 * /etc/hostname read-only; checks errno for a missing file. Exit codes:
 * 1-3 open/write/close, 4-7 reading back, 8-9 seeking, 10 append,
 * 11 update, 12 rename/remove, 13 the read-only file, 14 errno, 15 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return 15;
    char path[4096], path2[4096], line[256];
    snprintf(path, sizeof path, "%s/out.txt", argv[1]);
    snprintf(path2, sizeof path2, "%s/renamed.txt", argv[1]);

    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    for (int i = 0; i < 100; i++)
        if (fprintf(f, "line %03d: %d squared is %d\n", i, i, i * i) <= 0)
            return 2;
    fputs("binary:", f);
    unsigned char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (unsigned char)i;
    if (fwrite(bin, 1, sizeof bin, f) != sizeof bin)
        return 2;
    long written = ftell(f);
    if (fclose(f) != 0)
        return 3;
    printf("wrote %ld bytes\n", written);

    f = fopen(path, "r");
    if (!f)
        return 4;
    int lines = 0;
    while (lines < 100 && fgets(line, sizeof line, f))
        lines++;
    printf("read %d lines, last: %s", lines, line);
    if (lines != 100)
        return 5;
    char tag[8] = {0};
    if (fread(tag, 1, 7, f) != 7 || strcmp(tag, "binary:"))
        return 6;
    unsigned char back[256];
    if (fread(back, 1, sizeof back, f) != sizeof back || memcmp(back, bin, sizeof bin))
        return 6;
    if (getc(f) != EOF || !feof(f) || ferror(f))
        return 7;
    if (fseek(f, 0, SEEK_END) || ftell(f) != written)
        return 8;
    if (fseek(f, 5, SEEK_SET) || getc(f) != '0' || ftell(f) != 6)
        return 8;
    if (fseek(f, -2, SEEK_CUR) || ftell(f) != 4)
        return 9;
    int c = getc(f);
    ungetc('#', f);
    if (getc(f) != '#' || c != ' ')
        return 9;
    rewind(f);
    int n1, n2, n3;
    if (fscanf(f, "line %d: %d squared is %d", &n1, &n2, &n3) != 3 || n1 || n2 || n3)
        return 9;
    fclose(f);

    f = fopen(path, "a");
    if (!f || fputs("appended\n", f) < 0 || fclose(f))
        return 10;
    f = fopen(path, "r+");
    if (!f || fseek(f, 5, SEEK_SET) || fputs("XYZ", f) < 0)
        return 11;
    fflush(f);
    fseek(f, 0, SEEK_SET);
    if (!fgets(line, sizeof line, f) || strncmp(line, "line XYZ:", 9))
        return 11;
    fseek(f, -9, SEEK_END);
    if (!fgets(line, sizeof line, f) || strcmp(line, "appended\n"))
        return 11;
    long size = ftell(f);
    fclose(f);
    printf("after append and update: %ld bytes, first line now starts \"line XYZ:\"\n", size);

    if (rename(path, path2) || fopen(path, "r") || remove(path2) || fopen(path2, "r"))
        return 12;
    errno = 0;
    if (fopen(path, "r") || errno != ENOENT)
        return 14;
    printf("missing file: errno %d (%s)\n", errno, strerror(errno));

    f = fopen(argv[2], "r");
    if (!f)
        return 13;
    unsigned sum = 0, bytes = 0;
    lines = 0;
    while ((c = getc(f)) != EOF) {
        sum = sum * 31 + (unsigned)c;
        bytes++;
        lines += c == '\n';
    }
    fclose(f);
    printf("%s: %u bytes, %d lines, hash %08x\n", argv[2], bytes, lines, sum);

    /* A stable host file, read-only; only whether it reads is printed. */
    f = fopen("/etc/hostname", "r");
    int ok = f && fgets(line, sizeof line, f) && strlen(line) > 0;
    if (f)
        fclose(f);
    printf("/etc/hostname readable: %s\n", ok ? "yes" : "no");
    return 0;
}
