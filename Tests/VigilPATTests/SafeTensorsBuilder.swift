import Foundation

@testable import VigilPAT

/// Builds safetensors bytes in memory so tests can produce exactly the defect they check.
struct SafeTensorsBuilder {
    struct Entry {
        var name: String
        var dtype = "F32"
        var shape: [Int]
        var values: [Float]
    }

    var entries: [Entry] = []
    var metadata: [String: String] = ["format": "pat-encoder-safetensors-v1"]

    /// Every tensor of an existing file, e.g. a reference model, ready to be edited.
    init(copying file: SafeTensorsFile) throws {
        for name in file.tensors.keys.sorted() {
            entries.append(Entry(name: name, shape: file.tensors[name]!.shape, values: try file.floats(name)))
        }
    }

    init(entries: [Entry] = []) { self.entries = entries }

    mutating func remove(_ name: String) { entries.removeAll { $0.name == name } }

    mutating func update(_ name: String, _ edit: (inout Entry) -> Void) {
        if let i = entries.firstIndex(where: { $0.name == name }) { edit(&entries[i]) }
    }

    /// Serialises like the reference converter: sorted names, contiguous data, header padded to 8 bytes.
    func bytes() -> [UInt8] {
        var header: [String: Any] = ["__metadata__": metadata]
        var data: [UInt8] = []
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            let start = data.count
            for v in entry.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
            header[entry.name] = ["dtype": entry.dtype, "shape": entry.shape, "data_offsets": [start, data.count]]
        }
        return Self.assemble(
            headerJSON: try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]),
            data: data)
    }

    /// Length prefix + header (space-padded to a multiple of 8) + data.
    static func assemble(headerJSON: Data, data: [UInt8]) -> [UInt8] {
        var json = [UInt8](headerJSON)
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        return out + json + data
    }

    static func assemble(header: String, data: [UInt8] = []) -> [UInt8] {
        assemble(headerJSON: Data(header.utf8), data: data)
    }
}
