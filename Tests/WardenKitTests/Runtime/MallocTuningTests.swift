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
        // ...and this buffer would come from an arena, where its hole stays resident after it is freed. (Other
        // tests free mapped buffers of their own meanwhile, so one of a few tries must see it.)
        let mapped = (0..<5).contains { _ in
            let before = warden_malloc_mapped_bytes()
            let buffer = malloc(size)
            defer { free(buffer) }
            return warden_malloc_mapped_bytes() >= before + size
        }
        #expect(mapped, "a 512 KiB buffer is mapped on its own")
    }
}
