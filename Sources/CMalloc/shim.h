#ifndef MOMD_CMALLOC_SHIM_H
#define MOMD_CMALLOC_SHIM_H
// glibc's allocator controls (mallopt), which the daemon uses to keep evicted states' memory
// from lingering in the heap.
#include <malloc.h>
#endif
