import Foundation
import Testing
@testable import MoMCore

/// One change to a configuration, named for test output.
struct ConfigurationChange: Sendable, CustomTestStringConvertible {
    var field: String
    var label: String
    var apply: @Sendable (inout MoMConfiguration) -> Void

    init(_ field: String, _ label: String, _ apply: @escaping @Sendable (inout MoMConfiguration) -> Void) {
        self.field = field
        self.label = label
        self.apply = apply
    }

    var testDescription: String { "\(field): \(label)" }

    func applied(to configuration: MoMConfiguration = .default) -> MoMConfiguration {
        var changed = configuration
        apply(&changed)
        return changed
    }
}

@Suite struct MoMConfigurationTests {
    /// Out-of-range values, each with the field (or limit) its message must name.
    static let invalidChanges: [ConfigurationChange] = [
        .init("memories", "0") { $0.memories = 0 },
        .init("memories", "2000") { $0.memories = 2000 },
        .init("topK", "memories + 1") { $0.topK = $0.memories + 1 },
        .init("topK", "0") { $0.topK = 0 },
        .init("dk", "0") { $0.dk = 0 },
        .init("dk", "-8") { $0.dk = -8 },
        .init("dk", "2^22 + 1") { $0.dk = (1 << 22) + 1 },
        .init("dv", "0") { $0.dv = 0 },
        .init("window", "0") { $0.window = 0 },
        .init("hashesPerOrder", "0") { $0.hashesPerOrder = 0 },
        .init("orderWeights", "window 3 with 4 weights") { $0.window = 3 },
        .init("orderWeights", "5 weights for window 4") { $0.orderWeights = [1, 1, 1, 1, 1] },
        .init("orderWeights", "NaN") { $0.orderWeights = [0.25, .nan, 1, 1] },
        .init("orderWeights", "infinite") { $0.orderWeights = [0.25, 0.5, .infinity, 1] },
        .init("orderWeights", "negative") { $0.orderWeights = [0.25, -0.5, 1, 1] },
        .init("orderWeights", "all zero") { $0.orderWeights = [0, 0, 0, 0] },
        .init("alpha", "0") { $0.alpha = 0 },
        .init("alpha", "1.5") { $0.alpha = 1.5 },
        .init("alpha", "NaN") { $0.alpha = .nan },
        .init("beta", "2") { $0.beta = 2 },
        .init("beta", "2.5") { $0.beta = 2.5 },
        .init("beta", "0") { $0.beta = 0 },
        .init("beta", "NaN") { $0.beta = .nan },
        .init("maxTokenLength", "0") { $0.maxTokenLength = 0 },
        .init("routingChunkTokens", "0") { $0.routingChunkTokens = 0 },
        .init("2 GiB limit", "dk 2^20 with dv 4096") {
            $0.dk = 1 << 20
            $0.dv = 4096
        },
    ]

    @Test func defaultsAreValid() throws {
        try MoMConfiguration.default.validate()
        try MoMConfiguration.small.validate()
        try MoMConfiguration.tiny.validate()
        #expect(MoMConfiguration.default.memoryCount == 16)
        #expect(MoMConfiguration.default.memoryBytes == 16 * 1024 * 64 * 4)
        var shared = MoMConfiguration.default
        shared.sharedMemory = true
        #expect(shared.memoryCount == 17)
    }

    @Test func evidenceScaleLiftsOnlyACueOneTokenShortOfTheWindow() {
        let configuration = MoMConfiguration.default  // order weights 0.25, 0.5, 1, 1
        let threeOfFour = (Float(1.3125) / 2.3125).squareRoot()
        #expect(abs(configuration.matchCeiling(contextTokens: 3) - threeOfFour) < 1e-6)
        #expect(abs(configuration.matchCeiling(contextTokens: 1) - (Float(0.0625) / 2.3125).squareRoot()) < 1e-6)
        #expect(configuration.matchCeiling(contextTokens: 0) == 0)
        #expect(configuration.matchCeiling(contextTokens: 4) == 1)
        #expect(configuration.matchCeiling(contextTokens: 9) == 1)
        #expect(abs(configuration.evidenceScale(contextTokens: 3) - 1 / threeOfFour) < 1e-5)
        for tokens in [0, 1, 2, 4, 5] { #expect(configuration.evidenceScale(contextTokens: tokens) == 1) }
        var flat = MoMConfiguration.default
        flat.window = 2
        flat.orderWeights = [1, 1]
        #expect(abs(flat.evidenceScale(contextTokens: 1) - Float(2).squareRoot()) < 1e-6)
    }

    @Test func boundaryValuesAreValid() throws {
        var configuration = MoMConfiguration.small
        configuration.topK = configuration.memories
        configuration.alpha = 1
        configuration.beta = 1.999
        configuration.orderWeights = [0, 0, 0, 1]
        try configuration.validate()
        configuration.alpha = .leastNonzeroMagnitude
        try configuration.validate()
    }

    @Test(arguments: invalidChanges)
    func validationNamesTheBadField(change: ConfigurationChange) {
        let configuration = change.applied()
        let field = change.field
        #expect {
            try configuration.validate()
        } throws: { error in
            guard let error = error as? MoMError else { return false }
            return error.code == .invalidConfiguration && error.message.contains(field)
        }
        #expect(throws: MoMError.self) { try MoMState(configuration: configuration) }
    }

