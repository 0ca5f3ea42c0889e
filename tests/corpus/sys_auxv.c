// sys_auxv.c - the initial stack: argc/argv strings, envp NULL-terminated, and the auxiliary vector after it (AT_PAGESZ, AT_PHDR/AT_PHENT/AT_PHNUM against the ELF header, AT_ENTRY == _start, AT_RANDOM readable).
// args: alpha "beta gamma"
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

extern const Elf32_Ehdr __ehdr_start;     /* the linker puts the ELF header here */
extern void _start(void);
extern char **environ;

int main(int argc, char **argv, char **envp)
{
    printf("argc = %d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] = \"%s\" (%u bytes)\n", i, argv[i], (unsigned)strlen(argv[i]));
    /* The differential test adds a scratch directory as the last argument. */
    CHECK(argc == 4, 1);
    CHECK(strcmp(argv[1], "alpha") == 0 && strcmp(argv[2], "beta gamma") == 0, 2);
    CHECK(argv[argc] == NULL, 3);
    CHECK(argv[0] != NULL && strlen(argv[0]) > 0, 4);
    CHECK(envp == argv + argc + 1 && envp == environ, 5);

    /* walk past envp's NULL to the auxv, by hand */
    char **e = envp;
    while (*e)
        e++;
    uint32_t *auxv = (uint32_t *)(e + 1);
    CHECK(auxv == (uint32_t *)__auxv, 6);
    uint32_t pagesz = 0, phdr = 0, phent = 0, phnum = 0, entry = 0, random = 0;
    int entries = 0;
    for (uint32_t *a = auxv; a[0] != AT_NULL; a += 2, entries++) {
        switch (a[0]) {
        case AT_PAGESZ: pagesz = a[1]; break;
        case AT_PHDR: phdr = a[1]; break;
        case AT_PHENT: phent = a[1]; break;
        case AT_PHNUM: phnum = a[1]; break;
        case AT_ENTRY: entry = a[1]; break;
        case AT_RANDOM: random = a[1]; break;
        }
        CHECK(entries < 64, 7);
    }
    printf("AT_PAGESZ = %u\n", pagesz);
    CHECK(pagesz == 4096, 8);

    const Elf32_Ehdr *eh = &__ehdr_start;
    CHECK(memcmp(eh->e_ident, "\177ELF", 4) == 0 && eh->e_ident[4] == 1, 9);
    printf("ELF header at %#x: type %u machine %u, %u program headers of %u bytes\n",
           (unsigned)(uintptr_t)eh, eh->e_type, eh->e_machine, eh->e_phnum, eh->e_phentsize);
    CHECK((uintptr_t)eh == 0x08048000, 10);
    printf("AT_PHDR is the header address + e_phoff: %s\n",
           phdr == (uintptr_t)eh + eh->e_phoff ? "yes" : "no");
    CHECK(phdr == (uintptr_t)eh + eh->e_phoff, 11);
    printf("AT_PHENT = %u, AT_PHNUM = %u (match the header: %s)\n", phent, phnum,
           phent == eh->e_phentsize && phnum == eh->e_phnum ? "yes" : "no");
    CHECK(phent == sizeof(Elf32_Phdr) && phnum == eh->e_phnum, 12);
    printf("AT_ENTRY is _start: %s; e_entry is _start: %s\n",
           entry == (uintptr_t)_start ? "yes" : "no", eh->e_entry == (uintptr_t)_start ? "yes" : "no");
    CHECK(entry == (uintptr_t)_start && eh->e_entry == entry, 13);
    CHECK(getauxval(AT_PAGESZ) == 4096 && getauxval(AT_ENTRY) == entry, 14);

    /* AT_RANDOM: 16 readable bytes (their values differ run to run: not printed) */
    CHECK(random != 0, 15);
    volatile const uint8_t *rb = (const uint8_t *)(uintptr_t)random;
    uint32_t x = 0;
    for (int i = 0; i < 16; i++)
        x |= rb[i];
    printf("AT_RANDOM points to 16 readable bytes: yes\n");
    (void)x;

    /* the program headers: every PT_LOAD lies where it says, page-aligned congruent */
    const Elf32_Phdr *ph = (const Elf32_Phdr *)(uintptr_t)phdr;
    int loads = 0;
    for (unsigned i = 0; i < phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        loads++;
        CHECK(ph[i].p_vaddr % 4096 == ph[i].p_offset % 4096, 16);
        CHECK(ph[i].p_filesz <= ph[i].p_memsz, 17);
        printf("PT_LOAD %d: flags %c%c%c\n", loads, ph[i].p_flags & PF_R ? 'r' : '-',
               ph[i].p_flags & PF_W ? 'w' : '-', ph[i].p_flags & PF_X ? 'x' : '-');
    }
    CHECK(loads >= 2, 18);

    /* the strings live above the auxv, at the top of the stack */
    CHECK((uintptr_t)argv[1] > (uintptr_t)auxv && argv[2] == argv[1] + 6, 19);
    printf("argument strings are contiguous above the auxv: yes\n");
    return 0;
}
