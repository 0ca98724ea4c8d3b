import Foundation

/// A growable array of plain values in an anonymous memory mapping: the reservation is virtual (`MAP_NORESERVE`),
/// so a loader can reserve room for every record it might read and only the pages written count towards the
/// process's memory; it grows by moving to a mapping twice the size. Elements are read and written through a
/// plain pointer (no copy-on-write or exclusivity checks per record). Transparent huge pages are not asked for: on
/// the reference VM, zeroing fresh 2 MiB pages cost more CPU than the 4 KiB page faults they save. Used by one
/// thread at a time.
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