    // MARK: Fingerprint

    /// One change to every field, each to a valid value other than the default.
    static let fieldChanges: [ConfigurationChange] = [
        .init("memories", "doubled") { $0.memories *= 2 },
        .init("topK", "+1") { $0.topK += 1 },
        .init("dk", "halved") { $0.dk /= 2 },
        .init("dv", "+8") { $0.dv += 8 },
        .init("window", "−1") {
            $0.window -= 1
            $0.orderWeights.removeLast()
        },
        .init("hashesPerOrder", "+1") { $0.hashesPerOrder += 1 },
        .init("orderWeights", "first") { $0.orderWeights[0] = $0.orderWeights[0].nextUp },
        .init("orderWeights", "last") { $0.orderWeights[$0.orderWeights.count - 1] = $0.orderWeights.last!.nextDown },
        .init("alpha", "one step down") { $0.alpha = $0.alpha.nextDown },
        .init("beta", "halved") { $0.beta /= 2 },
        .init("sharedMemory", "toggled") { $0.sharedMemory.toggle() },
        .init("seed", "+1") { $0.seed &+= 1 },
        .init("maxTokenLength", "+1") { $0.maxTokenLength += 1 },
        .init("routingChunkTokens", "+1") { $0.routingChunkTokens += 1 },
        .init("updateRule", "the other rule") { $0.updateRule = $0.updateRule == .delta ? .hebbian : .delta },
        .init("rowFormat", "the other format") { $0.rowFormat = $0.rowFormat == .int8 ? .float32 : .int8 },
        .init("tieBreak", "the other rule") { $0.tieBreak = $0.tieBreak == .hashed ? .lowest : .hashed },
        .init("numberKeys", "the other rule") { $0.numberKeys = $0.numberKeys == .anchored ? .window : .anchored },
        .init("topicRows", "doubled") { $0.topicRows *= 2 },
        .init("topicWidth", "+64") { $0.topicWidth += 64 },
        .init("sentenceSlots", "halved") { $0.sentenceSlots /= 2 },
    ]

    @Test func everyFieldChangesTheFingerprint() throws {
        let base = MoMConfiguration.default
        var fingerprints: [UInt64: String] = [base.fingerprint: "default"]
        for change in Self.fieldChanges {
            let changed = change.applied(to: base)
            try changed.validate()
            #expect(changed != base, "\(change.testDescription) must change the configuration")
            let previous = fingerprints.updateValue(change.testDescription, forKey: changed.fingerprint)
            #expect(previous == nil, "\(change.testDescription) gives the fingerprint of \(previous ?? "")")
        }
        #expect(fingerprints.count == Self.fieldChanges.count + 1)
    }

    @Test func everyStoredPropertyHasAFingerprintChange() {
        // A field added to MoMConfiguration must be added to the fingerprint and to this list.
        let fields = Set(Mirror(reflecting: MoMConfiguration.default).children.compactMap(\.label))
        #expect(fields == Set(Self.fieldChanges.map(\.field)))
    }

