import CWardenSys
import Glibc
import Testing

/// Warden's resident size must follow its live heap over days. glibc's default lets a large buffer, once one
/// has been freed, come from the arenas next time; Warden pins the mmap threshold so that it never does.
struct MallocTuningTests {
    @Test func largeBuffersStayOutOfTheArenasAfterOneWasFreed() {
        warden_tune_malloc()
        let size = 512 * 1024
        // Under glibc's default this free raises the threshold to 512 KiB...
        free(malloc(size))
        // ...and this buffer would come from an arena, where its hole stays resident after it is freed.
        let buffer = malloc(size)
        defer { free(buffer) }
        #expect(warden_malloc_is_mapped(buffer), "a 512 KiB buffer is mapped on its own")
    }
}
