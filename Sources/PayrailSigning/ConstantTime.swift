/// Comparisons whose running time does not depend on where two inputs first differ.
public enum ConstantTime {
    /// Whether two byte sequences are equal, looking at every byte of the longer one whatever the contents.
    public static func equals<A: Collection, B: Collection>(_ lhs: A, _ rhs: B) -> Bool
    where A.Element == UInt8, B.Element == UInt8 {
        let left = Array(lhs)
        let right = Array(rhs)
        var difference: UInt8 = left.count == right.count ? 0 : 1
        let length = max(left.count, right.count)
        for index in 0..<length {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    /// Whether two strings have the same UTF-8 bytes, compared in constant time.
    public static func equals(_ lhs: String, _ rhs: String) -> Bool {
        equals(Array(lhs.utf8), Array(rhs.utf8))
    }
}