    @Test func fingerprintIsStable() {
        // Pinned: the canonical form and the hash are part of the state format.
        let configuration = MoMConfiguration(
            memories: 16, topK: 2, dk: 1024, dv: 64, window: 4, hashesPerOrder: 4, orderWeights: [0.25, 0.5, 1, 1],
            alpha: 1, beta: 1, sharedMemory: false, seed: 0x6D6F_6D64, maxTokenLength: 64, routingChunkTokens: 4096,
            updateRule: .delta, rowFormat: .float32, tieBreak: .lowest, numberKeys: .window)
        #expect(configuration.fingerprint == Self.pinnedFingerprint)
        #expect(configuration.fingerprintHex == String(Self.pinnedFingerprint, radix: 16).leftPadded(to: 16))
        #expect(configuration.fingerprintHex.count == 16)
        #expect(configuration.fingerprint == configuration.fingerprint)
        // Float32 rows keep the canonical form they had before int8 rows: every stored fingerprint
        // stays valid. The default before int8 rows (d_k 2048, Float32) and the one after:
        var before = MoMConfiguration.default.withoutTopicMemory
        before.dk = 2048
        before.rowFormat = .float32
        before.tieBreak = .lowest
        before.numberKeys = .window
        #expect(before.fingerprintHex == "63915f373f99c623")
        // Int8 rows kept theirs when hashed ties came: the default with int8 rows and the lowest
        // tie, and the default since.
        var int8Lowest = MoMConfiguration.default.withoutTopicMemory
        int8Lowest.tieBreak = .lowest
        int8Lowest.numberKeys = .window
        #expect(int8Lowest.fingerprintHex == "0637754368660926")
        // Hashed ties kept theirs when anchored number keys came, and the default since.
        var hashedWindow = MoMConfiguration.default.withoutTopicMemory
        hashedWindow.numberKeys = .window
        #expect(hashedWindow.fingerprintHex == "303c7b63785469ac")
        // Anchored number keys kept theirs when the topic memory came, and the default since.
        #expect(MoMConfiguration.default.withoutTopicMemory.fingerprintHex == "bf54bc3d65782d7c")
        #expect(MoMConfiguration.default.fingerprintHex == "f9bbfd08a4b99787")
    }

