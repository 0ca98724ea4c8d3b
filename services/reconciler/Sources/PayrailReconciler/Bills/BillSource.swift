import Foundation
import PayrailProviders

/// Where a run gets its bills: the provider through its connector, or a folder of files saved earlier.
public protocol BillSource: Sendable {
    /// Writes one bill to `destination`; throws `ReconcileError` `bill_unavailable` when it cannot be had.
    func fetch(kind: BillKind, day: BillDay, to destination: URL) async throws
}

/// Downloads bills through a `PaymentConnector` (`downloadBill`).
public struct ConnectorBillSource: BillSource {
    /// The account's connector.
    public let connector: any PaymentConnector

    /// Creates the source.
    public init(connector: any PaymentConnector) { self.connector = connector }

    public func fetch(kind: BillKind, day: BillDay, to destination: URL) async throws {
        let file: BillFile
        do {
            file = try await connector.downloadBill(BillRequest(date: day.compact, kind: kind))
        } catch {
            throw ReconcileError("bill_unavailable", "\(kind.rawValue) bill \(day.compact): \(error)")
        }
        do {
            try Data(file.bytes).write(to: destination)
        } catch {
            throw ReconcileError("bill_unavailable", "cannot write \(destination.path): \(error)")
        }
    }
}

/// Reads bills saved earlier under `<folder>/<yyyyMMdd>/<kind>.csv` (the layout the reconciler keeps raw bills
/// in), for re-reconciling offline and for benchmarks.
public struct DirectoryBillSource: BillSource {
    /// The folder holding one sub-folder per date.
    public let folder: URL

    /// Creates the source.
    public init(folder: URL) { self.folder = folder }

    public func fetch(kind: BillKind, day: BillDay, to destination: URL) async throws {
        let source = folder.appendingPathComponent(day.compact).appendingPathComponent("\(kind.rawValue).csv")
        guard FileManager.default.fileExists(atPath: source.path) else {
            throw ReconcileError("bill_unavailable", "no file \(source.path)")
        }
        do {
            try? FileManager.default.removeItem(at: destination)
            // A hard link when on the same file system (instant for a large bill), else a copy.
            do {
                try FileManager.default.linkItem(at: source, to: destination)
            } catch {
                try FileManager.default.copyItem(at: source, to: destination)
            }
        } catch {
            throw ReconcileError("bill_unavailable", "cannot copy \(source.path): \(error)")
        }
    }
}
