import Foundation

/// Reading the two key rings every Payrail process needs from the environment, with errors that name the variable
/// (and never echo its value). Executables and `payrailctl` call these instead of parsing the variables themselves.
public enum KeyRingEnvironment {
    /// `PAYRAIL_EVENT_KEYS`: the internal event key ring, `kid:base64secret,…`; the first signs, all verify.
    public static let eventKeysVariable = "PAYRAIL_EVENT_KEYS"
    /// `PAYRAIL_MASTER_KEY`: the master key ring sealing secrets at rest, `kid:base64-of-32-bytes,…`.
    public static let masterKeyVariable = "PAYRAIL_MASTER_KEY"

    /// The event key ring; `missing_setting` when unset or empty, `invalid_setting` when malformed.
    public static func eventKeyRing(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SigningError) -> EventKeyRing {
        let text = try value(eventKeysVariable, "the internal event key ring, kid:base64secret,...", environment)
        do {
            return try EventKeyRing(parsing: text)
        } catch let error as SigningError {
            throw SigningError("invalid_setting", "\(eventKeysVariable): \(error.message)")
        } catch {
            throw SigningError("invalid_setting", "\(eventKeysVariable) cannot be read")
        }
    }

    /// The master key box; `missing_setting` when unset or empty, `invalid_setting` when malformed.
    public static func secretBox(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SigningError) -> SecretBox {
        let text = try value(masterKeyVariable, "the master key ring sealing secrets at rest", environment)
        do {
            return try SecretBox(parsing: text)
        } catch let error as SigningError {
            throw SigningError("invalid_setting", "\(masterKeyVariable): \(error.message)")
        } catch {
            throw SigningError("invalid_setting", "\(masterKeyVariable) cannot be read")
        }
    }

    private static func value(
        _ name: String, _ purpose: String, _ environment: [String: String]
    ) throws(SigningError) -> String {
        guard let text = environment[name], !text.isEmpty else {
            throw SigningError("missing_setting", "\(name) is not set (\(purpose))")
        }
        return text
    }
}