    @Test(arguments: RowFormat.allCases)
    func canonicalFormOfHashedTiesRoundTrips(rowFormat: RowFormat) throws {
        var configuration = MoMConfiguration.default.withoutTopicMemory
        configuration.rowFormat = rowFormat
        configuration.numberKeys = .window
        var writer = ByteWriter()
        configuration.writeCanonical(to: &writer)
        #expect(Array(writer.bytes.prefix(4)) == [3, 0, 0, 0])  // form 3: row format, then the tie break
        #expect(Array(writer.bytes.suffix(2)) == [rowFormat == .float32 ? 1 : 2, 1])
        var reader = ByteReader(writer.bytes)
        #expect(try MoMConfiguration.readCanonical(from: &reader) == configuration)
        var unknown = writer.bytes
        unknown[unknown.count - 1] = 9
        var unknownReader = ByteReader(unknown)
        #expect { try MoMConfiguration.readCanonical(from: &unknownReader) } throws: { error in
            (error as? MoMError)?.message.contains("unknown tie break 9") == true
        }
    }

    @Test(arguments: RowFormat.allCases, TieBreak.allCases)
    func canonicalFormOfAnchoredNumberKeysRoundTrips(rowFormat: RowFormat, tieBreak: TieBreak) throws {
        var configuration = MoMConfiguration.default.withoutTopicMemory
        configuration.rowFormat = rowFormat
        configuration.tieBreak = tieBreak
        var writer = ByteWriter()
        configuration.writeCanonical(to: &writer)
        #expect(Array(writer.bytes.prefix(4)) == [4, 0, 0, 0])  // form 4: row format, tie break, number keys
        #expect(Array(writer.bytes.suffix(3)) == [rowFormat == .float32 ? 1 : 2, tieBreak == .hashed ? 1 : 0, 1])
        var reader = ByteReader(writer.bytes)
        #expect(try MoMConfiguration.readCanonical(from: &reader) == configuration)
        for (offset, value, message) in [(1, 5, "unknown number keys 5"), (2, 3, "unknown tie break 3")] {
            var unknown = writer.bytes
            unknown[unknown.count - offset] = UInt8(value)
            var unknownReader = ByteReader(unknown)
            #expect { try MoMConfiguration.readCanonical(from: &unknownReader) } throws: { error in
                (error as? MoMError)?.message.contains(message) == true
            }
        }
    }

    @Test(arguments: NumberKeys.allCases)
    func canonicalFormOfTheTopicMemoryRoundTrips(numberKeys: NumberKeys) throws {
        var configuration = MoMConfiguration.default
        configuration.numberKeys = numberKeys
        var writer = ByteWriter()
        configuration.writeCanonical(to: &writer)
        #expect(Array(writer.bytes.prefix(4)) == [5, 0, 0, 0])  // form 5: form 4's fields, then the topic memory's
        #expect(Array(writer.bytes.suffix(12)) == [0, 32, 0, 0, 128, 0, 0, 0, 0, 8, 0, 0])
        var reader = ByteReader(writer.bytes)
        #expect(try MoMConfiguration.readCanonical(from: &reader) == configuration)
        var noRows = writer.bytes
        for index in (noRows.count - 12)..<(noRows.count - 8) { noRows[index] = 0 }
        var noRowsReader = ByteReader(noRows)
        #expect(throws: MoMError.self) { try MoMConfiguration.readCanonical(from: &noRowsReader) }
    }

    @Test func canonicalFormOfInt8RowsRoundTrips() throws {
        var writer = ByteWriter()
        var int8Lowest = MoMConfiguration.default.withoutTopicMemory
        int8Lowest.tieBreak = .lowest
        int8Lowest.numberKeys = .window
        int8Lowest.writeCanonical(to: &writer)
        #expect(Array(writer.bytes.prefix(4)) == [2, 0, 0, 0])  // form 2: the row format at the end
        #expect(writer.bytes.last == 2)
        var reader = ByteReader(writer.bytes)
        #expect(try MoMConfiguration.readCanonical(from: &reader) == int8Lowest)
        var unknown = writer.bytes
        unknown[unknown.count - 1] = 7
        var unknownReader = ByteReader(unknown)
        #expect { try MoMConfiguration.readCanonical(from: &unknownReader) } throws: { error in
            (error as? MoMError)?.message.contains("unknown row format 7") == true
        }
    }

    @Test func configurationsStoredBeforeInt8RowsDecodeAsFloat32() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(MoMConfiguration.default)) as! [String: Any]
        json["rowFormat"] = nil
        let decoded = try JSONDecoder().decode(MoMConfiguration.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded.rowFormat == .float32 && decoded.dk == MoMConfiguration.default.dk)
    }

    @Test func configurationsStoredBeforeHashedTiesDecodeWithTheLowestTie() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(MoMConfiguration.default)) as! [String: Any]
        #expect(json["tieBreak"] as? String == "hashed")
        json["tieBreak"] = nil
        let decoded = try JSONDecoder().decode(MoMConfiguration.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded.tieBreak == .lowest && decoded.rowFormat == .int8)
    }

    @Test func configurationsStoredBeforeAnchoredNumberKeysDecodeWithWindowKeys() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(MoMConfiguration.default)) as! [String: Any]
        #expect(json["numberKeys"] as? String == "anchored")
        json["numberKeys"] = nil
        let decoded = try JSONDecoder().decode(MoMConfiguration.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded.numberKeys == .window && decoded.tieBreak == .hashed && decoded.rowFormat == .int8)
    }

    @Test(arguments: ["rowFormat", "tieBreak", "numberKeys", "topicRows", "topicWidth", "sentenceSlots"])
    func aFieldThatMayBeLeftOutIsRefusedAsNull(field: String) throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(MoMConfiguration.default)) as! [String: Any]
        json[field] = NSNull()
        let data = try JSONSerialization.data(withJSONObject: json)
        #expect { try JSONDecoder().decode(MoMConfiguration.self, from: data) } throws: { error in
            guard case .valueNotFound(_, let context) = error as? DecodingError else { return false }
            return context.codingPath.last?.stringValue == field
        }
    }

    static let pinnedFingerprint: UInt64 = 0x4823_2F5D_67A9_8E17

    // MARK: Codable

    @Test func codableRoundTrip() throws {
        let configurations = [
            MoMConfiguration.default, .small, .tiny,
            MoMConfiguration(
                memories: 3, topK: 3, dk: 7, dv: 5, window: 2, hashesPerOrder: 3, orderWeights: [0.1, 0.3], alpha: 0.97,
                beta: 1.5, sharedMemory: true, seed: .max, maxTokenLength: 1, routingChunkTokens: 1, updateRule: .hebbian),
        ]
        for configuration in configurations {
            let data = try JSONEncoder().encode(configuration)
            let decoded = try JSONDecoder().decode(MoMConfiguration.self, from: data)
            #expect(decoded == configuration)
            #expect(decoded.fingerprint == configuration.fingerprint)
        }
    }

    @Test func canonicalFormRoundTrips() throws {
        var configuration = MoMConfiguration.small
        configuration.seed = .max
        configuration.alpha = 0.9
        configuration.updateRule = .hebbian
        var writer = ByteWriter()
        configuration.writeCanonical(to: &writer)
        var reader = ByteReader(writer.bytes)
        #expect(try MoMConfiguration.readCanonical(from: &reader) == configuration)
        #expect(reader.remaining == 0)
    }
}

extension String {
    func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
