/// Writes samples in the API's JSON shape straight into bytes. Query pages hold up to 1,000 samples,
/// and `source`/`metadata` are stored as canonical JSON text, so they are spliced in without a
/// parse-and-re-encode round trip.
public enum SampleJSONWriter {
    public static func page(_ page: SamplePage) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(64 + page.samples.count * 320)
        out.append(contentsOf: #"{"samples":["#.utf8)
        for (i, sample) in page.samples.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            append(sample, to: &out)
        }
        out.append(contentsOf: #"],"next_cursor":"#.utf8)
        if let cursor = page.nextCursor {
            JSONValue.appendQuoted(cursor, to: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    public static func append(_ sample: Sample, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"uuid":"#.utf8)
        JSONValue.appendQuoted(sample.uuid, to: &out)
        out.append(contentsOf: #","type":""#.utf8)
        out.append(contentsOf: sample.type.rawValue.utf8)
        out.append(contentsOf: #"","start":""#.utf8)
        sample.start.appendRFC3339(to: &out)
        out.append(contentsOf: #"","end":""#.utf8)
        sample.end.appendRFC3339(to: &out)
        out.append(UInt8(ascii: "\""))
        if let value = sample.value {
            out.append(contentsOf: #","value":"#.utf8)
            out.append(contentsOf: JSONValue.format(value).utf8)
        }
        if let unit = sample.unit {
            out.append(contentsOf: #","unit":"#.utf8)
            JSONValue.appendQuoted(unit, to: &out)
        }
        if let category = sample.category {
            out.append(contentsOf: #","category":"#.utf8)
            JSONValue.appendQuoted(category, to: &out)
        }
        if let source = sample.sourceJSON {
            out.append(contentsOf: #","source":"#.utf8)
            out.append(contentsOf: source.utf8)
        }
        if let metadata = sample.metadataJSON {
            out.append(contentsOf: #","metadata":"#.utf8)
            out.append(contentsOf: metadata.utf8)
        }
        out.append(UInt8(ascii: "}"))
    }
}
