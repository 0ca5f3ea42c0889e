/* toy/chunk.h - the malloc chunk layout: a contract between the libc's
 * malloc (libc/malloc.c), programs that walk its heap (tests/corpus/
 * malloc_heap_walk.c, userland/frag_demo.c) and toyemu's heap inspector
 * (src/heap.rs), which reads the values below from this file when it is
 * built (build.rs).
 *
 *   struct chunk_header {        16 bytes, directly in front of the user pointer
 *       uint32_t size;           whole chunk in bytes incl. this header, multiple of 16
 *       uint16_t flags;          bit0 CHUNK_INUSE, bit1 CHUNK_MMAPPED, bit2 CHUNK_PREV_FREE
 *       uint16_t pad;            in a chunk in use: the bytes after the header that
 *                                the caller did not ask for, so that
 *                                requested = size - CHUNK_HEADER_SIZE - pad
 *                                (0 in free chunks)
 *       uint32_t caller;         return address of the malloc/calloc/realloc call
 *                                that allocated the chunk (0 in free chunks)
 *       uint32_t magic;          CHUNK_MAGIC ("TOYC") while the chunk is valid
 *   };
 *
 * User pointers are 16-byte aligned (header address + 16).  The pad is at
 * most 47 bytes in the heap and under 4 KiB + 16 in an mmap'd chunk, so 16
 * bits hold it; read as one 32-bit word, flags | pad << 16.
 *
 * The heap.  __toy_heap_start is the first 16-byte aligned address at or
 * above the program break when malloc first ran (the initial break, in
 * practice: it is page aligned).  Chunks lie back to back from
 * __toy_heap_start to __toy_heap_end, which equals sbrk(0) unless the
 * program moved the break itself.  The last chunk is always the "top"
 * chunk (the wilderness, free, flags 0) whose size reaches exactly
 * __toy_heap_end.  So the walk
 *
 *     for (p = heap_start; p < heap_end; p += ((struct chunk_header *)p)->size)
 *
 * visits every chunk, each with magic == CHUNK_MAGIC; chunks with
 * CHUNK_INUSE set are live allocations.  Before the first malloc,
 * heap_start == heap_end == 0 and there is nothing to walk.  Free chunks
 * other than top keep a copy of their size in their last 4 bytes, and the
 * chunk after a free chunk has CHUNK_PREV_FREE set: that is what lets
 * free() merge with the chunk in front.  Two free chunks are never adjacent.
 *
 * Free lists.  A free chunk other than top is on exactly one of the
 * CHUNK_NLISTS doubly linked lists whose heads are __toy_free_lists; its
 * first 8 payload bytes are the links {next, prev} (chunk header addresses,
 * 0 at the ends; the head's prev is 0).  Which list, and in what order,
 * depends on the policy in __toy_malloc_policy, chosen at the first malloc
 * from the environment variable MALLOC_POLICY:
 *
 *   CHUNK_POLICY_BINS   unset (the default): list i holds sizes 2^i..2^(i+1)-1,
 *                       newest first; a request takes the first fit in its
 *                       own list, else the head of a larger one
 *   CHUNK_POLICY_FIRST  MALLOC_POLICY=first: one list (0) in address order,
 *                       the lowest chunk that fits
 *   CHUNK_POLICY_BEST   MALLOC_POLICY=best: list 0 in address order, the
 *                       smallest chunk that fits (the lowest of equals)
 *   CHUNK_POLICY_NEXT   MALLOC_POLICY=next: list 0 in address order, the first
 *                       fit at or after where the last search ended, wrapping
 *
 * Big blocks.  A request of 128 KiB or more, header included, gets its own
 * anonymous private mmap: size rounded up to 4 KiB, the header at the start
 * of the mapping (so user pointer = mapping + 16), flags CHUNK_INUSE |
 * CHUNK_MMAPPED, size = the whole mapping.  free() munmaps it at once.
 * __toy_mmap_chunks and __toy_mmap_bytes count the live ones.
 *
 * Only #define lines of the form `#define NAME 0x...u` or `NAME 123u` are
 * read by build.rs; keep the values that way.
 */
#ifndef TOY_CHUNK_H
#define TOY_CHUNK_H

#include <stdint.h>

struct chunk_header {
    uint32_t size;
    uint16_t flags;
    uint16_t pad;
    uint32_t caller;
    uint32_t magic;
};

#define CHUNK_HEADER_SIZE 16u
#define CHUNK_INUSE       1u
#define CHUNK_MMAPPED     2u
#define CHUNK_PREV_FREE   4u
#define CHUNK_MAGIC       0x544f5943u
#define CHUNK_NLISTS      32u

#define CHUNK_POLICY_BINS  0u
#define CHUNK_POLICY_FIRST 1u
#define CHUNK_POLICY_BEST  2u
#define CHUNK_POLICY_NEXT  3u

_Static_assert(sizeof(struct chunk_header) == CHUNK_HEADER_SIZE, "the header is 16 bytes");

extern char *__toy_heap_start;
extern char *__toy_heap_end;
extern struct chunk_header *__toy_free_lists[CHUNK_NLISTS];
extern uint32_t __toy_malloc_policy;
extern uint32_t __toy_mmap_chunks;
extern uint32_t __toy_mmap_bytes;

#endif
