import Foundation

/// A parsed, validated safetensors file whose tensors are all little-endian float32.
///
/// Layout: an 8-byte little-endian header length `n`, `n` bytes of JSON, then the data; tensor offsets are
/// relative to byte `8 + n`. Parsing checks the header length, every dtype, that each tensor's byte range
/// lies inside the file and matches its shape, and that no two ranges overlap.
public struct SafeTensorsFile: Sendable {
    /// Shape and byte range (relative to the start of the data section) of one tensor.
    public struct TensorInfo: Sendable, Equatable {
        public let shape: [Int]
        public let byteRange: Range<Int>
    }

    /// Upper bound on the JSON header; PAT headers are a few KB, so anything huge is corruption, not data.
    public static let maxHeaderLength = 16 << 20

    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Every tensor in the file, by name.
    public let tensors: [String: TensorInfo]
    private let bytes: [UInt8]
    private let dataStart: Int

    /// Parses and validates `bytes` as a safetensors file.
    public init(bytes: [UInt8]) throws(PATModelError) {
        guard bytes.count >= 8 else {
            throw .truncatedFile("file has \(bytes.count) bytes, fewer than the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength >= 2, headerLength <= UInt64(Self.maxHeaderLength) else {
            throw .malformedHeader("header length \(headerLength) is not plausible (2...\(Self.maxHeaderLength))")
        }
        let n = Int(headerLength)
        guard 8 + n <= bytes.count else {
            throw .truncatedFile("header claims \(n) bytes but the file has only \(bytes.count - 8) after the length")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)]))
        } catch {
            throw .malformedHeader("header is not valid JSON (\(error.localizedDescription))")
        }
        guard let header = object as? [String: Any] else {
            throw .malformedHeader("header is not a JSON object")
        }
        let dataCount = bytes.count - 8 - n
        var metadata: [String: String] = [:]
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: String] else {
                    throw .malformedHeader("__metadata__ must map strings to strings")
                }
                metadata = map
                continue
            }
            tensors[name] = try Self.parseEntry(name: name, value: value, dataCount: dataCount)
        }
        try Self.checkNoOverlap(tensors)
        self.metadata = metadata
        self.tensors = tensors
        self.bytes = bytes
        self.dataStart = 8 + n
    }

    /// Reads and parses the file at `url`.
    public static func load(contentsOf url: URL) throws(PATModelError) -> SafeTensorsFile {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .fileUnreadable(path: url.path, reason: error.localizedDescription)
        }
        return try SafeTensorsFile(bytes: [UInt8](data))
    }

    /// The values of tensor `name` in row-major order.
    public func floats(_ name: String) throws(PATModelError) -> [Float] {
        guard let info = tensors[name] else { throw .missingTensor(name) }
        let count = info.byteRange.count / MemoryLayout<Float>.size
        let start = dataStart + info.byteRange.lowerBound
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            bytes.withUnsafeBytes { raw in
                for i in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)
                    out[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            initialized = count
        }
    }

    private static func parseEntry(name: String, value: Any, dataCount: Int) throws(PATModelError) -> TensorInfo {
        guard let entry = value as? [String: Any] else {
            throw .malformedHeader("entry '\(name)' is not an object")
        }
        guard let dtype = entry["dtype"] as? String else {
            throw .malformedHeader("entry '\(name)' has no string dtype")
        }
        guard dtype == "F32" else { throw .unsupportedDType(tensor: name, dtype: dtype) }
        guard let shape = entry["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else {
            throw .malformedHeader("entry '\(name)' has no valid shape")
        }
        guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
            offsets[0] >= 0, offsets[0] <= offsets[1]
        else {
            throw .malformedHeader("entry '\(name)' has no valid data_offsets")
        }
        let (elements, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, elements.multipliedReportingOverflow(by: 4).overflow == false,
            offsets[1] - offsets[0] == elements * 4
        else {
            throw .invalidTensorData(
                tensor: name, reason: "byte range \(offsets[0])..<\(offsets[1]) does not hold shape \(shape) of F32")
        }
        guard offsets[1] <= dataCount else {
            throw .truncatedFile("tensor '\(name)' ends at data byte \(offsets[1]) but only \(dataCount) are present")
        }
        return TensorInfo(shape: shape, byteRange: offsets[0]..<offsets[1])
    }

    private static func checkNoOverlap(_ tensors: [String: TensorInfo]) throws(PATModelError) {
        let ordered = tensors.filter { !$0.value.byteRange.isEmpty }
            .sorted { ($0.value.byteRange.lowerBound, $0.key) < ($1.value.byteRange.lowerBound, $1.key) }
        for (previous, next) in zip(ordered, ordered.dropFirst())
        where next.value.byteRange.lowerBound < previous.value.byteRange.upperBound {
            throw .invalidTensorData(tensor: next.key, reason: "bytes overlap tensor '\(previous.key)'")
        }
    }
}
