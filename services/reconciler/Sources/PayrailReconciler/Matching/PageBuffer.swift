import Foundation

/// A growable array of plain values in an anonymous memory mapping that asks the kernel for transparent huge pages
/// (`MADV_HUGEPAGE`): filling a million-record index touches about 100 MB, which in 4 KiB pages is some 25,000 page
/// faults (a tenth of the run's CPU); in 2 MiB pages it is a few dozen. The reservation is virtual
/// (`MAP_NORESERVE`): only the pages written count towards the process's memory. Grows by moving to a mapping
/// twice the size. Used by one thread at a time.
final class PageBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<Element>
    /// How many elements it holds.
    private(set) var count = 0
    /// How many it can hold before moving.
    private(set) var capacity: Int

    /// A buffer reserving room for `capacity` elements (virtual memory only).
    init(capacity: Int) {
        let capacity = max(capacity, 4096 / max(1, MemoryLayout<Element>.stride))
        self.capacity = capacity
        self.base = Self.map(capacity)
    }

    /// A buffer of `count` zero elements.
    convenience init(zeros count: Int) {
        self.init(capacity: count)
        self.count = count
    }

    deinit {
        Self.unmap(base, capacity)
    }

    @inline(__always)
    subscript(index: Int) -> Element {
        get { base[index] }
        set { base[index] = newValue }
    }

    /// The elements.
    var buffer: UnsafeMutableBufferPointer<Element> { UnsafeMutableBufferPointer(start: base, count: count) }

    /// Appends one element.
    @inline(__always)
    func append(_ element: Element) {
        if count == capacity { grow(to: count + 1) }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Appends elements.
    @inline(__always)
    func append(contentsOf elements: UnsafeBufferPointer<Element>) {
        guard let source = elements.baseAddress, !elements.isEmpty else { return }
        if count + elements.count > capacity { grow(to: count + elements.count) }
        (base + count).initialize(from: source, count: elements.count)
        count += elements.count
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let moved = Self.map(newCapacity)
        moved.initialize(from: base, count: count)
        Self.unmap(base, capacity)
        base = moved
        capacity = newCapacity
    }

    private static func bytes(_ capacity: Int) -> Int {
        let raw = max(1, capacity) * MemoryLayout<Element>.stride
        return (raw + 4095) & ~4095
    }

    private static func map(_ capacity: Int) -> UnsafeMutablePointer<Element> {
        let length = bytes(capacity)
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let address, address != MAP_FAILED else {
            fatalError("PageBuffer: cannot map \(length) bytes: \(String(cString: strerror(errno)))")
        }
        return address.bindMemory(to: Element.self, capacity: max(1, capacity))
    }

    private static func unmap(_ base: UnsafeMutablePointer<Element>, _ capacity: Int) {
        munmap(UnsafeMutableRawPointer(base), bytes(capacity))
    }
}
